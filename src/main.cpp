// rustsocks: command line -> configuration -> app::run(). The only file no test links.
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>

#include <unistd.h>

#include "app/app.hpp"
#include "auth/password_hash.hpp"
#include "config/config.hpp"
#include "core/log.hpp"

namespace {

using rustsocks::config::Config;

struct Options {
  std::string config_path = "config/rustsocks.toml";
  std::string generate_path;
  bool check = false;
  std::string bind;
  int port = -1;
  std::string log_level;
};

int generate(const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  out << rustsocks::config::example_config();
  out.close();
  if (!out) {
    std::fprintf(stderr, "error: cannot write %s\n", path.c_str());
    return 1;
  }
  std::printf("wrote an example configuration to %s\n", path.c_str());
  return 0;
}

int hash_password_command() {
  auto hash = rustsocks::auth::read_password(stdin, ::isatty(STDIN_FILENO) == 1);
  if (!hash) return 1;  // read_password printed why
  std::printf("%s\n", hash->c_str());
  return 0;
}

// Command-line overrides are validated like config values; returns false after printing errors.
bool apply_overrides(const Options& options, Config& config) {
  bool ok = true;
  if (!options.bind.empty()) {
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address(options.bind, ec);
    if (ec) {
      std::fprintf(stderr, "error: --bind: '%s' is not an IPv4 or IPv6 address\n",
                   options.bind.c_str());
      ok = false;
    }
    config.server.bind_address = options.bind;
  }
  if (options.port >= 0) config.server.bind_port = static_cast<std::uint16_t>(options.port);
  if (!options.log_level.empty()) {
    if (!rustsocks::core::is_log_level(options.log_level)) {
      std::fprintf(stderr, "error: --log-level: unknown level '%s'\n", options.log_level.c_str());
      ok = false;
    }
    config.logging.level = options.log_level;
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"rustsocks: a SOCKS5 proxy server (RFC 1928)"};
  Options options;
  cli.add_option("-c,--config", options.config_path, "configuration file (TOML)")
      ->capture_default_str();
  cli.add_option("--generate-config", options.generate_path,
                 "write a complete, commented example configuration to PATH and exit");
  cli.add_flag("--check-config", options.check, "validate the configuration and exit");
  cli.add_option("--bind", options.bind, "override server.bind_address");
  cli.add_option("--port", options.port, "override server.bind_port")->check(CLI::Range(0, 65535));
  cli.add_option("--log-level", options.log_level, "override logging.level");
  cli.set_version_flag("-V,--version", std::string("rustsocks ") + RUSTSOCKS_VERSION);
  auto* hash_command = cli.add_subcommand(
      "hash-password",
      "read a password (twice, without echo, on a terminal; else one line of stdin) and print "
      "its crypt(3) yescrypt hash for [[auth.users]] password_hash");
  CLI11_PARSE(cli, argc, argv);

  if (hash_command->parsed()) return hash_password_command();

  if (!options.generate_path.empty()) return generate(options.generate_path);

  auto loaded = rustsocks::config::load_config_file(options.config_path);
  for (const auto& warning : loaded.warnings)
    std::fprintf(stderr, "warning: %s\n", warning.c_str());
  for (const auto& error : loaded.errors)
    std::fprintf(stderr, "error: %s\n", error.c_str());
  if (!loaded.config) return 1;
  Config config = std::move(*loaded.config);
  if (!apply_overrides(options, config)) return 1;
  if (options.check) {
    std::printf("configuration OK\n");
    return 0;
  }
  try {
    auto style = config.logging.format == rustsocks::config::LogFormat::Json
                     ? rustsocks::core::LogStyle::Json
                     : rustsocks::core::LogStyle::Pretty;
    rustsocks::core::init_logging(config.logging.level, style, config.logging.file);
    for (const auto& warning : loaded.warnings)
      spdlog::warn("config: {}", warning);
    return rustsocks::app::run(config);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rustsocks: %s\n", e.what());
    return 1;
  }
}

// The server's configuration as plain data: defaults here, validated once by load_config(),
// immutable afterwards. Nothing reads the TOML tree after load.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rustsocks::config {

enum class LogFormat { Pretty, Json };

struct Server {
  std::string bind_address = "127.0.0.1";  // an IPv4 or IPv6 literal
  std::uint16_t bind_port = 1080;
  std::size_t max_connections = 1000;  // 0 is rejected at load
  unsigned workers = 0;                // 0 = one per core
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds connect_timeout{5'000};  // per dial, all candidate addresses together
  std::chrono::milliseconds dns_timeout{5'000};
  std::chrono::seconds idle_timeout{300};   // relay: no byte either way for this long; 0 = off
  std::chrono::seconds shutdown_grace{10};  // SIGINT/SIGTERM: live sessions may finish this long
  bool splice = true;                       // Linux zero-copy relay for plain TCP
  int listen_backlog = 4096;
};

struct Logging {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  LogFormat format = LogFormat::Pretty;
  std::string file;  // empty = stderr
};

struct Config {
  Server server;
  Logging logging;
};

// Everything a load produced: a config when there were no errors, plus every error and warning
// as one line each ("path:line:column: message").
struct LoadResult {
  std::optional<Config> config;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

// source_name is used in messages (usually the file path).
LoadResult load_config(std::string_view toml_text, std::string_view source_name);
// Reads the file; a missing or unreadable file is an error naming the path.
LoadResult load_config_file(const std::string& path);
// A complete, commented example configuration that loads unchanged with no warnings.
std::string example_config();

}  // namespace rustsocks::config

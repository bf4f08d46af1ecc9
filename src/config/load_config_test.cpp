// load_config() for the keys this build implements: defaults, every key, bounds, bad values, and
// the example configuration (also shipped as config/rustsocks.toml).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace rustsocks::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

LoadResult load(std::string_view text) {
  return load_config(text, "test.toml");
}

// Every field but the users, as one comparable tuple.
auto fields(const Config& config) {
  const Server& s = config.server;
  const Logging& l = config.logging;
  return std::tie(s.user, s.bind_address, s.bind_port, s.max_connections, s.workers,
                  s.handshake_timeout, s.connect_timeout, s.dns_timeout, s.idle_timeout,
                  s.shutdown_grace, s.splice, s.listen_backlog, s.external_address,
                  s.bind_accept_timeout, s.udp_idle_timeout, s.udp_max_datagram, s.udp_rate_limit,
                  l.level, l.format, l.file);
}

auto auth_fields(const Auth& a) {
  const Pam& p = a.pam;
  const Lockout& k = a.lockout;
  return std::tie(a.client_method, a.client_pam_service, a.socks_method, a.socks_pam_service,
                  a.failure_delay, a.userpass_cache_ttl, k.enabled, k.max_failures, k.window,
                  k.duration, p.default_user, p.default_ruser, p.verbose, p.verify_service,
                  p.monitor_workers, p.timeout, p.cache_ttl);
}

TEST(LoadConfig, EmptyDocumentGivesTheDefaults) {
  const auto result = load("");
  ASSERT_TRUE(result.config);
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_THAT(result.warnings, IsEmpty());
  const Server& server = result.config->server;
  EXPECT_EQ(server.user, "socks");
  EXPECT_EQ(server.bind_address, "127.0.0.1");
  EXPECT_EQ(server.bind_port, 1080);
  EXPECT_EQ(server.max_connections, 1000U);
  EXPECT_EQ(server.workers, 0U);
  EXPECT_EQ(server.handshake_timeout, 10s);
  EXPECT_EQ(server.connect_timeout, 5s);
  EXPECT_EQ(server.dns_timeout, 5s);
  EXPECT_EQ(server.idle_timeout, 300s);
  EXPECT_EQ(server.shutdown_grace, 10s);
  EXPECT_TRUE(server.splice);
  EXPECT_EQ(server.listen_backlog, 4096);
  EXPECT_EQ(server.external_address, "");
  EXPECT_EQ(server.bind_accept_timeout, 120s);
  EXPECT_EQ(server.udp_idle_timeout, 120s);
  EXPECT_EQ(server.udp_max_datagram, 65'507U);
  EXPECT_EQ(server.udp_rate_limit, 50'000U);
  EXPECT_EQ(result.config->logging.level, "info");
  EXPECT_EQ(result.config->logging.format, LogFormat::Pretty);
  EXPECT_EQ(result.config->logging.file, "");
  const Auth& auth = result.config->auth;
  EXPECT_EQ(auth.client_method, ClientMethod::None);
  EXPECT_EQ(auth.client_pam_service, "rustsocks-client");
  EXPECT_EQ(auth.socks_method, SocksMethod::None);
  EXPECT_EQ(auth.socks_pam_service, "rustsocks");
  EXPECT_EQ(auth.failure_delay, 1000ms);
  EXPECT_EQ(auth.userpass_cache_ttl, 60s);
  EXPECT_TRUE(auth.lockout.enabled);
  EXPECT_EQ(auth.lockout.max_failures, 5U);
  EXPECT_EQ(auth.lockout.window, 60s);
  EXPECT_EQ(auth.lockout.duration, 300s);
  EXPECT_EQ(auth.pam.default_user, "rhostusr");
  EXPECT_EQ(auth.pam.default_ruser, "rhostusr");
  EXPECT_FALSE(auth.pam.verbose);
  EXPECT_TRUE(auth.pam.verify_service);
  EXPECT_EQ(auth.pam.monitor_workers, 4U);
  EXPECT_EQ(auth.pam.timeout, 10s);
  EXPECT_EQ(auth.pam.cache_ttl, 60s);
  EXPECT_THAT(auth.users, IsEmpty());
}

TEST(LoadConfig, ReadsEveryImplementedKey) {
  const auto result = load(R"([server]
user = "_rs-proxy$"
bind_address = "::1"
bind_port = 1081
max_connections = 7
workers = 3
handshake_timeout_ms = 1500
connect_timeout_ms = 2500
dns_timeout_ms = 3500
idle_timeout_secs = 0
shutdown_grace_secs = 4
splice = false
listen_backlog = 128
[logging]
level = "debug"
format = "json"
file = "/var/log/rustsocks.log"
[auth]
socks_method = "pam.username"
client_method = "pam.address"
client_pam_service = "rs.client_1"
socks_pam_service = "rs-socks"
failure_delay_ms = 0
userpass_cache_ttl_secs = 0
[auth.lockout]
enabled = false
max_failures = 9
window_secs = 30
duration_secs = 600
[auth.pam]
default_user = "nobody"
default_ruser = "socksuser"
verbose = true
verify_service = false
monitor_workers = 8
timeout_ms = 2500
cache_ttl_secs = 0
)");
  ASSERT_TRUE(result.config) << ::testing::PrintToString(result.errors);
  EXPECT_THAT(result.warnings, IsEmpty());
  const Server& server = result.config->server;
  EXPECT_EQ(server.user, "_rs-proxy$");
  EXPECT_EQ(server.bind_address, "::1");
  EXPECT_EQ(server.bind_port, 1081);
  EXPECT_EQ(server.max_connections, 7U);
  EXPECT_EQ(server.workers, 3U);
  EXPECT_EQ(server.handshake_timeout, 1500ms);
  EXPECT_EQ(server.connect_timeout, 2500ms);
  EXPECT_EQ(server.dns_timeout, 3500ms);
  EXPECT_EQ(server.idle_timeout, 0s);
  EXPECT_EQ(server.shutdown_grace, 4s);
  EXPECT_FALSE(server.splice);
  EXPECT_EQ(server.listen_backlog, 128);
  EXPECT_EQ(result.config->logging.level, "debug");
  EXPECT_EQ(result.config->logging.format, LogFormat::Json);
  EXPECT_EQ(result.config->logging.file, "/var/log/rustsocks.log");
  const Auth& auth = result.config->auth;
  EXPECT_EQ(auth.socks_method, SocksMethod::PamUsername);
  EXPECT_EQ(auth.client_method, ClientMethod::PamAddress);
  EXPECT_EQ(auth.client_pam_service, "rs.client_1");
  EXPECT_EQ(auth.socks_pam_service, "rs-socks");
  EXPECT_EQ(auth.failure_delay, 0ms);
  EXPECT_EQ(auth.userpass_cache_ttl, 0s);
  EXPECT_FALSE(auth.lockout.enabled);
  EXPECT_EQ(auth.lockout.max_failures, 9U);
  EXPECT_EQ(auth.lockout.window, 30s);
  EXPECT_EQ(auth.lockout.duration, 600s);
  EXPECT_EQ(auth.pam.default_user, "nobody");
  EXPECT_EQ(auth.pam.default_ruser, "socksuser");
  EXPECT_TRUE(auth.pam.verbose);
  EXPECT_FALSE(auth.pam.verify_service);
  EXPECT_EQ(auth.pam.monitor_workers, 8U);
  EXPECT_EQ(auth.pam.timeout, 2500ms);
  EXPECT_EQ(auth.pam.cache_ttl, 0s);
}

TEST(LoadConfig, AcceptsEveryLogLevelAndWarningAsAliasOfWarn) {
  for (const std::string level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    const auto config = load("[logging]\nlevel = \"" + level + "\"\n").config;
    EXPECT_EQ(config.value_or(Config{}).logging.level, level);
  }
  EXPECT_EQ(load("logging.level = \"warning\"").config->logging.level, "warn");
  EXPECT_EQ(load("logging.level = \"WARNING\"").config->logging.level, "warn");
}

TEST(LoadConfig, ReadsTheTopLevelLogLevel) {
  const auto result = load("log_level = \"warning\"\n");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->logging.level, "warn");
  EXPECT_THAT(result.warnings, IsEmpty());
}

TEST(LoadConfig, LoggingLevelWinsOverTopLevelLogLevelWithAWarning) {
  const auto result = load("log_level = \"trace\"\n[logging]\nlevel = \"error\"\n");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->logging.level, "error");
  EXPECT_THAT(result.warnings,
              ElementsAre("test.toml:1:13: 'log_level' at the top level is ignored: "
                          "'logging.level' in [logging] is set too, and it wins"));
}

TEST(LoadConfig, PoolConnectTimeoutSetsTheConnectTimeoutWhenServerHasNone) {
  const auto result = load("[server.pool]\nconnect_timeout_ms = 1234\n");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->server.connect_timeout, 1234ms);
  EXPECT_THAT(result.warnings, IsEmpty());
}

TEST(LoadConfig, ServerConnectTimeoutWinsOverThePoolOneWithAWarning) {
  const auto result =
      load("[server]\nconnect_timeout_ms = 700\n[server.pool]\nconnect_timeout_ms = 900\n");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->server.connect_timeout, 700ms);
  EXPECT_THAT(result.warnings,
              ElementsAre("test.toml:4:22: 'server.pool.connect_timeout_ms' in [server.pool] is "
                          "ignored: 'server.connect_timeout_ms' is set too, and it wins"));
}

struct IntegerKey {
  std::string table;
  std::string key;
  std::int64_t min;
  std::int64_t max;
};

class IntegerBounds : public ::testing::TestWithParam<IntegerKey> {};

TEST_P(IntegerBounds, AcceptsBothEndsAndRejectsJustOutsideNamingKeyAndPosition) {
  const IntegerKey& p = GetParam();
  const auto doc = [&p](std::int64_t value) {
    return "[" + p.table + "]\n" + p.key + " = " + std::to_string(value) + "\n";
  };
  const auto message = [&p](std::int64_t value) {
    return "test.toml:2:" + std::to_string(p.key.size() + 4) + ": '" + p.table + "." + p.key +
           "' in [" + p.table + "] must be between " + std::to_string(p.min) + " and " +
           std::to_string(p.max) + ", got " + std::to_string(value);
  };
  EXPECT_TRUE(load(doc(p.min)).config) << p.key << " = " << p.min;
  EXPECT_TRUE(load(doc(p.max)).config) << p.key << " = " << p.max;
  EXPECT_THAT(load(doc(p.min - 1)).errors, ElementsAre(message(p.min - 1)));
  EXPECT_THAT(load(doc(p.max + 1)).errors, ElementsAre(message(p.max + 1)));
  EXPECT_FALSE(load(doc(p.max + 1)).config);
}

INSTANTIATE_TEST_SUITE_P(
    LoadConfig, IntegerBounds,
    ::testing::Values(IntegerKey{"server", "bind_port", 0, 65535},
                      IntegerKey{"server", "max_connections", 1, 1'000'000},
                      IntegerKey{"server", "workers", 0, 256},
                      IntegerKey{"server", "handshake_timeout_ms", 100, 300'000},
                      IntegerKey{"server", "connect_timeout_ms", 100, 300'000},
                      IntegerKey{"server", "dns_timeout_ms", 100, 300'000},
                      IntegerKey{"server", "idle_timeout_secs", 0, 604'800},
                      IntegerKey{"server", "shutdown_grace_secs", 0, 3600},
                      IntegerKey{"server", "listen_backlog", 1, 65535},
                      IntegerKey{"server", "bind_accept_timeout_secs", 1, 3600},
                      IntegerKey{"server", "udp_idle_timeout_secs", 0, 86'400},
                      IntegerKey{"server", "udp_max_datagram_bytes", 512, 65'507},
                      IntegerKey{"server", "udp_rate_limit_pps", 0, 10'000'000},
                      IntegerKey{"server.pool", "connect_timeout_ms", 100, 300'000},
                      IntegerKey{"auth", "failure_delay_ms", 0, 10'000},
                      IntegerKey{"auth", "userpass_cache_ttl_secs", 0, 86'400},
                      IntegerKey{"auth.lockout", "max_failures", 1, 1000},
                      IntegerKey{"auth.lockout", "window_secs", 1, 86'400},
                      IntegerKey{"auth.lockout", "duration_secs", 1, 604'800},
                      IntegerKey{"auth.pam", "monitor_workers", 1, 64},
                      IntegerKey{"auth.pam", "timeout_ms", 100, 300'000},
                      IntegerKey{"auth.pam", "cache_ttl_secs", 0, 86'400}),
    [](const auto& suite_param) {
      const std::string& table = suite_param.param.table;
      if (table == "server") return suite_param.param.key;
      std::string name = (table == "server.pool" ? "pool" : table) + "_" + suite_param.param.key;
      std::replace(name.begin(), name.end(), '.', '_');
      return name;
    });

TEST(LoadConfig, ReadsTheBindAndUdpKeys) {
  const auto result = load(
      "[server]\nexternal_address = \"::1\"\nbind_accept_timeout_secs = 7\n"
      "udp_idle_timeout_secs = 0\nudp_max_datagram_bytes = 1200\nudp_rate_limit_pps = 0\n");
  ASSERT_TRUE(result.config) << testing::PrintToString(result.errors);
  const Server& server = result.config->server;
  EXPECT_EQ(server.external_address, "::1");
  EXPECT_EQ(server.bind_accept_timeout, 7s);
  EXPECT_EQ(server.udp_idle_timeout, 0s);
  EXPECT_EQ(server.udp_max_datagram, 1200U);
  EXPECT_EQ(server.udp_rate_limit, 0U);
  EXPECT_TRUE(load("[server]\nexternal_address = \"\"\n").config);
  EXPECT_THAT(load("[server]\nexternal_address = \"proxy.example\"\n").errors,
              ElementsAre(testing::HasSubstr("'server.external_address' in [server] must be")));
}

TEST(LoadConfig, RejectsHostnamesAndMalformedAddresses) {
  for (const std::string address : {"localhost", "[::1]", "127.1", "1.2.3.4:80", "", "::1%lo"}) {
    const auto result = load("[server]\nbind_address = \"" + address + "\"\n");
    EXPECT_FALSE(result.config) << address;
    EXPECT_THAT(result.errors,
                ElementsAre("test.toml:2:16: 'server.bind_address' in [server] must be an IPv4 "
                            "or IPv6 literal such as \"127.0.0.1\" or \"::1\" (no hostnames, no "
                            "brackets), got \"" +
                            address + "\""));
  }
}

TEST(LoadConfig, RejectsAnAddressWithAnEmbeddedNul) {
  const auto result = load("[server]\nbind_address = \"127.0.0.1\\u0000x\"\n");
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors, ElementsAre(::testing::HasSubstr("got \"127.0.0.1\\x00x\"")));
}

TEST(LoadConfig, RejectsUnknownLogLevelsAndFormats) {
  EXPECT_THAT(load("[logging]\nlevel = \"verbose\"\n").errors,
              ElementsAre("test.toml:2:9: 'logging.level' in [logging] must be one of trace, "
                          "debug, info, warn (or warning), error, critical, off; got \"verbose\""));
  EXPECT_THAT(load("log_level = \"loud\"\n").errors,
              ElementsAre("test.toml:1:13: 'log_level' at the top level must be one of trace, "
                          "debug, info, warn (or warning), error, critical, off; got \"loud\""));
  EXPECT_THAT(load("[logging]\nformat = \"xml\"\n").errors,
              ElementsAre("test.toml:2:10: 'logging.format' in [logging] must be \"pretty\" or "
                          "\"json\", got \"xml\""));
  EXPECT_THAT(load("[logging]\nfile = \"a\\u0000b\"\n").errors,
              ElementsAre("test.toml:2:8: 'logging.file' in [logging] must not contain a NUL "
                          "character"));
}

TEST(ExampleConfig, LoadsUnchangedWithNoWarningIntoTheDefaults) {
  const auto result = load(example_config());
  ASSERT_TRUE(result.config) << ::testing::PrintToString(result.errors);
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_THAT(result.warnings, IsEmpty());
  const Config defaults;
  EXPECT_EQ(fields(*result.config), fields(defaults));
  EXPECT_EQ(auth_fields(result.config->auth), auth_fields(defaults.auth));
  EXPECT_THAT(result.config->auth.users, IsEmpty());
  const auto& acl = result.config->acl;
  EXPECT_EQ(std::tie(acl.enabled, acl.config_file, acl.watch, acl.anonymous_user,
                     acl.block_internal, acl.terminate_on_reload),
            std::tie(defaults.acl.enabled, defaults.acl.config_file, defaults.acl.watch,
                     defaults.acl.anonymous_user, defaults.acl.block_internal,
                     defaults.acl.terminate_on_reload));
}

TEST(ExampleConfig, ShowsEveryImplementedKeyWithACommentAbove) {
  const std::string text = example_config();
  for (const std::string key : {"[server]",
                                "user =",
                                "bind_address =",
                                "bind_port =",
                                "max_connections =",
                                "workers =",
                                "handshake_timeout_ms =",
                                "connect_timeout_ms =",
                                "dns_timeout_ms =",
                                "idle_timeout_secs =",
                                "shutdown_grace_secs =",
                                "splice =",
                                "listen_backlog =",
                                "[logging]",
                                "level =",
                                "format =",
                                "file =",
                                "[sessions]",
                                "stats_api_enabled =",
                                "stats_api_bind_address =",
                                "stats_api_port =",
                                "base_path =",
                                "[api]",
                                "tokens =",
                                "token_file =",
                                "metrics_require_token =",
                                "pam_test_enabled =",
                                "read_timeout_ms =",
                                "requests_per_second =",
                                "pam_tests_per_minute =",
                                "[auth]",
                                "socks_method =",
                                "client_method =",
                                "client_pam_service =",
                                "socks_pam_service =",
                                "failure_delay_ms =",
                                "userpass_cache_ttl_secs =",
                                "[auth.lockout]",
                                "enabled =",
                                "max_failures =",
                                "window_secs =",
                                "duration_secs =",
                                "[auth.pam]",
                                "default_user =",
                                "default_ruser =",
                                "verbose =",
                                "verify_service =",
                                "monitor_workers =",
                                "timeout_ms =",
                                "cache_ttl_secs =",
                                "# [[auth.users]]",
                                "# username =",
                                "# password_hash =",
                                "[acl]",
                                "config_file =",
                                "watch =",
                                "anonymous_user =",
                                "block_internal =",
                                "terminate_on_reload ="}) {
    EXPECT_NE(text.find("\n" + key), std::string::npos) << key;
  }
  std::istringstream lines(text);
  std::string previous;
  for (std::string line; std::getline(lines, line); previous = line) {
    if (line.find(" = ") != std::string::npos && line.front() != '#') {
      EXPECT_EQ(previous.substr(0, 1), "#") << "no comment above: " << line;
    }
  }
}

// The shipped config/rustsocks.toml is the example, found from the build tree inside the checkout.
TEST(ExampleConfig, IsWhatConfigRustsocksTomlShips) {
  std::filesystem::path dir = std::filesystem::current_path();
  while (!std::filesystem::exists(dir / "src/config/config.hpp") && dir != dir.root_path()) {
    dir = dir.parent_path();
  }
  const auto shipped = dir / "config/rustsocks.toml";
  if (!std::filesystem::exists(shipped)) GTEST_SKIP() << "no checkout above the build directory";
  std::ifstream in(shipped);
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), example_config());
  const auto result = load_config_file(shipped.string());
  EXPECT_TRUE(result.config);
  EXPECT_THAT(result.warnings, IsEmpty());
}

}  // namespace
}  // namespace rustsocks::config

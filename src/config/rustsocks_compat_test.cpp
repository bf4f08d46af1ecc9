// RustSocks configurations: keys this build does not implement load with one warning each, its
// auth settings load (plain-text passwords with a warning), and the security features this build
// lacks fail closed (rustsocks-reference.md §2).
#include <array>
#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace rustsocks::config {
namespace {

using ::testing::Contains;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

LoadResult load(std::string_view text) {
  return load_config(text, "test.toml");
}

// Every key of RustSocks' schema (§2.1-2.13, and the doc-only keys of §2.15), secure values only.
constexpr std::string_view kRustSocksConfig = R"([server]
bind_address = "0.0.0.0"
bind_port = 1080
max_connections = 1000

[server.tls]
enabled = false
certificate_path = "/etc/rustsocks/cert.pem"
private_key_path = "/etc/rustsocks/key.pem"
key_password = "hunter2-tls"
require_client_auth = false
client_ca_path = "/etc/rustsocks/ca.pem"
alpn_protocols = ["socks"]
min_protocol_version = "TLS13"

[server.pool]
enabled = false
max_idle_per_dest = 4
max_total_idle = 100
idle_timeout_secs = 90
connect_timeout_ms = 3000

[auth]
client_method = "none"
socks_method = "none"
client_pam_service = "rustsocks-client"
socks_pam_service = "rustsocks"

[[auth.users]]
username = "alice"
password = "hunter2-alice"

[[auth.users]]
username = "bob"
password_hash = "$y$j9T$hunter2bob"

[auth.pam]
username_service = "rustsocks"
address_service = "rustsocks-client"
default_user = "rhostusr"
default_ruser = "rhostusr"
verbose = false
verify_service = false

[auth.gssapi]
service_name = "socks"
keytab_path = "/etc/krb5.keytab"
protection_level = "integrity"
verbose = false

[logging]
level = "info"
format = "pretty"

[acl]
enabled = false
config_file = "config/acl.toml"
watch = false
anonymous_user = "anonymous"

[sessions]
enabled = false
storage = "sqlite"
database_url = "mysql://rs:hunter2-db@db/rs"
batch_size = 100
batch_interval_ms = 1000
retention_days = 90
cleanup_interval_hours = 24
traffic_update_packet_interval = 10
stats_window_hours = 24
stats_api_enabled = false
stats_api_bind_address = "127.0.0.1"
stats_api_port = 9090
swagger_enabled = true
dashboard_enabled = false

[sessions.dashboard_auth]
enabled = false
altcha_enabled = false
altcha_challenge_url = "/api/altcha"
session_secret = "hunter2-dashboard"
session_duration_hours = 24
base_path = "/"

[[sessions.dashboard_auth.users]]
username = "admin"
password = "hunter2-admin"

[metrics]
enabled = true
storage = "memory"
retention_hours = 24
cleanup_interval_hours = 6
collection_interval_secs = 5

[telemetry]
enabled = true
max_events = 256
retention_hours = 6

[qos]
enabled = false
algorithm = "htb"
default_rate_limit_mbps = 12.5
default_conn_limit = 20
enable_traffic_shaping = false

[qos.htb]
global_bandwidth_bytes_per_sec = 125000000
guaranteed_bandwidth_bytes_per_sec = 131072
max_bandwidth_bytes_per_sec = 12500000
burst_size_bytes = 1048576
refill_interval_ms = 50
fair_sharing_enabled = true
rebalance_interval_ms = 100
idle_timeout_secs = 5

[qos.connection_limits]
max_connections_per_user = 20
max_connections_global = 10000

[qos.global]
max_bandwidth = "1gbit"

[[qos.users]]
username = "alice"
rate = 10
)";

// The keys above that warn, each exactly once: the unimplemented ones, the RustSocks PAM service
// names that [auth] overrides, the users that method "none" leaves unused, alice's plain password.
constexpr auto kWarnedKeys =
    std::to_array<std::string_view>({"server.tls.enabled",
                                     "server.tls.certificate_path",
                                     "server.tls.private_key_path",
                                     "server.tls.key_password",
                                     "server.tls.require_client_auth",
                                     "server.tls.client_ca_path",
                                     "server.tls.alpn_protocols",
                                     "server.tls.min_protocol_version",
                                     "server.pool.enabled",
                                     "server.pool.max_idle_per_dest",
                                     "server.pool.max_total_idle",
                                     "server.pool.idle_timeout_secs",
                                     "auth.pam.username_service",
                                     "auth.pam.address_service",
                                     "auth.users",
                                     "auth.users[0].password",
                                     "auth.gssapi.service_name",
                                     "auth.gssapi.keytab_path",
                                     "auth.gssapi.protection_level",
                                     "auth.gssapi.verbose",
                                     "sessions.enabled",
                                     "sessions.storage",
                                     "sessions.database_url",
                                     "sessions.batch_size",
                                     "sessions.batch_interval_ms",
                                     "sessions.retention_days",
                                     "sessions.cleanup_interval_hours",
                                     "sessions.traffic_update_packet_interval",
                                     "sessions.stats_window_hours",
                                     "sessions.swagger_enabled",
                                     "sessions.dashboard_enabled",
                                     "sessions.dashboard_auth.enabled",
                                     "sessions.dashboard_auth.altcha_enabled",
                                     "sessions.dashboard_auth.altcha_challenge_url",
                                     "sessions.dashboard_auth.session_secret",
                                     "sessions.dashboard_auth.session_duration_hours",
                                     "sessions.dashboard_auth.base_path",
                                     "sessions.dashboard_auth.users",
                                     "metrics.enabled",
                                     "metrics.storage",
                                     "metrics.retention_hours",
                                     "metrics.cleanup_interval_hours",
                                     "metrics.collection_interval_secs",
                                     "telemetry.enabled",
                                     "telemetry.max_events",
                                     "telemetry.retention_hours",
                                     "qos.enabled",
                                     "qos.algorithm",
                                     "qos.default_rate_limit_mbps",
                                     "qos.default_conn_limit",
                                     "qos.enable_traffic_shaping",
                                     "qos.htb.global_bandwidth_bytes_per_sec",
                                     "qos.htb.guaranteed_bandwidth_bytes_per_sec",
                                     "qos.htb.max_bandwidth_bytes_per_sec",
                                     "qos.htb.burst_size_bytes",
                                     "qos.htb.refill_interval_ms",
                                     "qos.htb.fair_sharing_enabled",
                                     "qos.htb.rebalance_interval_ms",
                                     "qos.htb.idle_timeout_secs",
                                     "qos.connection_limits.max_connections_per_user",
                                     "qos.connection_limits.max_connections_global",
                                     "qos.global",
                                     "qos.users"});

TEST(RustSocksConfig, LoadsWithOneWarningPerWarnedKeyAndNoError) {
  const auto result = load(kRustSocksConfig);
  ASSERT_TRUE(result.config) << ::testing::PrintToString(result.errors);
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_EQ(result.warnings.size(), kWarnedKeys.size());
  EXPECT_EQ(result.config->server.bind_address, "0.0.0.0");
  EXPECT_EQ(result.config->server.connect_timeout, std::chrono::milliseconds{3000});
  EXPECT_EQ(result.config->auth.users.size(), 2U);
  EXPECT_FALSE(result.config->auth.pam.verify_service);
  EXPECT_FALSE(result.config->acl.enabled);
  EXPECT_EQ(result.config->acl.config_file, "config/acl.toml");
  EXPECT_EQ(result.config->acl.anonymous_user, "anonymous");
}

TEST(RustSocksConfig, ReadsTheAclSection) {
  const auto result = load(
      "[acl]\nenabled = true\nconfig_file = \"/etc/rustsocks/acl.toml\"\nwatch = true\n"
      "anonymous_user = \"guest\"\nblock_internal = false\nterminate_on_reload = true\n");
  ASSERT_TRUE(result.config) << ::testing::PrintToString(result.errors);
  EXPECT_THAT(result.warnings, IsEmpty());
  const auto& acl = result.config->acl;
  EXPECT_TRUE(acl.enabled);
  EXPECT_EQ(acl.config_file, "/etc/rustsocks/acl.toml");
  EXPECT_TRUE(acl.watch);
  EXPECT_EQ(acl.anonymous_user, "guest");
  EXPECT_FALSE(acl.block_internal);
  EXPECT_TRUE(acl.terminate_on_reload);
  const auto defaults = load("");
  EXPECT_TRUE(defaults.config->acl.block_internal);
  EXPECT_FALSE(defaults.config->acl.terminate_on_reload);
  EXPECT_THAT(load("[acl]\nanonymous_user = \"\"\n").errors,
              ElementsAre("test.toml:2:18: 'acl.anonymous_user' in [acl] must be 1 to 255 bytes"));
}

TEST(RustSocksConfig, WarnsExactlyOnceForEachWarnedKey) {
  const auto warnings = load(kRustSocksConfig).warnings;
  for (const std::string_view key : kWarnedKeys) {
    EXPECT_THAT(warnings, Contains(HasSubstr("'" + std::string(key) + "'")).Times(1));
  }
}

TEST(RustSocksConfig, NeverEchoesItsSecrets) {
  const auto result = load(kRustSocksConfig);
  EXPECT_THAT(result.warnings, Each(Not(HasSubstr("hunter2"))));
}

TEST(RustSocksConfig, WarningsNameKeyTablePositionAndReason) {
  EXPECT_THAT(load("[server.pool]\nenabled = true\n").warnings,
              ElementsAre("test.toml:2:1: 'server.pool.enabled' in [server.pool] is ignored: "
                          "connection pooling is deliberately not implemented (each CONNECT "
                          "dials fresh)"));
  EXPECT_THAT(load("[metrics]\nenabled = true\n").warnings,
              ElementsAre("test.toml:2:1: 'metrics.enabled' in [metrics] is ignored: the metrics "
                          "history is not implemented in this build"));
  EXPECT_THAT(load("[auth.gssapi]\nservice_name = \"socks\"\n").warnings,
              ElementsAre("test.toml:2:1: 'auth.gssapi.service_name' in [auth.gssapi] is "
                          "ignored: GSSAPI is not implemented in this build"));
}

TEST(RustSocksConfig, WarnsOnceForAWholeArrayOfUnusedUsersAndOncePerPlainPassword) {
  const auto result = load(
      "[[auth.users]]\nusername = \"a\"\npassword = \"x\"\n"
      "[[auth.users]]\nusername = \"b\"\npassword = \"y\"\n"
      "[[auth.users]]\nusername = \"c\"\npassword_hash = \"$2b$10$z\"\n");
  ASSERT_TRUE(result.config);
  EXPECT_THAT(result.warnings,
              ElementsAre(HasSubstr("'auth.users' in [auth] is ignored"),
                          HasSubstr("'auth.users[0].password' in [[auth.users]] is a plain-text"),
                          HasSubstr("'auth.users[1].password' in [[auth.users]] is a plain-text")));
}

TEST(RustSocksConfig, LoadsAUserpassConfigWithPlainPasswords) {
  const auto result = load(
      "[auth]\nmethod = \"userpass\"\n"
      "[[auth.users]]\nusername = \"alice\"\npassword = \"hunter2-alice\"\n"
      "[[auth.users]]\nusername = \"bob\"\npassword = \"hunter2-bob\"\n");
  ASSERT_TRUE(result.config) << ::testing::PrintToString(result.errors);
  EXPECT_EQ(result.config->auth.socks_method, SocksMethod::UserPass);
  ASSERT_EQ(result.config->auth.users.size(), 2U);
  EXPECT_EQ(result.config->auth.users[1].username, "bob");
  EXPECT_EQ(result.config->auth.users[1].password, "hunter2-bob");
  EXPECT_THAT(result.warnings, ElementsAre(HasSubstr("plain-text password for user \"alice\""),
                                           HasSubstr("plain-text password for user \"bob\"")));
  EXPECT_THAT(result.warnings, Each(Not(HasSubstr("hunter2"))));
}

TEST(RustSocksConfig, LoadsAPamConfigWithItsServiceNames) {
  const auto result = load(
      "[auth]\nclient_method = \"pam.address\"\nsocks_method = \"pam.username\"\n"
      "[auth.pam]\nusername_service = \"rs-login\"\naddress_service = \"rs-client\"\n"
      "default_user = \"rhostusr\"\ndefault_ruser = \"rhostusr\"\nverbose = true\n"
      "verify_service = false\n");
  ASSERT_TRUE(result.config) << ::testing::PrintToString(result.errors);
  EXPECT_THAT(result.warnings, IsEmpty());
  const Auth& auth = result.config->auth;
  EXPECT_EQ(auth.client_method, ClientMethod::PamAddress);
  EXPECT_EQ(auth.socks_method, SocksMethod::PamUsername);
  EXPECT_EQ(auth.socks_pam_service, "rs-login");
  EXPECT_EQ(auth.client_pam_service, "rs-client");
  EXPECT_TRUE(auth.pam.verbose);
  EXPECT_FALSE(auth.pam.verify_service);
}

TEST(RustSocksConfig, ReadsTheStatsApiKeysAndWarnsOnTheRest) {
  const auto result = load(
      "[sessions]\nstats_api_enabled = true\nstats_api_port = 9191\nbase_path = \"//rs//\"\n"
      "swagger_enabled = true\n");
  ASSERT_TRUE(result.config) << ::testing::PrintToString(result.errors);
  EXPECT_TRUE(result.config->api.enabled);
  EXPECT_EQ(result.config->api.port, 9191);
  EXPECT_EQ(result.config->api.base_path, "/rs");
  EXPECT_THAT(result.warnings, ElementsAre(HasSubstr("there is no Swagger UI")));
  EXPECT_THAT(load("[sessions]\nenabled = false\n").warnings,
              ElementsAre(HasSubstr("is ignored: session persistence is not implemented")));
  EXPECT_THAT(load("[qos]\nenabled = true\n").warnings,
              ElementsAre(HasSubstr("no bandwidth shaping or per-user connection limits apply")));
}

TEST(RustSocksConfig, IgnoresDocOnlyTablesWithoutCheckingThem) {
  const auto result = load("[qos.global]\nanything = [1, \"x\"]\n[qos.global.deeper]\nx = 1\n");
  ASSERT_TRUE(result.config);
  EXPECT_THAT(result.warnings, ElementsAre(HasSubstr("'qos.global' in [qos] is ignored without "
                                                     "checking its contents")));
}

TEST(RustSocksConfig, AcceptsAuthMethodNone) {
  const auto result = load("[auth]\nmethod = \"none\"\nclient_method = \"none\"\n");
  ASSERT_TRUE(result.config);
  EXPECT_THAT(result.warnings, IsEmpty());
  EXPECT_THAT(
      load("[auth]\nmethod = \"none\"\nsocks_method = \"none\"\n").warnings,
      ElementsAre("test.toml:2:10: 'auth.method' in [auth] is ignored: 'auth.socks_method' is set "
                  "too, and it wins"));
}

class FailsClosed : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(FailsClosed, OnAnUnimplementedSecurityFeature) {
  const auto result = load(GetParam().first);
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors, ElementsAre(GetParam().second));
}

INSTANTIATE_TEST_SUITE_P(
    RustSocksConfig, FailsClosed,
    ::testing::Values(
        std::pair{std::string("[auth]\nmethod = \"gssapi\"\n"),
                  std::string("test.toml:2:10: 'auth.method' in [auth] is \"gssapi\", which is "
                              "not supported: GSSAPI is not implemented in this build (use "
                              "\"none\", \"userpass\", \"pam.address\" or \"pam.username\")")},
        std::pair{std::string("[auth]\nsocks_method = \"None\"\n"),
                  std::string("test.toml:2:16: 'auth.socks_method' in [auth] must be \"none\", "
                              "\"userpass\", \"pam.address\" or \"pam.username\", got "
                              "\"None\"")},
        std::pair{std::string("[auth]\nsocks_method = \"userpass\"\n"),
                  std::string("test.toml:2:16: 'auth.socks_method' in [auth] is \"userpass\", but "
                              "there is no [[auth.users]] entry; add at least one user")},
        std::pair{std::string("[acl]\nenabled = true\n"),
                  std::string("test.toml:2:11: 'acl.enabled' in [acl] is true, but "
                              "'acl.config_file' is not set; name the ACL file (see "
                              "docs/acl.md)")},
        std::pair{std::string("[server.tls]\nenabled = true\n"),
                  std::string("test.toml:2:11: 'server.tls.enabled' in [server.tls] is true, but "
                              "TLS is not implemented in this build; refusing to serve plain SOCKS "
                              "where TLS was asked for (set it to false or remove "
                              "[server.tls])")}));

}  // namespace
}  // namespace rustsocks::config

#include "api/config_json.hpp"

namespace rustsocks::api {
namespace {

using nlohmann::json;

json server_json(const config::Server& s) {
  return {{"user", s.user},
          {"bind_address", s.bind_address},
          {"bind_port", s.bind_port},
          {"max_connections", s.max_connections},
          {"workers", s.workers},
          {"handshake_timeout_ms", s.handshake_timeout.count()},
          {"connect_timeout_ms", s.connect_timeout.count()},
          {"dns_timeout_ms", s.dns_timeout.count()},
          {"idle_timeout_secs", s.idle_timeout.count()},
          {"shutdown_grace_secs", s.shutdown_grace.count()},
          {"splice", s.splice},
          {"listen_backlog", s.listen_backlog},
          {"external_address", s.external_address},
          {"bind_accept_timeout_secs", s.bind_accept_timeout.count()},
          {"udp_idle_timeout_secs", s.udp_idle_timeout.count()},
          {"udp_max_datagram_bytes", s.udp_max_datagram},
          {"udp_rate_limit_pps", s.udp_rate_limit}};
}

json auth_json(const config::Auth& a) {
  json users = json::array();
  for (const auto& user : a.users) {
    json entry{{"username", user.username}};
    if (!user.password_hash.empty()) entry["password_hash"] = kRedacted;
    if (!user.password.empty()) entry["password"] = kRedacted;
    users.push_back(std::move(entry));
  }
  return {{"client_method", config::method_name(a.client_method)},
          {"client_pam_service", a.client_pam_service},
          {"socks_method", config::method_name(a.socks_method)},
          {"socks_pam_service", a.socks_pam_service},
          {"failure_delay_ms", a.failure_delay.count()},
          {"userpass_cache_ttl_secs", a.userpass_cache_ttl.count()},
          {"lockout",
           {{"enabled", a.lockout.enabled},
            {"max_failures", a.lockout.max_failures},
            {"window_secs", a.lockout.window.count()},
            {"duration_secs", a.lockout.duration.count()}}},
          {"pam",
           {{"default_user", a.pam.default_user},
            {"default_ruser", a.pam.default_ruser},
            {"verbose", a.pam.verbose},
            {"verify_service", a.pam.verify_service},
            {"monitor_workers", a.pam.monitor_workers},
            {"timeout_ms", a.pam.timeout.count()},
            {"cache_ttl_secs", a.pam.cache_ttl.count()}}},
          {"users", std::move(users)}};
}

json api_json(const config::Api& api) {
  return {{"tokens", json::array_t(api.tokens.size(), kRedacted)},
          {"token_file", api.token_file},
          {"metrics_require_token", api.metrics_require_token},
          {"pam_test_enabled", api.pam_test_enabled},
          {"max_connections", api.max_connections},
          {"read_timeout_ms", api.read_timeout.count()},
          {"requests_per_second", api.requests_per_second},
          {"pam_tests_per_minute", api.pam_tests_per_minute}};
}

}  // namespace

json config_json(const config::Config& config) {
  const auto& api = config.api;
  return {{"server", server_json(config.server)},
          {"logging",
           {{"level", config.logging.level},
            {"format", config.logging.format == config::LogFormat::Json ? "json" : "pretty"},
            {"file", config.logging.file}}},
          {"sessions",
           {{"stats_api_enabled", api.enabled},
            {"stats_api_bind_address", api.bind_address},
            {"stats_api_port", api.port},
            {"base_path", api.base_path}}},
          {"api", api_json(api)},
          {"auth", auth_json(config.auth)},
          {"acl",
           {{"enabled", config.acl.enabled},
            {"config_file", config.acl.config_file},
            {"watch", config.acl.watch},
            {"anonymous_user", config.acl.anonymous_user},
            {"block_internal", config.acl.block_internal},
            {"terminate_on_reload", config.acl.terminate_on_reload}}}};
}

}  // namespace rustsocks::api

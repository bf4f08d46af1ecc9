// Every key load_config() knows: ours, and RustSocks' (rustsocks-reference.md §2, including the
// doc-only keys of §2.15), with how the loader treats each. See docs/config.md for the why.
#include "config/key_spec.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace rustsocks::config {
namespace {

using enum ValueType;
using enum Handling;

constexpr std::string_view kTls = "is ignored: TLS is not implemented in this build";
constexpr std::string_view kTlsOn =
    "is true, but TLS is not implemented in this build; refusing to serve plain SOCKS where TLS "
    "was asked for (set it to false or remove [server.tls])";
constexpr std::string_view kPool =
    "is ignored: connection pooling is deliberately not implemented (each CONNECT dials fresh)";
constexpr std::string_view kGssapi = "is ignored: GSSAPI is not implemented in this build";
constexpr std::string_view kSessions =
    "is ignored: session persistence is not implemented in this build";
constexpr std::string_view kSwagger =
    "is ignored: there is no Swagger UI; the OpenAPI description is always served at "
    "<base_path>/api/openapi.json when the API is enabled";
constexpr std::string_view kDashboardOn =
    "is true, but the dashboard is not implemented in this build; nothing is served";
constexpr std::string_view kDashboard =
    "is ignored: the dashboard is not implemented in this build";
constexpr std::string_view kMisplaced =
    "is ignored: it belongs in [sessions] (RustSocks' generated example puts it here, where "
    "RustSocks ignores it too)";
constexpr std::string_view kMetrics =
    "is ignored: the metrics history is not implemented in this build";
constexpr std::string_view kTelemetry =
    "is ignored: the telemetry event log is not implemented in this build";
constexpr std::string_view kQos = "is ignored: QoS is not implemented in this build";
constexpr std::string_view kQosOn =
    "is true, but QoS is not implemented in this build; no bandwidth shaping or per-user "
    "connection limits apply";
constexpr std::string_view kDocOnly =
    "is ignored: RustSocks documents it but never reads it, and neither does this build";
constexpr std::string_view kDocOnlyTable =
    "is ignored without checking its contents: RustSocks documents it but never reads it, and "
    "neither does this build";

constexpr auto kKeys = std::to_array<KeySpec>({
    {"log_level", String, Read, {}, {}},
    {"server", Table, Quiet, {}, {}},
    {"server.user", String, Read, {}, {}},
    {"server.bind_address", String, Read, {}, {}},
    {"server.bind_port", Integer, Read, {}, {}},
    {"server.max_connections", Integer, Read, {}, {}},
    {"server.workers", Integer, Read, {}, {}},
    {"server.handshake_timeout_ms", Integer, Read, {}, {}},
    {"server.connect_timeout_ms", Integer, Read, {}, {}},
    {"server.dns_timeout_ms", Integer, Read, {}, {}},
    {"server.idle_timeout_secs", Integer, Read, {}, {}},
    {"server.shutdown_grace_secs", Integer, Read, {}, {}},
    {"server.splice", Bool, Read, {}, {}},
    {"server.listen_backlog", Integer, Read, {}, {}},
    {"server.external_address", String, Read, {}, {}},
    {"server.bind_accept_timeout_secs", Integer, Read, {}, {}},
    {"server.udp_idle_timeout_secs", Integer, Read, {}, {}},
    {"server.udp_max_datagram_bytes", Integer, Read, {}, {}},
    {"server.udp_rate_limit_pps", Integer, Read, {}, {}},
    {"server.tls", Table, Quiet, {}, {}},
    {"server.tls.enabled", Bool, FailIfTrue, kTls, kTlsOn},
    {"server.tls.certificate_path", String, Warn, kTls, {}},
    {"server.tls.private_key_path", String, Warn, kTls, {}},
    {"server.tls.key_password", String, Warn, kTls, {}},
    {"server.tls.require_client_auth", Bool, Warn, kTls, {}},
    {"server.tls.client_ca_path", String, Warn, kTls, {}},
    {"server.tls.alpn_protocols", StringArray, Warn, kTls, {}},
    {"server.tls.min_protocol_version", String, Warn, kTls, {}},
    {"server.pool", Table, Quiet, {}, {}},
    {"server.pool.enabled", Bool, Warn, kPool, {}},
    {"server.pool.max_idle_per_dest", Integer, Warn, kPool, {}},
    {"server.pool.max_total_idle", Integer, Warn, kPool, {}},
    {"server.pool.idle_timeout_secs", Integer, Warn, kPool, {}},
    {"server.pool.connect_timeout_ms", Integer, Read, {}, {}},
    {"logging", Table, Quiet, {}, {}},
    {"logging.level", String, Read, {}, {}},
    {"logging.format", String, Read, {}, {}},
    {"logging.file", String, Read, {}, {}},
    {"auth", Table, Quiet, {}, {}},
    {"auth.method", String, Read, {}, {}},
    {"auth.socks_method", String, Read, {}, {}},
    {"auth.client_method", String, Read, {}, {}},
    {"auth.client_pam_service", String, Read, {}, {}},
    {"auth.socks_pam_service", String, Read, {}, {}},
    {"auth.failure_delay_ms", Integer, Read, {}, {}},
    {"auth.userpass_cache_ttl_secs", Integer, Read, {}, {}},
    {"auth.lockout", Table, Quiet, {}, {}},
    {"auth.lockout.enabled", Bool, Read, {}, {}},
    {"auth.lockout.max_failures", Integer, Read, {}, {}},
    {"auth.lockout.window_secs", Integer, Read, {}, {}},
    {"auth.lockout.duration_secs", Integer, Read, {}, {}},
    {"auth.users", TableArray, Read, {}, {}},
    {"auth.users.username", String, Read, {}, {}},
    {"auth.users.password", String, Read, {}, {}},
    {"auth.users.password_hash", String, Read, {}, {}},
    {"auth.pam", Table, Quiet, {}, {}},
    {"auth.pam.username_service", String, Read, {}, {}},
    {"auth.pam.address_service", String, Read, {}, {}},
    {"auth.pam.default_user", String, Read, {}, {}},
    {"auth.pam.default_ruser", String, Read, {}, {}},
    {"auth.pam.verbose", Bool, Read, {}, {}},
    {"auth.pam.verify_service", Bool, Read, {}, {}},
    {"auth.pam.monitor_workers", Integer, Read, {}, {}},
    {"auth.pam.timeout_ms", Integer, Read, {}, {}},
    {"auth.pam.cache_ttl_secs", Integer, Read, {}, {}},
    {"auth.gssapi", Table, Quiet, {}, {}},
    {"auth.gssapi.service_name", String, Warn, kGssapi, {}},
    {"auth.gssapi.keytab_path", String, Warn, kGssapi, {}},
    {"auth.gssapi.protection_level", String, Warn, kGssapi, {}},
    {"auth.gssapi.verbose", Bool, Warn, kGssapi, {}},
    {"acl", Table, Quiet, {}, {}},
    {"acl.enabled", Bool, Read, {}, {}},
    {"acl.config_file", String, Read, {}, {}},
    {"acl.watch", Bool, Read, {}, {}},
    {"acl.anonymous_user", String, Read, {}, {}},
    {"acl.block_internal", Bool, Read, {}, {}},
    {"acl.terminate_on_reload", Bool, Read, {}, {}},
    {"sessions", Table, Quiet, {}, {}},
    {"sessions.enabled", Bool, Warn, kSessions, {}},
    {"sessions.storage", String, Warn, kSessions, {}},
    {"sessions.database_url", String, Warn, kSessions, {}},
    {"sessions.batch_size", Integer, Warn, kSessions, {}},
    {"sessions.batch_interval_ms", Integer, Warn, kSessions, {}},
    {"sessions.retention_days", Integer, Warn, kSessions, {}},
    {"sessions.cleanup_interval_hours", Integer, Warn, kSessions, {}},
    {"sessions.traffic_update_packet_interval", Integer, Warn, kSessions, {}},
    {"sessions.stats_window_hours", Integer, Warn, kSessions, {}},
    {"sessions.stats_api_enabled", Bool, Read, {}, {}},
    {"sessions.stats_api_bind_address", String, Read, {}, {}},
    {"sessions.stats_api_port", Integer, Read, {}, {}},
    {"sessions.swagger_enabled", Bool, Warn, kSwagger, {}},
    {"sessions.dashboard_enabled", Bool, LoudIfTrue, kDashboard, kDashboardOn},
    {"sessions.base_path", String, Read, {}, {}},
    {"sessions.dashboard_auth", Table, Quiet, {}, {}},
    {"sessions.dashboard_auth.enabled", Bool, Warn, kDashboard, {}},
    {"sessions.dashboard_auth.users", TableArray, Warn, kDashboard, {}},
    {"sessions.dashboard_auth.users.username", String, Quiet, {}, {}},
    {"sessions.dashboard_auth.users.password", String, Quiet, {}, {}},
    {"sessions.dashboard_auth.altcha_enabled", Bool, Warn, kDashboard, {}},
    {"sessions.dashboard_auth.altcha_challenge_url", String, Warn, kDashboard, {}},
    {"sessions.dashboard_auth.session_secret", String, Warn, kDashboard, {}},
    {"sessions.dashboard_auth.session_duration_hours", Integer, Warn, kDashboard, {}},
    {"sessions.dashboard_auth.base_path", String, Warn, kMisplaced, {}},
    {"api", Table, Quiet, {}, {}},
    {"api.tokens", StringArray, Read, {}, {}},
    {"api.token_file", String, Read, {}, {}},
    {"api.metrics_require_token", Bool, Read, {}, {}},
    {"api.pam_test_enabled", Bool, Read, {}, {}},
    {"api.max_connections", Integer, Read, {}, {}},
    {"api.read_timeout_ms", Integer, Read, {}, {}},
    {"api.requests_per_second", Integer, Read, {}, {}},
    {"api.pam_tests_per_minute", Integer, Read, {}, {}},
    {"metrics", Table, Quiet, {}, {}},
    {"metrics.enabled", Bool, Warn, kMetrics, {}},
    {"metrics.storage", String, Warn, kMetrics, {}},
    {"metrics.retention_hours", Integer, Warn, kMetrics, {}},
    {"metrics.cleanup_interval_hours", Integer, Warn, kMetrics, {}},
    {"metrics.collection_interval_secs", Integer, Warn, kMetrics, {}},
    {"telemetry", Table, Quiet, {}, {}},
    {"telemetry.enabled", Bool, Warn, kTelemetry, {}},
    {"telemetry.max_events", Integer, Warn, kTelemetry, {}},
    {"telemetry.retention_hours", Integer, Warn, kTelemetry, {}},
    {"qos", Table, Quiet, {}, {}},
    {"qos.enabled", Bool, LoudIfTrue, kQos, kQosOn},
    {"qos.algorithm", String, Warn, kQos, {}},
    {"qos.default_rate_limit_mbps", Number, Warn, kDocOnly, {}},
    {"qos.default_conn_limit", Integer, Warn, kDocOnly, {}},
    {"qos.enable_traffic_shaping", Bool, Warn, kDocOnly, {}},
    {"qos.global", Table, Unchecked, kDocOnlyTable, {}},
    {"qos.users", TableArray, Unchecked, kDocOnlyTable, {}},
    {"qos.htb", Table, Quiet, {}, {}},
    {"qos.htb.global_bandwidth_bytes_per_sec", Integer, Warn, kQos, {}},
    {"qos.htb.guaranteed_bandwidth_bytes_per_sec", Integer, Warn, kQos, {}},
    {"qos.htb.max_bandwidth_bytes_per_sec", Integer, Warn, kQos, {}},
    {"qos.htb.burst_size_bytes", Integer, Warn, kQos, {}},
    {"qos.htb.refill_interval_ms", Integer, Warn, kQos, {}},
    {"qos.htb.fair_sharing_enabled", Bool, Warn, kQos, {}},
    {"qos.htb.rebalance_interval_ms", Integer, Warn, kQos, {}},
    {"qos.htb.idle_timeout_secs", Integer, Warn, kQos, {}},
    {"qos.connection_limits", Table, Quiet, {}, {}},
    {"qos.connection_limits.max_connections_per_user", Integer, Warn, kQos, {}},
    {"qos.connection_limits.max_connections_global", Integer, Warn, kQos, {}},
});

// Longer unknown keys get no suggestion: the distance is quadratic and they are never typos.
constexpr std::size_t kMaxSuggestedLength = 64;

std::string_view parent_of(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view{} : path.substr(0, dot);
}

std::string_view leaf_of(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

std::string lowered(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Optimal string alignment distance: edits, plus swaps of two neighbouring characters.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> before(b.size() + 1);
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    previous[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::size_t allowed_distance(std::size_t length) {
  if (length <= 4) return 1;
  return length <= 10 ? 2 : 3;
}

std::string in_table(std::string_view table) {
  return table.empty() ? std::string(" at the top level") : " in [" + std::string(table) + "]";
}

}  // namespace

const KeySpec* find_key_spec(std::string_view path) {
  const auto* found = std::find_if(kKeys.begin(), kKeys.end(),
                                   [path](const KeySpec& spec) { return spec.path == path; });
  return found == kKeys.end() ? nullptr : found;
}

std::string suggest_key(std::string_view table_path, std::string_view key) {
  if (key.size() > kMaxSuggestedLength) return {};
  const std::string wanted = lowered(key);
  const KeySpec* best = nullptr;
  std::size_t best_distance = allowed_distance(key.size()) + 1;
  // A near miss in the same table first; then the key, or a near miss, in another table.
  for (const bool same_table : {true, false}) {
    for (const KeySpec& spec : kKeys) {
      const bool here = parent_of(spec.path) == table_path;
      if (here != same_table || (!here && spec.handling == Quiet)) continue;
      const std::size_t distance = edit_distance(wanted, leaf_of(spec.path));
      if (distance < best_distance) {
        best = &spec;
        best_distance = distance;
      }
    }
    if (best == nullptr) continue;
    const std::string name = "did you mean '" + std::string(leaf_of(best->path)) + "'";
    return same_table ? name + "?" : name + in_table(parent_of(best->path)) + "?";
  }
  return {};
}

}  // namespace rustsocks::config

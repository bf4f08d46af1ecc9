// Second pass: the values of the implemented keys, checked against their bounds and stored in a
// Config. Keys of the wrong type were reported by check_keys() and are skipped here. [auth] is
// read_auth()'s (read_auth.cpp, read_users.cpp); the helpers they share are here.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "config/key_spec.hpp"

namespace rustsocks::config {
namespace {

constexpr Bounds kPort{.min = 0, .max = 65535};  // 0: an ephemeral port (tests)
constexpr Bounds kMaxConnections{.min = 1, .max = 1'000'000};
constexpr Bounds kWorkers{.min = 0, .max = 256};
constexpr Bounds kTimeoutMs{.min = 100, .max = 300'000};
constexpr Bounds kIdleSecs{.min = 0, .max = 604'800};
constexpr Bounds kGraceSecs{.min = 0, .max = 3600};
constexpr Bounds kBacklog{.min = 1, .max = 65535};
constexpr Bounds kAcceptSecs{.min = 1, .max = 3600};
constexpr Bounds kUdpIdleSecs{.min = 0, .max = 86'400};
constexpr Bounds kDatagram{.min = 512, .max = 65'507};  // 65 507: the largest IPv4 UDP payload
constexpr Bounds kDatagramRate{.min = 0, .max = 10'000'000};
constexpr std::size_t kMaxAccountName = 32;

constexpr auto kLevels =
    std::to_array<std::string_view>({"trace", "debug", "info", "warn", "error", "critical", "off"});

const toml::node* node_at(const toml::table& root, std::string_view path) {
  return root.at_path(path).node();
}

const toml::value<std::string>* string_at(const toml::table& root, std::string_view path) {
  return root.at_path(path).as_string();
}

std::string lowered(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_ip_literal(const std::string& text) {
  if (text.find('\0') != std::string::npos) return false;
  std::array<unsigned char, sizeof(in6_addr)> address{};
  return inet_pton(AF_INET, text.c_str(), address.data()) == 1 ||
         inet_pton(AF_INET6, text.c_str(), address.data()) == 1;
}

// A POSIX-portable account name as useradd(8) takes it: [a-z_][a-z0-9_-]*$? and at most 32.
bool is_account_name(std::string_view name) {
  std::string_view body = name;
  if (body.size() > 1 && body.back() == '$') body.remove_suffix(1);
  const auto lower_or_underscore = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  const auto tail = [&lower_or_underscore](char c) {
    return lower_or_underscore(c) || (c >= '0' && c <= '9') || c == '-';
  };
  return !name.empty() && name.size() <= kMaxAccountName && lower_or_underscore(body.front()) &&
         std::all_of(body.begin() + 1, body.end(), tail);
}

void read_user(const toml::table& root, Server& server, Diagnostics& out) {
  const auto* user = string_at(root, "server.user");
  if (user == nullptr) return;
  if (is_account_name(user->get())) {
    server.user = user->get();
    return;
  }
  out.error(user->source(), key_label("server.user") +
                                " must be an account name: 1 to 32 characters of a-z, 0-9, '_' "
                                "and '-', starting with a letter or '_' (a final '$' is allowed), "
                                "got " +
                                quoted(user->get()));
}

void read_address(const toml::table& root, Server& server, Diagnostics& out) {
  const auto* address = string_at(root, "server.bind_address");
  if (address == nullptr) return;
  if (is_ip_literal(address->get())) {
    server.bind_address = address->get();
    return;
  }
  out.error(address->source(), key_label("server.bind_address") +
                                   " must be an IPv4 or IPv6 literal such as \"127.0.0.1\" or "
                                   "\"::1\" (no hostnames, no brackets), got " +
                                   quoted(address->get()));
}

// BIND and UDP ASSOCIATE: the address their sockets bind to and report, and their limits.
void read_relay_keys(const toml::table& root, Server& server, Diagnostics& out) {
  if (const auto* address = string_at(root, "server.external_address")) {
    if (address->get().empty() || is_ip_literal(address->get())) {
      server.external_address = address->get();
    } else {
      out.error(address->source(), key_label("server.external_address") +
                                       " must be \"\" or an IPv4 or IPv6 literal (no hostnames, "
                                       "no brackets), got " +
                                       quoted(address->get()));
    }
  }
  if (auto secs = read_integer(root, "server.bind_accept_timeout_secs", kAcceptSecs, out)) {
    server.bind_accept_timeout = std::chrono::seconds{*secs};
  }
  if (auto secs = read_integer(root, "server.udp_idle_timeout_secs", kUdpIdleSecs, out)) {
    server.udp_idle_timeout = std::chrono::seconds{*secs};
  }
  if (auto bytes = read_integer(root, "server.udp_max_datagram_bytes", kDatagram, out)) {
    server.udp_max_datagram = static_cast<std::size_t>(*bytes);
  }
  if (auto rate = read_integer(root, "server.udp_rate_limit_pps", kDatagramRate, out)) {
    server.udp_rate_limit = static_cast<std::uint32_t>(*rate);
  }
}

void read_limits(const toml::table& root, Server& server, Diagnostics& out) {
  if (auto port = read_integer(root, "server.bind_port", kPort, out)) {
    server.bind_port = static_cast<std::uint16_t>(*port);
  }
  if (auto count = read_integer(root, "server.max_connections", kMaxConnections, out)) {
    server.max_connections = static_cast<std::size_t>(*count);
  }
  if (auto workers = read_integer(root, "server.workers", kWorkers, out)) {
    server.workers = static_cast<unsigned>(*workers);
  }
  if (auto backlog = read_integer(root, "server.listen_backlog", kBacklog, out)) {
    server.listen_backlog = static_cast<int>(*backlog);
  }
  if (const auto* splice = root.at_path("server.splice").as_boolean()) {
    server.splice = splice->get();
  }
}

// [server.pool] connect_timeout_ms is RustSocks' timeout for every upstream connect, so it counts
// when [server] connect_timeout_ms is absent.
void read_connect_timeout(const toml::table& root, Server& server, Diagnostics& out) {
  const auto own = read_integer(root, "server.connect_timeout_ms", kTimeoutMs, out);
  const auto pooled = read_integer(root, "server.pool.connect_timeout_ms", kTimeoutMs, out);
  const toml::node* own_node = node_at(root, "server.connect_timeout_ms");
  const toml::node* pooled_node = node_at(root, "server.pool.connect_timeout_ms");
  if (own) {
    server.connect_timeout = std::chrono::milliseconds{*own};
  } else if (pooled && own_node == nullptr) {
    server.connect_timeout = std::chrono::milliseconds{*pooled};
  }
  if (own_node != nullptr && pooled_node != nullptr) {
    out.warning(pooled_node->source(), key_label("server.pool.connect_timeout_ms") +
                                           " is ignored: 'server.connect_timeout_ms' is set too, "
                                           "and it wins");
  }
}

void read_timeouts(const toml::table& root, Server& server, Diagnostics& out) {
  if (auto ms = read_integer(root, "server.handshake_timeout_ms", kTimeoutMs, out)) {
    server.handshake_timeout = std::chrono::milliseconds{*ms};
  }
  if (auto ms = read_integer(root, "server.dns_timeout_ms", kTimeoutMs, out)) {
    server.dns_timeout = std::chrono::milliseconds{*ms};
  }
  if (auto secs = read_integer(root, "server.idle_timeout_secs", kIdleSecs, out)) {
    server.idle_timeout = std::chrono::seconds{*secs};
  }
  if (auto secs = read_integer(root, "server.shutdown_grace_secs", kGraceSecs, out)) {
    server.shutdown_grace = std::chrono::seconds{*secs};
  }
  read_connect_timeout(root, server, out);
}

std::optional<std::string> read_level(const toml::table& root, std::string_view path,
                                      Diagnostics& out) {
  const auto* value = string_at(root, path);
  if (value == nullptr) return std::nullopt;
  std::string level = lowered(value->get());
  if (level == "warning") level = "warn";
  if (std::find(kLevels.begin(), kLevels.end(), level) != kLevels.end()) return level;
  out.error(value->source(), key_label(path) +
                                 " must be one of trace, debug, info, warn (or warning), error, "
                                 "critical, off; got " +
                                 quoted(value->get()));
  return std::nullopt;
}

void read_format(const toml::table& root, Logging& logging, Diagnostics& out) {
  const auto* format = string_at(root, "logging.format");
  if (format == nullptr) return;
  const std::string name = lowered(format->get());
  if (name == "pretty" || name == "json") {
    logging.format = name == "json" ? LogFormat::Json : LogFormat::Pretty;
    return;
  }
  out.error(format->source(), key_label("logging.format") + R"( must be "pretty" or "json", got )" +
                                  quoted(format->get()));
}

void read_logging(const toml::table& root, Logging& logging, Diagnostics& out) {
  const auto legacy = read_level(root, "log_level", out);
  const auto level = read_level(root, "logging.level", out);
  if (level) {
    logging.level = *level;
  } else if (legacy && node_at(root, "logging.level") == nullptr) {
    logging.level = *legacy;
  }
  const toml::node* legacy_node = string_at(root, "log_level");
  if (legacy_node != nullptr && string_at(root, "logging.level") != nullptr) {
    out.warning(legacy_node->source(), key_label("log_level") +
                                           " is ignored: 'logging.level' in [logging] is set too, "
                                           "and it wins");
  }
  read_format(root, logging, out);
  if (const auto* file = string_at(root, "logging.file")) {
    if (file->get().find('\0') == std::string::npos) {
      logging.file = file->get();
    } else {
      out.error(file->source(), key_label("logging.file") + " must not contain a NUL character");
    }
  }
}

}  // namespace

// nullopt when absent, of the wrong type (already reported) or out of bounds (reported here).
std::optional<std::int64_t> read_integer(const toml::table& root, std::string_view path,
                                         Bounds bounds, Diagnostics& out) {
  const auto* value = root.at_path(path).as_integer();
  if (value == nullptr) return std::nullopt;
  const std::int64_t number = value->get();
  if (number >= bounds.min && number <= bounds.max) return number;
  out.error(value->source(), key_label(path) + " must be between " + std::to_string(bounds.min) +
                                 " and " + std::to_string(bounds.max) + ", got " +
                                 std::to_string(number));
  return std::nullopt;
}

std::string_view aliased_path(const toml::table& root, std::string_view key, std::string_view alias,
                              Diagnostics& out) {
  const toml::node* alias_node = node_at(root, alias);
  if (node_at(root, key) == nullptr) return alias_node == nullptr ? key : alias;
  if (alias_node != nullptr) {
    const auto dot = key.rfind('.');
    const bool same_table = dot == alias.rfind('.') && key.substr(0, dot) == alias.substr(0, dot);
    const std::string winner = same_table ? "'" + std::string(key) + "'" : key_label(key);
    out.warning(alias_node->source(),
                key_label(alias) + " is ignored: " + winner + " is set too, and it wins");
  }
  return key;
}

bool is_plain_text(std::string_view text, std::size_t max_bytes) {
  return !text.empty() && text.size() <= max_bytes && text.find('\0') == std::string_view::npos;
}

Config read_settings(const toml::table& root, Diagnostics& out) {
  Config config;
  read_user(root, config.server, out);
  read_address(root, config.server, out);
  read_limits(root, config.server, out);
  read_timeouts(root, config.server, out);
  read_relay_keys(root, config.server, out);
  read_logging(root, config.logging, out);
  read_auth(root, config.auth, out);
  read_api(root, config.api, out);
  read_acl(root, config.acl, out);
  return config;
}

}  // namespace rustsocks::config

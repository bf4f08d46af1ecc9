// The management API's keys: RustSocks' [sessions] stats_api_enabled, stats_api_bind_address,
// stats_api_port and base_path, and our [api] table (tokens, token_file, limits). The token file
// is read here, at load, so a missing file stops the start like any other config error. Tokens
// are secrets: no message ever shows one.
#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "config/key_spec.hpp"

namespace rustsocks::config {
namespace {

constexpr Bounds kApiPort{.min = 0, .max = 65535};
constexpr Bounds kApiConnections{.min = 1, .max = 10'000};
constexpr Bounds kReadTimeoutMs{.min = 100, .max = 300'000};
constexpr Bounds kRequestsPerSecond{.min = 1, .max = 100'000};
constexpr Bounds kPamTestsPerMinute{.min = 1, .max = 600};
constexpr std::size_t kMinToken = 16;
constexpr std::size_t kMaxToken = 256;
constexpr std::size_t kMaxBasePath = 128;
constexpr std::size_t kMaxTokenFile = 1024UL * 1024;
constexpr std::string_view kTokenRule =
    "must be 16 to 256 printable ASCII characters without spaces (value not shown)";

bool is_token(std::string_view token) {
  return token.size() >= kMinToken && token.size() <= kMaxToken &&
         std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// 127.0.0.0/8, ::1 and IPv4-mapped 127.x: the only addresses an API without token may use.
bool is_loopback(const std::string& text) {
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24U) == 127U;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;  // NOLINT(*-array-index)
}

bool is_ip_literal(const std::string& text) {
  std::array<unsigned char, sizeof(in6_addr)> address{};
  return text.find('\0') == std::string::npos &&
         (inet_pton(AF_INET, text.c_str(), address.data()) == 1 ||
          inet_pton(AF_INET6, text.c_str(), address.data()) == 1);
}

// RustSocks' rules: non-empty, no whitespace; duplicate slashes collapsed, trailing slash
// removed, a leading one added. Only URL-safe path characters, so it can be matched literally.
std::optional<std::string> normalise_base_path(std::string_view text) {
  if (text.empty() || text.size() > kMaxBasePath) return std::nullopt;
  std::string out = "/";
  for (const char c : text) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view("-._~/").find(c) != std::string_view::npos;
    if (!safe) return std::nullopt;
    if (c == '/' && out.back() == '/') continue;
    out += c;
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

void read_sessions_keys(const toml::table& root, Api& api, Diagnostics& out) {
  if (const auto* on = root.at_path("sessions.stats_api_enabled").as_boolean()) {
    api.enabled = on->get();
  }
  if (const auto* address = root.at_path("sessions.stats_api_bind_address").as_string()) {
    if (is_ip_literal(address->get())) {
      api.bind_address = address->get();
    } else {
      out.error(address->source(), key_label("sessions.stats_api_bind_address") +
                                       " must be an IPv4 or IPv6 literal such as \"127.0.0.1\" "
                                       "(no hostnames, no brackets), got " +
                                       quoted(address->get()));
    }
  }
  if (auto port = read_integer(root, "sessions.stats_api_port", kApiPort, out)) {
    api.port = static_cast<std::uint16_t>(*port);
  }
  if (const auto* base = root.at_path("sessions.base_path").as_string()) {
    if (auto normal = normalise_base_path(base->get())) {
      api.base_path = *normal;
    } else {
      out.error(base->source(), key_label("sessions.base_path") +
                                    " must be 1 to 128 characters of a-z, A-Z, 0-9, '-', '.', "
                                    "'_', '~' and '/', got " +
                                    quoted(base->get()));
    }
  }
}

void read_token_file(const toml::value<std::string>& file, Api& api, Diagnostics& out) {
  const std::string& path = file.get();
  const std::string label = key_label("api.token_file");
  errno = 0;
  std::ifstream in(path);
  const int error = errno;
  if (path.find('\0') != std::string::npos || !in) {
    out.error(file.source(), label + ": cannot read the token file " + quoted(path) + ": " +
                                 (error != 0 ? std::generic_category().message(error)
                                             : std::string("cannot open it")));
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad() || text.str().size() > kMaxTokenFile) {
    out.error(file.source(), label + ": cannot read the token file " + quoted(path) +
                                 " (unreadable or over 1 MiB)");
    return;
  }
  std::istringstream lines(text.str());
  std::size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto last = line.find_last_not_of(" \t\r");
    std::string token = line.substr(first, last - first + 1);
    if (!is_token(token)) {
      out.error(file.source(), label + ": line " + std::to_string(number) + " of " + quoted(path) +
                                   " " + std::string(kTokenRule));
      continue;
    }
    api.tokens.push_back(std::move(token));
  }
  api.token_file = path;
}

void read_api_table(const toml::table& root, Api& api, Diagnostics& out) {
  if (const auto* tokens = root.at_path("api.tokens").as_array()) {
    std::size_t index = 0;
    for (const toml::node& each : *tokens) {
      const auto* token = each.as_string();
      if (token == nullptr) break;  // wrong element type: reported by check_keys()
      if (is_token(token->get())) {
        api.tokens.push_back(token->get());
      } else {
        out.error(each.source(), key_label("api.tokens") + ": entry " + std::to_string(index + 1) +
                                     " " + std::string(kTokenRule));
      }
      ++index;
    }
  }
  if (const auto* file = root.at_path("api.token_file").as_string();
      file != nullptr && !file->get().empty()) {
    read_token_file(*file, api, out);
  }
  if (const auto* on = root.at_path("api.metrics_require_token").as_boolean()) {
    api.metrics_require_token = on->get();
  }
  if (const auto* on = root.at_path("api.pam_test_enabled").as_boolean()) {
    api.pam_test_enabled = on->get();
  }
  if (auto n = read_integer(root, "api.max_connections", kApiConnections, out)) {
    api.max_connections = static_cast<std::size_t>(*n);
  }
  if (auto ms = read_integer(root, "api.read_timeout_ms", kReadTimeoutMs, out)) {
    api.read_timeout = std::chrono::milliseconds{*ms};
  }
  if (auto n = read_integer(root, "api.requests_per_second", kRequestsPerSecond, out)) {
    api.requests_per_second = static_cast<unsigned>(*n);
  }
  if (auto n = read_integer(root, "api.pam_tests_per_minute", kPamTestsPerMinute, out)) {
    api.pam_tests_per_minute = static_cast<unsigned>(*n);
  }
}

}  // namespace

void read_api(const toml::table& root, Api& api, Diagnostics& out) {
  read_sessions_keys(root, api, out);
  read_api_table(root, api, out);
  if (!api.enabled || !api.tokens.empty() || is_loopback(api.bind_address)) return;
  const toml::node* where = root.at_path("sessions.stats_api_bind_address").node();
  if (where == nullptr) where = root.at_path("sessions.stats_api_enabled").node();
  if (where == nullptr) return;
  out.error(where->source(),
            key_label("sessions.stats_api_bind_address") + " is " + quoted(api.bind_address) +
                ", not a loopback address, and no API token is set: anyone who can reach it "
                "could use the API. Set [api] tokens or token_file, or bind to 127.0.0.1");
}

}  // namespace rustsocks::config

// [auth], [auth.lockout] and [auth.pam]: the two methods (with RustSocks' alias `method`), the PAM
// service names (with RustSocks' [auth.pam] names as aliases), delays, lockout, caches, and the
// checks between the methods and what they need. [[auth.users]] entries are read_users()'.
#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "config/key_spec.hpp"

namespace rustsocks::config {
namespace {

constexpr Bounds kFailureDelayMs{.min = 0, .max = 10'000};
constexpr Bounds kCacheTtlSecs{.min = 0, .max = 86'400};
constexpr Bounds kMaxFailures{.min = 1, .max = 1000};
constexpr Bounds kWindowSecs{.min = 1, .max = 86'400};
constexpr Bounds kLockoutSecs{.min = 1, .max = 604'800};
constexpr Bounds kMonitorWorkers{.min = 1, .max = 64};
constexpr Bounds kPamTimeoutMs{.min = 100, .max = 300'000};
constexpr std::size_t kMaxServiceName = 64;
constexpr std::size_t kMaxPamName = 255;

struct SocksName {
  std::string_view name;
  SocksMethod method;
};

constexpr auto kSocksMethods =
    std::to_array<SocksName>({{"none", SocksMethod::None},
                              {"userpass", SocksMethod::UserPass},
                              {"pam.address", SocksMethod::PamAddress},
                              {"pam.username", SocksMethod::PamUsername}});

// Which of socks_method and its alias `method` counts (set or not), and whether its value was
// usable: the default when absent, else false when it was rejected or of the wrong type.
struct SocksKey {
  std::string_view path;
  bool valid = true;
};

const toml::value<std::string>* string_at(const toml::table& root, std::string_view path) {
  return root.at_path(path).as_string();
}

std::optional<SocksMethod> parse_socks_method(const toml::table& root, std::string_view path,
                                              Diagnostics& out) {
  const auto* value = string_at(root, path);
  if (value == nullptr) return std::nullopt;
  const auto* found = std::find_if(kSocksMethods.begin(), kSocksMethods.end(),
                                   [value](const SocksName& each) { return each.name == **value; });
  if (found != kSocksMethods.end()) return found->method;
  if (value->get() == "gssapi") {
    out.error(value->source(), key_label(path) +
                                   " is \"gssapi\", which is not supported: GSSAPI is not "
                                   "implemented in this build (use \"none\", \"userpass\", "
                                   "\"pam.address\" or \"pam.username\")");
  } else {
    out.error(value->source(),
              key_label(path) +
                  R"( must be "none", "userpass", "pam.address" or "pam.username", got )" +
                  quoted(value->get()));
  }
  return std::nullopt;
}

std::optional<ClientMethod> parse_client_method(const toml::table& root, std::string_view path,
                                                Diagnostics& out) {
  const auto* value = string_at(root, path);
  if (value == nullptr) return std::nullopt;
  if (value->get() == "none") return ClientMethod::None;
  if (value->get() == "pam.address") return ClientMethod::PamAddress;
  out.error(value->source(),
            key_label(path) + R"( must be "none" or "pam.address", got )" + quoted(value->get()));
  return std::nullopt;
}

SocksKey read_methods(const toml::table& root, Auth& auth, Diagnostics& out) {
  SocksKey key{aliased_path(root, "auth.socks_method", "auth.method", out)};
  key.valid = root.at_path(key.path).node() == nullptr;
  for (const std::string_view path : {"auth.socks_method", "auth.method"}) {
    const auto method = parse_socks_method(root, path, out);
    if (method && path == key.path) {
      auth.socks_method = *method;
      key.valid = true;
    }
  }
  if (const auto method = parse_client_method(root, "auth.client_method", out)) {
    auth.client_method = *method;
  }
  return key;
}

// A file name in /etc/pam.d: libpam joins it to the directory as it is. "" means unset; whether a
// method needs it is need_service()'s question.
bool is_service_name(std::string_view name) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  };
  return name.size() <= kMaxServiceName && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), allowed);
}

// Reads `key` and its alias into `service`; returns the path that counts.
std::string_view read_service(const toml::table& root, std::string_view key, std::string_view alias,
                              std::string& service, Diagnostics& out) {
  const std::string_view counted = aliased_path(root, key, alias, out);
  for (const std::string_view path : {key, alias}) {
    const auto* value = string_at(root, path);
    if (value == nullptr) continue;
    if (!is_service_name(value->get())) {
      out.error(value->source(), key_label(path) +
                                     " must be a PAM service name (a file in /etc/pam.d): up to "
                                     "64 characters of A-Z, a-z, 0-9, '.', '_' and '-', not \".\" "
                                     "or \"..\"; got " +
                                     quoted(value->get()));
    } else if (path == counted) {
      service = value->get();
    }
  }
  return counted;
}

void read_pam_name(const toml::table& root, std::string_view path, std::string& name,
                   Diagnostics& out) {
  const auto* value = string_at(root, path);
  if (value == nullptr) return;
  if (is_plain_text(value->get(), kMaxPamName)) {
    name = value->get();
    return;
  }
  out.error(value->source(), key_label(path) +
                                 " must be 1 to 255 bytes with no NUL character, got " +
                                 quoted(value->get()));
}

void read_bool(const toml::table& root, std::string_view path, bool& flag) {
  if (const auto* value = root.at_path(path).as_boolean()) flag = value->get();
}

template <class Duration>
void read_duration(const toml::table& root, std::string_view path, Bounds bounds,
                   Duration& duration, Diagnostics& out) {
  if (const auto count = read_integer(root, path, bounds, out)) duration = Duration{*count};
}

void read_count(const toml::table& root, std::string_view path, Bounds bounds, unsigned& count,
                Diagnostics& out) {
  if (const auto value = read_integer(root, path, bounds, out)) {
    count = static_cast<unsigned>(*value);
  }
}

void read_pam(const toml::table& root, Pam& pam, Diagnostics& out) {
  read_pam_name(root, "auth.pam.default_user", pam.default_user, out);
  read_pam_name(root, "auth.pam.default_ruser", pam.default_ruser, out);
  read_bool(root, "auth.pam.verbose", pam.verbose);
  read_bool(root, "auth.pam.verify_service", pam.verify_service);
  read_count(root, "auth.pam.monitor_workers", kMonitorWorkers, pam.monitor_workers, out);
  read_duration(root, "auth.pam.timeout_ms", kPamTimeoutMs, pam.timeout, out);
  read_duration(root, "auth.pam.cache_ttl_secs", kCacheTtlSecs, pam.cache_ttl, out);
}

void read_limits(const toml::table& root, Auth& auth, Diagnostics& out) {
  read_duration(root, "auth.failure_delay_ms", kFailureDelayMs, auth.failure_delay, out);
  read_duration(root, "auth.userpass_cache_ttl_secs", kCacheTtlSecs, auth.userpass_cache_ttl, out);
  read_bool(root, "auth.lockout.enabled", auth.lockout.enabled);
  read_count(root, "auth.lockout.max_failures", kMaxFailures, auth.lockout.max_failures, out);
  read_duration(root, "auth.lockout.window_secs", kWindowSecs, auth.lockout.window, out);
  read_duration(root, "auth.lockout.duration_secs", kLockoutSecs, auth.lockout.duration, out);
}

std::string_view socks_name(SocksMethod method) {
  const auto* found =
      std::find_if(kSocksMethods.begin(), kSocksMethods.end(),
                   [method](const SocksName& each) { return each.method == method; });
  return found->name;
}

// A PAM method with an empty service name would hand "" to pam_start(): an error at the method.
void need_service(const toml::table& root, std::string_view method_path,
                  std::string_view service_path, const std::string& service, Diagnostics& out) {
  const auto* method = string_at(root, method_path);
  if (!service.empty() || method == nullptr) return;
  out.error(method->source(), key_label(method_path) + " is " + quoted(method->get()) +
                                  ", which needs a PAM service, but " + key_label(service_path) +
                                  " is empty");
}

// RustSocks ran socks_method "pam.address" with [auth.pam] address_service; here the SOCKS tier
// always uses socks_pam_service, so a file relying on the default gets told which service runs.
void note_socks_pam_address(const toml::table& root, std::string_view method_path,
                            std::string_view service_path, const Auth& auth, Diagnostics& out) {
  const toml::node* service = root.at_path(service_path).node();
  const auto* method = string_at(root, method_path);
  if (service != nullptr || method == nullptr) return;
  out.warning(method->source(),
              key_label(method_path) +
                  " is \"pam.address\", which runs the SOCKS-tier PAM service " +
                  quoted(auth.socks_pam_service) +
                  " ('auth.socks_pam_service'), not [auth.pam] address_service as in RustSocks; "
                  "set socks_pam_service to choose it");
}

// userpass needs users; users without userpass are unused. Skipped when the method was rejected.
void check_users(const toml::table& root, SocksKey socks, const Auth& auth, Diagnostics& out) {
  if (!socks.valid) return;
  const std::string_view method_path = socks.path;
  const auto* method = string_at(root, method_path);
  const toml::array* users = root.at_path("auth.users").as_array();
  const bool has_users = users != nullptr && !users->empty();
  if (auth.socks_method == SocksMethod::UserPass && !has_users) {
    out.error(method->source(), key_label(method_path) +
                                    " is \"userpass\", but there is no [[auth.users]] entry; add "
                                    "at least one user");
  } else if (auth.socks_method != SocksMethod::UserPass && has_users) {
    out.warning(root.at_path("auth").as_table()->find("users")->first.source(),
                key_label("auth.users") +
                    " is ignored: only socks_method \"userpass\" uses these users, and "
                    "socks_method is " +
                    quoted(socks_name(auth.socks_method)));
  }
}

}  // namespace

void read_auth(const toml::table& root, Auth& auth, Diagnostics& out) {
  const SocksKey socks = read_methods(root, auth, out);
  const std::string_view client_service = read_service(
      root, "auth.client_pam_service", "auth.pam.address_service", auth.client_pam_service, out);
  const std::string_view socks_service = read_service(
      root, "auth.socks_pam_service", "auth.pam.username_service", auth.socks_pam_service, out);
  read_limits(root, auth, out);
  read_pam(root, auth.pam, out);
  read_users(root, auth, out);
  if (auth.client_method == ClientMethod::PamAddress) {
    need_service(root, "auth.client_method", client_service, auth.client_pam_service, out);
  }
  if (auth.socks_method == SocksMethod::PamAddress ||
      auth.socks_method == SocksMethod::PamUsername) {
    need_service(root, socks.path, socks_service, auth.socks_pam_service, out);
  }
  if (auth.socks_method == SocksMethod::PamAddress) {
    note_socks_pam_address(root, socks.path, socks_service, auth, out);
  }
  check_users(root, socks, auth, out);
}

const char* method_name(ClientMethod method) {
  return method == ClientMethod::PamAddress ? "pam.address" : "none";
}

const char* method_name(SocksMethod method) {
  switch (method) {
    case SocksMethod::None:
      return "none";
    case SocksMethod::UserPass:
      return "userpass";
    case SocksMethod::PamAddress:
      return "pam.address";
    case SocksMethod::PamUsername:
      return "pam.username";
  }
  return "unknown";
}

}  // namespace rustsocks::config

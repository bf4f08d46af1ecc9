#include "api/core_routes.hpp"

#include <array>
#include <memory>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "api/config_json.hpp"
#include "api/openapi.hpp"
#include "core/log.hpp"
#include "metrics/exposition.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/registry.hpp"

namespace rustsocks::api {
namespace {

using nlohmann::json;
using Shared = std::shared_ptr<const CoreServices>;
constexpr std::size_t kMaxPamText = 255;

double uptime_seconds(const ServerView& server) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - server.started).count();
}

const char* monitor_state(const PamView& pam) {
  if (pam.services.empty() || !pam.monitor_alive) return "not_used";
  return pam.monitor_alive() ? "running" : "down";
}

Response health(const Shared& s) {
  auto report = s->health.evaluate();
  json body{{"status", report.ok ? "ok" : "unavailable"},
            {"version", s->server.version},
            {"uptime_seconds", uptime_seconds(s->server)},
            {"checks", report.checks}};
  if (!report.ok) body["failing"] = report.failing;
  return json_response(report.ok ? 200 : 503, body);
}

Response metrics_text() {
  Response response;
  response.content_type = std::string(metrics::kContentType);
  response.body = metrics::registry().render();
  return response;
}

Response status(const Shared& s) {
  json body{{"version", s->server.version},
            {"uptime_seconds", uptime_seconds(s->server)},
            {"workers", s->server.workers},
            {"sessions_active", s->server.sessions_active ? s->server.sessions_active() : 0},
            {"sessions_total", s->server.sessions_total ? s->server.sessions_total() : 0}};
  auto open = metrics::open_fds();
  auto limit = metrics::max_fds();
  body["open_files"] = open ? json(*open) : json(nullptr);
  body["open_files_limit"] = limit ? json(*limit) : json(nullptr);
  return json_response(200, body);
}

Response auth_method(const Shared& s) {
  const json auth = config_json(s->config)["auth"];
  return json_response(200, {{"client_method", auth["client_method"]},
                             {"socks_method", auth["socks_method"]},
                             {"pam_services", s->pam.services}});
}

Response pam_status(const Shared& s) {
  json services = json::array();
  const char* monitor = monitor_state(s->pam);
  for (const auto& name : s->pam.services) {
    auto file = s->pam.service_file ? s->pam.service_file(name) : std::nullopt;
    services.push_back({{"name", name},
                        {"file", file ? json(*file) : json(nullptr)},
                        {"file_exists", file.has_value()},
                        {"monitor", monitor}});
  }
  return json_response(200, {{"services", services},
                             {"monitor", monitor},
                             {"uid", ::getuid()},
                             {"gid", ::getgid()},
                             {"euid", ::geteuid()},
                             {"egid", ::getegid()}});
}

bool is_ip_literal(const std::string& text) {
  std::array<unsigned char, sizeof(in6_addr)> address{};
  return text.find('\0') == std::string::npos &&
         (inet_pton(AF_INET, text.c_str(), address.data()) == 1 ||
          inet_pton(AF_INET6, text.c_str(), address.data()) == 1);
}

bool is_pam_text(const json& value) {
  if (!value.is_string()) return false;
  const auto& text = value.get_ref<const std::string&>();
  return !text.empty() && text.size() <= kMaxPamText && text.find('\0') == std::string::npos;
}

// The test to run, or nullopt with `error` set (400 for the body, 409 for an unused method).
std::optional<PamTestRequest> pam_test_request(const config::Auth& auth, const Request& request,
                                               Response& error) {
  auto body = parse_json_object(request, error);
  if (!body) return std::nullopt;
  PamTestRequest test;
  test.peer = request.peer;
  if (body->contains("address")) {
    const auto& address = (*body)["address"];
    if (!address.is_string() || !is_ip_literal(address.get<std::string>())) {
      error = error_response(400, "bad_request", "\"address\" must be an IPv4 or IPv6 literal");
      return std::nullopt;
    }
    if (auth.client_method != config::ClientMethod::PamAddress &&
        auth.socks_method != config::SocksMethod::PamAddress) {
      error = error_response(409, "method_not_in_use", "no pam.address method is configured");
      return std::nullopt;
    }
    test.by_address = true;
    test.address = address.get<std::string>();
    return test;
  }
  if (!is_pam_text(body->value("username", json())) ||
      !is_pam_text(body->value("password", json()))) {
    error = error_response(400, "bad_request",
                           "give \"username\" and \"password\" (1 to 255 bytes each) or "
                           "\"address\"");
    return std::nullopt;
  }
  if (auth.socks_method != config::SocksMethod::PamUsername) {
    error = error_response(409, "method_not_in_use", "socks_method is not pam.username");
    return std::nullopt;
  }
  test.username = (*body)["username"].get<std::string>();
  test.password = (*body)["password"].get<std::string>();
  return test;
}

void pam_test(const Shared& s, const Request& request, const Reply& reply) {
  if (!s->config.api.pam_test_enabled || !s->pam_tester) {
    return reply(
        error_response(403, "disabled", "the PAM test is off ([api] pam_test_enabled = false)"));
  }
  Response error;
  auto test = pam_test_request(s->config.auth, request, error);
  if (!test) return reply(std::move(error));
  const std::string what =
      test->by_address ? "address " + test->address : "user " + core::printable(test->username);
  spdlog::info("api: PAM test from {} for {}", request.peer, what);
  auto done = [reply, what](PamTestResult result) {
    spdlog::info("api: PAM test for {}: {} ({} ms)", what, result.result, result.duration.count());
    reply(json_response(200, {{"success", result.success},
                              {"result", result.result},
                              {"duration_ms", result.duration.count()}}));
  };
  s->pam_tester(std::move(*test), std::move(done));
}

json pam_test_schema() {
  return {
      {"oneOf",
       json::array({{{"type", "object"},
                     {"required", {"username", "password"}},
                     {"properties",
                      {{"username", {{"type", "string"}}}, {"password", {{"type", "string"}}}}}},
                    {{"type", "object"},
                     {"required", {"address"}},
                     {"properties", {{"address", {{"type", "string"}}}}}}})}};
}

}  // namespace

void add_core_routes(Router& router, CoreServices services) {
  auto s = std::make_shared<const CoreServices>(std::move(services));
  router.add({.method = Method::Get,
              .path = "/health",
              .access = Access::Open,
              .summary = "Liveness and readiness: 200, or 503 naming the failing checks"},
             [s](const Request&) { return health(s); });
  router.add({.method = Method::Get,
              .path = "/metrics",
              .access = Access::Metrics,
              .summary = "Prometheus text format 0.0.4",
              .response_type = std::string(metrics::kContentType)},
             [](const Request&) { return metrics_text(); });
  router.add(
      {.path = "/api/status", .summary = "Version, uptime, workers, sessions, open files vs limit"},
      [s](const Request&) { return status(s); });
  router.add({.path = "/api/config", .summary = "The effective configuration, secrets redacted"},
             [s](const Request&) { return json_response(200, config_json(s->config)); });
  router.add({.path = "/api/auth/method",
              .summary = "Client and SOCKS authentication methods and PAM services in use"},
             [s](const Request&) { return auth_method(s); });
  router.add({.path = "/api/auth/pam/status",
              .summary = "Each PAM service in use, its file, the monitor's state; uid and gid"},
             [s](const Request&) { return pam_status(s); });
  router.add_async(
      {.method = Method::Post,
       .path = "/api/auth/pam/test",
       .summary = "One PAM check through the real login path (off by default)",
       .request_schema = pam_test_schema(),
       .per_minute = s->config.api.pam_tests_per_minute},
      [s](const Request& request, const Reply& reply) { pam_test(s, request, reply); });
  const Router* self = &router;
  router.add({.path = "/api/openapi.json", .summary = "This API as an OpenAPI 3 document"},
             [self, s](const Request&) {
               return json_response(200, openapi_document(*self, s->server.version));
             });
}

}  // namespace rustsocks::api

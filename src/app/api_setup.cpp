#include "app/api_setup.hpp"

#include <atomic>

#include "api/core_routes.hpp"
#include "app/acl_api.hpp"
#include "core/log.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/registry.hpp"
#include "session/session_metrics.hpp"

namespace rustsocks::app {
namespace {

using Workers = std::vector<std::unique_ptr<listener::Worker>>;

// POST /api/auth/pam/test goes to a worker (round robin), whose Authenticator and PAM channel
// run it exactly like a client's login; the answer is posted back to the control thread.
api::PamTester make_pam_tester(asio::io_context& control, Workers& workers) {
  auto next = std::make_shared<std::size_t>(0);
  return [&control, &workers, next](api::PamTestRequest request,
                                    std::function<void(api::PamTestResult)> done) {
    auto& worker = *workers[(*next)++ % workers.size()];
    listener::LoginTest test{.by_address = request.by_address,
                             .username = std::move(request.username),
                             .password = std::move(request.password),
                             .address = std::move(request.address),
                             .peer = std::move(request.peer)};
    auto back = [&control, done = std::move(done)](const listener::LoginTestResult& result) {
      api::PamTestResult answer{.success = result.verdict.ok,
                                .result = result.verdict.result,
                                .duration = result.duration};
      asio::post(control, [done, answer] { done(answer); });
    };
    worker.test_login(std::move(test), std::move(back));
  };
}

}  // namespace

std::optional<api::BoundListener> bind_api(const config::Config& config) {
  if (!config.api.enabled) return std::nullopt;
  const auto& api = config.api;
  return api::bind_api_listener(tcp::endpoint(asio::ip::make_address(api.bind_address), api.port));
}

void ApiService::add_health_checks(Workers& workers) {
  health_.add_check("listeners", [&workers]() -> std::optional<std::string> {
    std::size_t down = 0;
    for (const auto& worker : workers) {
      down += worker->accepting() ? 0U : 1U;
    }
    if (down == 0) return std::nullopt;
    return std::to_string(down) + " of " + std::to_string(workers.size()) +
           " SOCKS listeners are not accepting";
  });
  if (pam_services(config_.auth).empty()) return;
  health_.add_check("pam_monitor", [&workers]() -> std::optional<std::string> {
    for (const auto& worker : workers) {
      if (!worker->pam_alive()) return "the PAM monitor's channel is closed (monitor gone)";
    }
    return std::nullopt;
  });
}

void ApiService::start(asio::io_context& control, Workers& workers,
                       listener::ConnectionCounters& counters) {
  static const bool process_metrics = [] {  // once per process, not per run()
    metrics::register_process_metrics(metrics::registry());
    return true;
  }();
  (void)process_metrics;
  session::register_session_metrics();
  session::register_auth_metrics(config_.auth);
  if (!listener_) return;
  const auto& api = config_.api;
  router_ = std::make_unique<api::Router>(
      api::Router::Options{.base_path = api.base_path,
                           .tokens = api.tokens,
                           .metrics_require_token = api.metrics_require_token,
                           .requests_per_second = api.requests_per_second});
  add_health_checks(workers);
  api::PamView pam{.services = pam_services(config_.auth),
                   .service_file = pam_service_file,
                   .monitor_alive = [&workers] {
                     for (const auto& worker : workers) {
                       if (!worker->pam_alive()) return false;
                     }
                     return true;
                   }};
  api::ServerView server{
      .version = RUSTSOCKS_VERSION,
      .workers = static_cast<unsigned>(workers.size()),
      .sessions_active =
          [&counters] {
            return static_cast<std::int64_t>(counters.active.load(std::memory_order_relaxed));
          },
      .sessions_total = [&counters] { return counters.accepted.load(std::memory_order_relaxed); }};
  api::add_core_routes(*router_, api::CoreServices{.config = config_,
                                                   .server = std::move(server),
                                                   .pam = std::move(pam),
                                                   .pam_tester = make_pam_tester(control, workers),
                                                   .health = health_});
  // Other modules register here, before serving: router_->add(...) / add_async(...) for their
  // routes (paths under /api/ require the token), health_.add_check(...) for readiness.
  add_acl_routes(*router_, health_, acl_);
  server_ =
      std::make_unique<api::Server>(control, std::move(*listener_), *router_,
                                    api::Server::Options{.max_connections = api.max_connections,
                                                         .read_timeout = api.read_timeout});
  listener_.reset();
  server_->start();
  spdlog::info("management API on {} (base path {}, {} token(s))",
               endpoint_text(server_->endpoint()), api.base_path, api.tokens.size());
}

void ApiService::stop() {
  if (server_) server_->stop();
}

}  // namespace rustsocks::app

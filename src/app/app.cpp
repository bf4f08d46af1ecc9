#include "app/app.hpp"

#include <csignal>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "acl/watcher.hpp"
#include "app/acl_setup.hpp"
#include "app/api_setup.hpp"
#include "app/auth_setup.hpp"
#include "app/privileges.hpp"
#include "connect/resolver.hpp"
#include "core/asio.hpp"
#include "core/log.hpp"
#include "listener/worker.hpp"

namespace rustsocks::app {
namespace {

constexpr auto kDrainPoll = std::chrono::milliseconds(20);
constexpr auto kAbortWait = std::chrono::seconds(2);

// Waits (on the control loop) until no session is left or the deadline passes.
awaitable<bool> wait_drained(listener::ConnectionCounters& counters,
                             std::chrono::steady_clock::time_point deadline) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (counters.active.load(std::memory_order_relaxed) > 0) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    timer.expires_after(kDrainPoll);
    co_await timer.async_wait(kNoThrow);
  }
  co_return true;
}

awaitable<void> shutdown(std::vector<std::unique_ptr<listener::Worker>>& workers,
                         listener::ConnectionCounters& counters, std::chrono::seconds grace,
                         asio::signal_set& signals, asio::io_context& control, ApiService& api) {
  for (auto& worker : workers)
    worker->stop_accepting();
  auto live = counters.active.load(std::memory_order_relaxed);
  spdlog::info("shutting down: stopped accepting; {} live session(s), grace {} s", live,
               grace.count());
  if (!co_await wait_drained(counters, std::chrono::steady_clock::now() + grace)) {
    spdlog::warn("grace period over: closing {} session(s)",
                 counters.active.load(std::memory_order_relaxed));
    for (auto& worker : workers)
      worker->abort_sessions();
    co_await wait_drained(counters, std::chrono::steady_clock::now() + kAbortWait);
  }
  for (auto& worker : workers)
    worker->stop();
  api.stop();  // the API answered /health and /metrics during the drain
  error_code ignored;
  signals.cancel(ignored);
  control.stop();  // the signal set may still hold the loop: main goes on to join and exit
}

// SIGHUP reloads the ACL file (and is harmless without one).
void watch_hangup(asio::signal_set& hangup, acl::AclStore* store) {
  hangup.async_wait([&hangup, store](const error_code& ec, int) {
    if (ec) return;
    if (store != nullptr) {
      store->reload("SIGHUP");
    } else {
      spdlog::info("received SIGHUP: the ACL is disabled, nothing to reload");
    }
    watch_hangup(hangup, store);
  });
}

// terminate_on_reload closes the sessions new rules block; watch = true starts the watcher.
void start_acl_reloads(const config::Config& config, acl::AclStore& store,
                       std::vector<std::unique_ptr<listener::Worker>>& workers,
                       asio::io_context& control, std::optional<acl::AclWatcher>& watcher) {
  if (config.acl.terminate_on_reload) {
    store.on_replace([&workers](const std::shared_ptr<const acl::RuleSet>& rules) {
      for (auto& worker : workers)
        worker->abort_blocked(rules);
    });
  }
  if (config.acl.watch) {
    watcher.emplace(control, store);
    watcher->start();
  }
}

// One SO_REUSEPORT listener per worker; the first picks the port when 0 is configured.
std::vector<listener::Listener> bind_listeners(const config::Config& config, unsigned count) {
  std::vector<listener::Listener> out;
  tcp::endpoint endpoint(asio::ip::make_address(config.server.bind_address),
                         config.server.bind_port);
  for (unsigned i = 0; i < count; ++i) {
    out.push_back(listener::bind_listener(endpoint, config.server.listen_backlog));
    endpoint = out.front().endpoint;
  }
  return out;
}

}  // namespace

unsigned long raise_open_files_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<unsigned long>(limit.rlim_cur);
}

int run(const config::Config& config) {
  // splice() into a socket whose peer is gone raises SIGPIPE; it must be an EPIPE error instead.
  std::signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c)
  auto open_files = raise_open_files_limit();
  spdlog::info("rustsocks {} starting; open-files limit {}", RUSTSOCKS_VERSION, open_files);

  // Privileged part, before any thread exists: look up the account, bind, drop root.
  std::optional<RunAs> run_as;
  if (::geteuid() == 0) run_as = lookup_run_user(config.server.user);
  auto count = listener::worker_count(config);
  AuthServices auth(config);
  auto listeners = bind_listeners(config, count);
  auto endpoint = listeners.front().endpoint;
  auto api_listener = bind_api(config);
  auto pam_channels = auth.start_pam_monitor(count);  // forked while still root, no threads yet
  if (run_as) {
    drop_privileges(*run_as);
    spdlog::info("dropped privileges: running as {} (uid {}, gid {})", run_as->name, run_as->uid,
                 run_as->gid);
  } else {
    spdlog::info("not started as root: running as uid {}, gid {}; no privilege change", ::getuid(),
                 ::getgid());
    if (!pam_services(config.auth).empty()) {
      spdlog::warn(
          "PAM runs without root: pam_unix can then verify only the password of the account "
          "rustsocks runs as");
    }
  }
  auto& auth_shared = auth.start();
  // After the privilege drop: a file the run user cannot read fails now, not at the first reload.
  // The guard keeps clients off every port this process listens on: SOCKS and the API.
  auto own = own_endpoints(endpoint);
  if (api_listener) {
    auto api_own = own_endpoints(api_listener->endpoint);
    own.insert(own.end(), api_own.begin(), api_own.end());
  }
  auto acl_store = make_acl_store(config, std::move(own));

  listener::ConnectionCounters counters;
  auto resolver = std::make_unique<connect::Resolver>();
  asio::io_context control(1);
  ApiService api(config, std::move(api_listener), acl_store.get());
  // Signals are caught from here on: one arriving during start-up still drains cleanly.
  asio::signal_set signals(control, SIGINT, SIGTERM);
  std::vector<std::unique_ptr<listener::Worker>> workers;
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    workers.push_back(std::make_unique<listener::Worker>(
        config, *resolver, counters, std::move(listeners[i]), auth_shared,
        std::move(pam_channels[i]), acl_store.get()));
  }
  std::optional<acl::AclWatcher> watcher;
  if (acl_store) start_acl_reloads(config, *acl_store, workers, control, watcher);
  asio::signal_set hangup(control, SIGHUP);
  watch_hangup(hangup, acl_store.get());
  signals.async_wait([&](const error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("received {}: draining (send it again to close live sessions now)",
                 signal == SIGINT ? "SIGINT" : "SIGTERM");
    asio::co_spawn(control,
                   shutdown(workers, counters, config.server.shutdown_grace, signals, control, api),
                   asio::detached);
    signals.async_wait([&](const error_code& again, int) {
      if (again) return;
      spdlog::warn("second signal: closing live sessions now");
      for (auto& worker : workers)
        worker->abort_sessions();
    });
  });
  for (auto& worker : workers)
    worker->start();
  api.start(control, workers, counters);
  spdlog::info("listening on {} ({} workers, max_connections {})", endpoint_text(endpoint), count,
               config.server.max_connections);

  control.run();
  for (auto& worker : workers)
    worker->join();
  // The resolver's threads may still post a late answer: join them while the (stopped) loops
  // still exist, then destroy the loops and the sessions they hold.
  resolver.reset();
  auth.stop_threads();
  workers.clear();
  auth.stop_pam_monitor();
  spdlog::info("stopped; {} connection(s) served", counters.accepted.load());
  return 0;
}

}  // namespace rustsocks::app

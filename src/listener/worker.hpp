// One worker = one thread, one io_context, one SO_REUSEPORT acceptor. Sessions accepted here run
// here for life (no strands, no locks in session code).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "acl/acl_store.hpp"
#include "config/config.hpp"
#include "connect/resolver.hpp"
#include "core/asio.hpp"
#include "core/unique_fd.hpp"
#include "relay/idle_watch.hpp"
#include "relay/pipe_pool.hpp"
#include "session/authenticator.hpp"
#include "session/live_sessions.hpp"

namespace rustsocks::listener {

// Counters shared by all workers (relaxed atomics).
struct ConnectionCounters {
  std::atomic<std::size_t> active{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> rejected_limit{0};
  std::atomic<std::uint64_t> accept_errors{0};
};

// One login check asked for through the API (POST /api/auth/pam/test), run on a worker by its
// Authenticator: the path of a real login, with lockout, caches, logs, metrics and failure delay.
struct LoginTest {
  bool by_address = false;  // pam.address with `address`; else username and password
  std::string username;
  std::string password;
  std::string address;
  std::string peer;  // the API client: lockout and PAM_RHOST of a password check
};
struct LoginTestResult {
  session::Verdict verdict;
  std::chrono::milliseconds duration{0};
};

// A bound, listening socket with SO_REUSEPORT (so every worker can bind the same endpoint),
// created before the privilege drop and handed to a worker afterwards.
struct Listener {
  core::UniqueFd fd;
  tcp::endpoint endpoint;  // the real one (port 0 resolved)
};
// Throws boost::system::system_error naming the endpoint when bind or listen fails.
Listener bind_listener(const tcp::endpoint& endpoint, int backlog);

// Workers to run: [server] workers, or one per core when it is 0.
unsigned worker_count(const config::Config& config);

class Worker {
 public:
  // pam_channel: this worker's end of a PAM monitor channel; invalid when no PAM method is used.
  // acl: the live ACL, or null when [acl] is disabled.
  Worker(const config::Config& config, connect::Resolver& resolver, ConnectionCounters& counters,
         Listener listener, session::AuthShared& auth, core::UniqueFd pam_channel,
         acl::AclStore* acl);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void start();           // spawns the accept loop and the thread
  void stop_accepting();  // thread-safe: closes the acceptor on the worker's thread
  void abort_sessions();  // thread-safe: wakes every live session so it ends now
  // thread-safe: closes the live sessions `rules` block (terminate_on_reload)
  void abort_blocked(std::shared_ptr<const acl::RuleSet> rules);
  void stop();  // thread-safe: stops the loop; join() afterwards
  void join();

  // Thread-safe: true while the accept loop runs (for /health).
  bool accepting() const { return accepting_.load(std::memory_order_relaxed); }
  // Thread-safe: false when this worker's PAM channel to the monitor is closed; true without PAM.
  bool pam_alive() const { return pam_ == nullptr || pam_->alive(); }
  // Thread-safe: runs `test` on this worker's loop; `done` is called there, once (not at all if
  // the loop is stopped first).
  void test_login(LoginTest test, std::function<void(LoginTestResult)> done);

 private:
  awaitable<void> accept_loop();
  // Counts an accepted connection; false (closed, counted, logged) when over max_connections.
  bool admit(tcp::socket& socket);
  void log_rejection();

  const config::Config& config_;
  connect::Resolver& resolver_;
  ConnectionCounters& counters_;
  // Declared before io_ so they outlive the coroutine frames io_ destroys.
  session::LiveSessions live_;
  relay::PipePool pipes_;
  relay::IdleWatch idle_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  std::unique_ptr<auth::PamChannel> pam_;  // on io_, so destroyed before it
  session::Authenticator auth_;
  acl::AclStore* acl_;
  std::thread thread_;
  std::chrono::steady_clock::time_point last_rejection_log_{};
  std::uint64_t rejections_since_log_ = 0;
  std::atomic<bool> accepting_{false};
};

}  // namespace rustsocks::listener

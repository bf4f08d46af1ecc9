#include "listener/worker.hpp"

#include <algorithm>
#include <exception>
#include <thread>

#include <sys/socket.h>

#include "core/log.hpp"
#include "metrics/registry.hpp"
#include "session/session.hpp"

namespace rustsocks::listener {
namespace {

constexpr auto kLogInterval = std::chrono::seconds(1);
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

bool is_resource_exhaustion(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec == error_code(ENFILE, boost::system::system_category());
}

// Bumped once per accepted connection, never per byte.
struct ListenerMetrics {
  metrics::Counter& accepted = metrics::registry().counter("rustsocks_connections_accepted_total",
                                                           "Client connections accepted");
  metrics::Gauge& active = metrics::registry().gauge("rustsocks_connections_active",
                                                     "Client connections being served now");
  metrics::Counter& over_limit = metrics::registry().counter(
      "rustsocks_connections_rejected_total", "Connections closed without service, by reason",
      {{"reason", "max_connections"}});
};

ListenerMetrics& listener_metrics() {
  static ListenerMetrics metrics;
  return metrics;
}

// Clears a flag on every way out of a scope (a coroutine's too, when its frame is destroyed).
class ClearOnExit {
 public:
  explicit ClearOnExit(std::atomic<bool>& flag) : flag_(flag) {}
  ~ClearOnExit() { flag_ = false; }
  ClearOnExit(const ClearOnExit&) = delete;
  ClearOnExit& operator=(const ClearOnExit&) = delete;
  ClearOnExit(ClearOnExit&&) = delete;
  ClearOnExit& operator=(ClearOnExit&&) = delete;

 private:
  std::atomic<bool>& flag_;
};

awaitable<LoginTestResult> run_login_test(session::Authenticator& auth, LoginTest test) {
  const auto start = std::chrono::steady_clock::now();
  LoginTestResult out;
  error_code ec;
  if (test.by_address) {
    auto address = asio::ip::make_address(test.address, ec);
    if (!ec) {
      out.verdict = auth.address_check_after_request() ? co_await auth.check_address(address)
                                                       : co_await auth.check_client(address);
    }
  } else {
    auto peer = asio::ip::make_address(test.peer, ec);
    if (ec) peer = asio::ip::address_v4::loopback();
    out.verdict =
        co_await auth.check_credentials(std::move(test.username), std::move(test.password), peer);
  }
  out.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  co_return out;
}

}  // namespace

Listener bind_listener(const tcp::endpoint& endpoint, int backlog) {
  asio::io_context scratch(1);
  tcp::acceptor acceptor(scratch);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  int one = 1;
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    throw boost::system::system_error(error_code(errno, boost::system::system_category()),
                                      "SO_REUSEPORT");
  }
  if (endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true));
  // Accepted sockets inherit it: TCP_NODELAY on the client leg without a setsockopt per session.
  acceptor.set_option(tcp::no_delay(true));
  error_code ec;
  acceptor.bind(endpoint, ec);
  if (ec) {
    throw boost::system::system_error(ec, "cannot bind " + endpoint.address().to_string() +
                                              " port " + std::to_string(endpoint.port()));
  }
  acceptor.listen(backlog);
  auto bound = acceptor.local_endpoint();
  return Listener{core::UniqueFd(acceptor.release()), bound};
}

unsigned worker_count(const config::Config& config) {
  if (config.server.workers > 0) return config.server.workers;
  return std::max(1U, std::thread::hardware_concurrency());
}

Worker::Worker(const config::Config& config, connect::Resolver& resolver,
               ConnectionCounters& counters, Listener listener, session::AuthShared& auth,
               core::UniqueFd pam_channel, acl::AclStore* acl)
    : config_(config),
      resolver_(resolver),
      counters_(counters),
      pipes_(relay::PipePoolOptions{.budget = relay::default_pipe_budget(worker_count(config))}),
      idle_(config.server.idle_timeout),
      acceptor_(io_),
      pam_(pam_channel.valid()
               ? std::make_unique<auth::PamChannel>(io_.get_executor(), std::move(pam_channel),
                                                    config.auth.pam.timeout)
               : nullptr),
      auth_(auth, pam_.get()),
      acl_(acl) {
  int fd = listener.fd.get();
  acceptor_.assign(listener.endpoint.protocol(), fd);
  (void)listener.fd.release();  // the acceptor owns it now
}

Worker::~Worker() {
  if (thread_.joinable()) {
    io_.stop();
    thread_.join();
  }
}

void Worker::start() {
  // The socket listens already (the kernel queues connections): ready before the loop's first turn.
  accepting_ = true;
  asio::co_spawn(io_, accept_loop(), asio::detached);
  if (idle_.enabled()) asio::co_spawn(io_, idle_.run(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::stop_accepting() {
  asio::post(io_, [this] {
    error_code ignored;
    acceptor_.close(ignored);
  });
}

void Worker::abort_sessions() {
  asio::post(io_, [this] { live_.abort_all(); });
}

void Worker::test_login(LoginTest test, std::function<void(LoginTestResult)> done) {
  auto finished = [done = std::move(done)](const std::exception_ptr& error, LoginTestResult r) {
    if (error) r.verdict.result = "unavailable";
    done(std::move(r));
  };
  asio::co_spawn(io_, run_login_test(auth_, std::move(test)), std::move(finished));
}

void Worker::abort_blocked(std::shared_ptr<const acl::RuleSet> rules) {
  asio::post(io_, [this, rules = std::move(rules)] {
    if (auto closed = live_.abort_blocked(*rules)) {
      spdlog::info("acl: closing {} session(s) the reloaded rules block", closed);
    }
  });
}

void Worker::stop() {
  io_.stop();
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::log_rejection() {
  ++rejections_since_log_;
  auto now = std::chrono::steady_clock::now();
  if (now - last_rejection_log_ < kLogInterval) return;
  spdlog::warn("max_connections ({}) reached: refused {} connection(s) since the last report",
               config_.server.max_connections, rejections_since_log_);
  rejections_since_log_ = 0;
  last_rejection_log_ = now;
}

bool Worker::admit(tcp::socket& socket) {
  auto& metrics = listener_metrics();
  counters_.accepted.fetch_add(1, std::memory_order_relaxed);
  metrics.accepted.inc();
  if (counters_.active.fetch_add(1, std::memory_order_relaxed) < config_.server.max_connections) {
    metrics.active.add(1);
    return true;
  }
  counters_.active.fetch_sub(1, std::memory_order_relaxed);
  counters_.rejected_limit.fetch_add(1, std::memory_order_relaxed);
  metrics.over_limit.inc();
  error_code ignored;
  socket.close(ignored);
  log_rejection();
  return false;
}

awaitable<void> Worker::accept_loop() {
  session::Services services{config_, resolver_, pipes_, live_, auth_, idle_, nullptr, acl_};
  asio::steady_timer backoff(io_);
  auto last_error_log = std::chrono::steady_clock::time_point{};
  auto& metrics = listener_metrics();
  ClearOnExit accepting(accepting_);  // set by start()
  while (acceptor_.is_open()) {
    tcp::endpoint peer;  // filled by accept() itself: no getpeername() per session
    auto [ec, socket] = co_await acceptor_.async_accept(peer, kNoThrow);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) {
      counters_.accept_errors.fetch_add(1, std::memory_order_relaxed);
      auto now = std::chrono::steady_clock::now();
      if (now - last_error_log >= kLogInterval) {
        spdlog::error("accept failed: {}{}", ec.message(),
                      is_resource_exhaustion(ec) ? " (backing off)" : "");
        last_error_log = now;
      }
      // Out of descriptors or memory: the connection stays queued; retrying at once would spin.
      if (is_resource_exhaustion(ec)) {
        backoff.expires_after(kAcceptBackoff);
        co_await backoff.async_wait(kNoThrow);
      }
      continue;
    }
    if (!admit(socket)) continue;
    auto& active = counters_.active;
    auto on_end = [&active, &metrics](const std::exception_ptr& error) {
      active.fetch_sub(1, std::memory_order_relaxed);
      metrics.active.add(-1);
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::error("session ended by an unexpected exception: {}", e.what());
      }
    };
    asio::co_spawn(io_, session::serve(std::move(socket), peer, services), on_end);
  }
}

}  // namespace rustsocks::listener

#include "listener/worker.hpp"

#include <exception>

#include <sys/socket.h>

#include "core/log.hpp"
#include "session/session.hpp"

namespace rustsocks::listener {
namespace {

constexpr auto kLogInterval = std::chrono::seconds(1);
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

bool is_resource_exhaustion(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec == error_code(ENFILE, boost::system::system_category());
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

Worker::Worker(const config::Config& config, connect::Resolver& resolver,
               ConnectionCounters& counters, Listener listener, session::AuthShared& auth,
               core::UniqueFd pam_channel, acl::AclStore* acl)
    : config_(config),
      resolver_(resolver),
      counters_(counters),
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

awaitable<void> Worker::accept_loop() {
  session::Services services{config_, resolver_, pipes_, live_, auth_, idle_, acl_};
  asio::steady_timer backoff(io_);
  auto last_error_log = std::chrono::steady_clock::time_point{};
  while (acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
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
    counters_.accepted.fetch_add(1, std::memory_order_relaxed);
    if (counters_.active.fetch_add(1, std::memory_order_relaxed) >=
        config_.server.max_connections) {
      counters_.active.fetch_sub(1, std::memory_order_relaxed);
      counters_.rejected_limit.fetch_add(1, std::memory_order_relaxed);
      error_code ignored;
      socket.close(ignored);
      log_rejection();
      continue;
    }
    auto& active = counters_.active;
    auto on_end = [&active](const std::exception_ptr& error) {
      active.fetch_sub(1, std::memory_order_relaxed);
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::error("session ended by an unexpected exception: {}", e.what());
      }
    };
    asio::co_spawn(io_, session::serve(std::move(socket), services), on_end);
  }
}

}  // namespace rustsocks::listener

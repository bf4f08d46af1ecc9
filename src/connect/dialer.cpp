#include "connect/dialer.hpp"

#include <cerrno>
#include <memory>
#include <optional>

#include <poll.h>
#include <sys/socket.h>

#include "core/errc.hpp"

namespace rustsocks::connect {
namespace {

// Ranks errors so the reply names the most specific cause seen across candidates.
int rank(const error_code& ec) {
  if (ec == asio::error::connection_refused) return 5;
  if (ec == asio::error::host_unreachable) return 4;
  if (ec == asio::error::network_unreachable) return 3;
  if (ec == core::Errc::ConnectTimeout) return 2;
  return ec ? 1 : 0;
}

// State shared by the racing attempts; everything runs on one executor, so no locks.
struct Race {
  explicit Race(const asio::any_io_executor& ex) : wake(ex) {}
  asio::steady_timer wake;
  std::vector<std::unique_ptr<tcp::socket>> sockets;
  std::optional<tcp::socket> winner;
  tcp::endpoint winner_endpoint;
  error_code best_error;
  std::size_t finished = 0;
  std::size_t failed = 0;
};

awaitable<void> attempt(std::shared_ptr<Race> race, std::size_t index, tcp::endpoint endpoint) {
  auto& socket = *race->sockets[index];
  auto [ec] = co_await socket.async_connect(endpoint, kNoThrow);
  ++race->finished;
  if (ec) ++race->failed;
  if (!ec && !race->winner) {
    race->winner.emplace(std::move(socket));
    race->winner_endpoint = endpoint;
  } else if (ec && ec != asio::error::operation_aborted && rank(ec) > rank(race->best_error)) {
    race->best_error = ec;
  }
  race->wake.cancel();
}

void start_attempt(const std::shared_ptr<Race>& race, const tcp::endpoint& endpoint) {
  auto executor = race->wake.get_executor();
  auto index = race->sockets.size();
  auto& socket = race->sockets.emplace_back(std::make_unique<tcp::socket>(executor));
  error_code open_error;
  socket->open(endpoint.protocol(), open_error);
  if (open_error) {
    if (rank(open_error) > rank(race->best_error)) race->best_error = open_error;
    ++race->finished;
    ++race->failed;
    return;
  }
  asio::co_spawn(executor, attempt(race, index, endpoint), asio::detached);
}

error_code errno_code(int value) {
  return {value, boost::system::system_category()};
}

// True when the socket's connect has finished (then `result` holds its outcome), false while it is
// still in progress. Asio's own connect does the same check after every readiness report.
bool connect_finished(int fd, error_code& result) {
  pollfd poll_fd{fd, POLLOUT, 0};
  if (::poll(&poll_fd, 1, 0) <= 0) return false;
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
  result = error == 0 ? error_code{} : errno_code(error);
  return true;
}

// One candidate (an IP literal, or a name with a single address): no race to run. A non-blocking
// connect() whose outcome is checked at once: on loopback and on a LAN the handshake has usually
// completed inside connect() itself, which saves the reactor round trip (an EPOLL_CTL_MOD and a
// wake-up) per connection. Otherwise it waits for writability, up to connect_timeout.
awaitable<Dialed> connect_single(const tcp::endpoint& endpoint, std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  struct Attempt {  // shared with the timeout's handler, which may run after this frame is gone
    explicit Attempt(const asio::any_io_executor& ex) : socket(ex) {}
    tcp::socket socket;
    bool timed_out = false;
  };
  auto state = std::make_shared<Attempt>(executor);
  auto& socket = state->socket;
  error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (!ec) socket.native_non_blocking(true, ec);
  if (ec) co_return Dialed{ec, tcp::socket(executor), {}};
  const int fd = socket.native_handle();
  int rc = 0;
  do {
    rc = ::connect(fd, endpoint.data(), static_cast<socklen_t>(endpoint.size()));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EINPROGRESS)
    co_return Dialed{errno_code(errno), tcp::socket(executor), {}};
  if (rc != 0 && !connect_finished(fd, ec)) {
    asio::steady_timer timer(executor, timeout);
    timer.async_wait([weak = std::weak_ptr<Attempt>(state)](const error_code& expired) {
      if (expired) return;  // cancelled: the connect finished first
      if (auto attempt = weak.lock()) {
        attempt->timed_out = true;
        error_code ignored;
        attempt->socket.cancel(ignored);
      }
    });
    for (;;) {
      auto [wait_error] = co_await socket.async_wait(tcp::socket::wait_write, kNoThrow);
      if (state->timed_out) {
        ec = core::Errc::ConnectTimeout;
        break;
      }
      if (wait_error) {
        ec = wait_error;
        break;
      }
      if (connect_finished(fd, ec)) break;  // else a spurious wake-up: wait again
    }
    timer.cancel();
  }
  if (ec) co_return Dialed{ec, tcp::socket(executor), {}};
  co_return Dialed{{}, std::move(socket), endpoint};
}

}  // namespace

awaitable<Dialed> race_connect(std::vector<tcp::endpoint> candidates, DialOptions options) {
  if (candidates.size() == 1)
    co_return co_await connect_single(candidates[0], options.connect_timeout);
  auto executor = co_await asio::this_coro::executor;
  auto race = std::make_shared<Race>(executor);
  const auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
  auto next_attempt_at = std::chrono::steady_clock::now();
  std::size_t started = 0;
  std::size_t failures_seen = 0;
  while (!race->winner) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    bool in_flight = race->finished < started;
    bool failure_since_last_start = race->failed > failures_seen;
    if (started < candidates.size() &&
        (!in_flight || failure_since_last_start || now >= next_attempt_at)) {
      failures_seen = race->failed;
      start_attempt(race, candidates[started++]);
      next_attempt_at = now + options.attempt_delay;
      continue;
    }
    if (started == candidates.size() && !in_flight) break;  // every candidate failed
    // Attempts complete only while this coroutine is suspended here (one executor), so a
    // completion always finds this wait pending and cancels it.
    race->wake.expires_at(started < candidates.size() ? std::min(deadline, next_attempt_at)
                                                      : deadline);
    co_await race->wake.async_wait(kNoThrow);
  }
  bool timed_out = !race->winner && race->finished < started;
  for (auto& socket : race->sockets) {
    error_code ignored;
    if (socket->is_open()) socket->close(ignored);  // losers and attempts still in flight
  }
  if (race->winner) co_return Dialed{{}, std::move(*race->winner), race->winner_endpoint};
  error_code error = race->best_error;
  if (timed_out && rank(error) < rank(core::Errc::ConnectTimeout))
    error = core::Errc::ConnectTimeout;
  if (!error) error = core::Errc::ConnectTimeout;
  co_return Dialed{error, tcp::socket(executor), {}};
}

awaitable<Dialed> dial(Resolver& resolver, DialTarget target, DialOptions options) {
  auto executor = co_await asio::this_coro::executor;
  std::vector<tcp::endpoint> candidates;
  if (target.is_name) {
    auto resolved = co_await resolver.resolve(target.host, target.port, options.dns_timeout);
    if (resolved.error) co_return Dialed{resolved.error, tcp::socket(executor), {}};
    candidates = interleave_families(resolved.endpoints);
  } else {
    error_code parse_error;
    auto address = asio::ip::make_address(target.host, parse_error);
    if (parse_error)
      co_return Dialed{core::Errc::AddressTypeNotSupported, tcp::socket(executor), {}};
    candidates.emplace_back(address, target.port);
  }
  if (options.admit) {
    std::erase_if(candidates, [&options](const tcp::endpoint& e) { return !options.admit(e); });
    if (candidates.empty()) co_return Dialed{core::Errc::NotAllowed, tcp::socket(executor), {}};
  }
  co_return co_await race_connect(std::move(candidates), options);
}

}  // namespace rustsocks::connect

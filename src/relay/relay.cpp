#include "relay/relay.hpp"

#include <cerrno>
#include <memory>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>

#include "relay/idle_watch.hpp"

namespace rustsocks::relay {
namespace {

using namespace asio::experimental::awaitable_operators;

constexpr std::size_t kCopyBuffer = 16 * 1024;

bool is_orderly_end(const error_code& ec) {
  return !ec || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::operation_aborted;
}

// A direction that fails (not a clean EOF) tears the whole tunnel down: shutting both sockets
// wakes the other pump instead of leaving it waiting on a peer that will never hear back.
void end_direction(tcp::socket& from, tcp::socket& to, const error_code& ec, Traffic& traffic) {
  error_code ignored;
  if (!ec || ec == asio::error::eof) {
    to.shutdown(tcp::socket::shutdown_send, ignored);  // forward the half-close
    return;
  }
  if (!traffic.error && !is_orderly_end(ec)) traffic.error = ec;
  from.shutdown(tcp::socket::shutdown_both, ignored);
  to.shutdown(tcp::socket::shutdown_both, ignored);
}

error_code last_errno() {
  return {errno, boost::system::system_category()};
}

// Short reads and writes: a splice() that moved less than asked has emptied the socket's receive
// queue (or filled its send buffer), so the pumps wait for readiness at once instead of asking
// again for an EAGAIN, one system call less per burst. Nothing is missed: Asio's epoll reactor
// re-arms the descriptor (EPOLL_CTL_MOD) for every wait, and the kernel reports a descriptor that
// is already ready at that point, so bytes or space that arrived in between wake the wait.

// Moves everything buffered in the pipe to `to`; returns an error or success.
awaitable<error_code> drain(Pipe& pipe, std::size_t& in_pipe, tcp::socket& to,
                            std::uint64_t& moved) {
  while (in_pipe > 0) {
    auto n = ::splice(pipe.read_end.get(), nullptr, to.native_handle(), nullptr, in_pipe,
                      SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      in_pipe -= static_cast<std::size_t>(n);
      moved += static_cast<std::uint64_t>(n);
      if (in_pipe == 0) break;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno != EAGAIN) {
      co_return last_errno();
    }
    auto [ec] = co_await to.async_wait(tcp::socket::wait_write, kNoThrow);
    if (ec) co_return ec;
  }
  co_return error_code{};
}

awaitable<void> splice_pump(tcp::socket& from, tcp::socket& to, PipePool& pool,
                            std::uint64_t& moved, Traffic& traffic) {
  Pipe pipe;
  std::size_t in_pipe = 0;
  bool queue_emptied = false;  // the last read was short: wait before reading again
  error_code end;
  for (;;) {
    if (queue_emptied) {
      queue_emptied = false;
      pool.release(std::move(pipe));  // empty: an idle direction holds no pipe
      pipe = Pipe{};
      auto [ec] = co_await from.async_wait(tcp::socket::wait_read, kNoThrow);
      if (ec) {
        end = ec;
        break;
      }
    }
    if (!pipe.valid()) {
      pipe = pool.acquire();
      if (!pipe.valid()) {
        end = last_errno();  // EMFILE/ENFILE: end the tunnel rather than spin
        break;
      }
    }
    auto n = ::splice(from.native_handle(), nullptr, pipe.write_end.get(), nullptr, pipe.capacity(),
                      SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n == 0) {
      end = asio::error::eof;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        end = last_errno();
        break;
      }
      pool.release(std::move(pipe));  // empty: an idle direction holds no pipe
      pipe = Pipe{};
      auto [ec] = co_await from.async_wait(tcp::socket::wait_read, kNoThrow);
      if (ec) {
        end = ec;
        break;
      }
      continue;
    }
    in_pipe = static_cast<std::size_t>(n);
    queue_emptied = in_pipe < pipe.capacity();
    if (auto ec = co_await drain(pipe, in_pipe, to, moved)) {
      end = ec;
      break;
    }
  }
  if (in_pipe == 0) pool.release(std::move(pipe));  // a pipe with stale bytes is closed instead
  end_direction(from, to, end, traffic);
}

awaitable<void> copy_pump(tcp::socket& from, tcp::socket& to, std::uint64_t& moved,
                          Traffic& traffic) {
  auto buffer = std::make_unique<std::uint8_t[]>(kCopyBuffer);  // NOLINT(*-avoid-c-arrays)
  error_code end;
  for (;;) {
    auto [read_error, n] =
        co_await from.async_read_some(asio::buffer(buffer.get(), kCopyBuffer), kNoThrow);
    if (read_error) {
      end = read_error;
      break;
    }
    auto [write_error, written] =
        co_await asio::async_write(to, asio::buffer(buffer.get(), n), kNoThrow);
    moved += written;
    if (write_error) {
      end = write_error;
      break;
    }
  }
  end_direction(from, to, end, traffic);
}

}  // namespace

awaitable<Traffic> relay(tcp::socket& client, tcp::socket& upstream, PipePool* pipes,
                         RelayOptions options) {
  Traffic traffic;
  // splice() needs O_NONBLOCK on both sockets. Asio has already set it on a socket that ran an
  // async operation (the handshake, the connect), so ask first: each ioctl is a syscall per tunnel.
  error_code ignored;
  if (!client.native_non_blocking()) client.native_non_blocking(true, ignored);
  if (!upstream.native_non_blocking()) upstream.native_non_blocking(true, ignored);
  struct Watched {  // leaves the sweeper's list on every path, also when the frame is destroyed
    IdleWatch* watch = nullptr;
    IdleWatch::Handle handle{};
    ~Watched() {
      if (watch != nullptr) watch->remove(handle);
    }
  } watched;
  if (options.idle != nullptr && options.idle->enabled()) {
    watched.watch = options.idle;
    watched.handle = options.idle->add(traffic, client, upstream);
  }
  if (options.splice && pipes != nullptr) {
    co_await (splice_pump(client, upstream, *pipes, traffic.up, traffic) &&
              splice_pump(upstream, client, *pipes, traffic.down, traffic));
  } else {
    co_await (copy_pump(client, upstream, traffic.up, traffic) &&
              copy_pump(upstream, client, traffic.down, traffic));
  }
  if (watched.watch != nullptr) traffic.idle_timeout = watched.handle->fired;
  co_return traffic;
}

}  // namespace rustsocks::relay

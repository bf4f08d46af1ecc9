// The data phase of a tunnel: both directions at once, a half-close forwarded as shutdown(SHUT_WR),
// byte counters per direction, and an idle timeout. On Linux plain TCP goes through splice() and a
// borrowed pipe (zero copy); the copy path does read/write through a buffer for streams that need
// to see bytes (TLS, rate limits) and when splice is off.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/asio.hpp"
#include "relay/pipe_pool.hpp"

namespace rustsocks::relay {

struct Traffic {
  std::uint64_t up = 0;    // client -> upstream
  std::uint64_t down = 0;  // upstream -> client
  bool idle_timeout = false;
  error_code error;  // first error other than an orderly close or reset, if any
};

class IdleWatch;

struct RelayOptions {
  bool splice = true;
  IdleWatch* idle = nullptr;  // the worker's idle sweeper; null = no idle timeout
};

// Returns when both directions have ended (or the idle timeout closed them). Both sockets are
// left open; the caller closes them. pipes may be null when splice is off.
awaitable<Traffic> relay(tcp::socket& client, tcp::socket& upstream, PipePool* pipes,
                         RelayOptions options);

}  // namespace rustsocks::relay

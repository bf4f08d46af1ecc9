// Idle timeout for every tunnel of one worker with a single timer: a sweep every quarter of the
// limit closes the tunnels whose byte counters did not move for the whole limit. A per-tunnel
// timer would cost a coroutine frame, a timer and an awaitable group per idle tunnel.
// One instance per worker thread; not thread-safe by design.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>

#include "core/asio.hpp"

namespace rustsocks::relay {

struct Traffic;

class IdleWatch {
 public:
  struct Tunnel {
    const Traffic* traffic = nullptr;
    tcp::socket* client = nullptr;
    tcp::socket* upstream = nullptr;
    std::uint64_t last_total = 0;
    std::chrono::steady_clock::time_point last_change{};
    bool fired = false;
  };
  using Handle = std::list<Tunnel>::iterator;

  explicit IdleWatch(std::chrono::seconds limit) : limit_(limit) {}
  bool enabled() const { return limit_.count() > 0; }

  Handle add(const Traffic& traffic, tcp::socket& client, tcp::socket& upstream);
  void remove(Handle handle) { tunnels_.erase(handle); }
  std::size_t size() const { return tunnels_.size(); }

  // Sweeps until stop(); spawn once per worker when enabled().
  awaitable<void> run();
  void stop();
  // One sweep at `now` (exposed for tests): closes (shutdown both ways) every tunnel idle for
  // the whole limit and marks it fired; returns how many it closed.
  std::size_t sweep(std::chrono::steady_clock::time_point now);

 private:
  std::chrono::seconds limit_;
  std::list<Tunnel> tunnels_;
  asio::steady_timer* timer_ = nullptr;
  bool stopped_ = false;
};

}  // namespace rustsocks::relay

#include "relay/idle_watch.hpp"

#include "relay/relay.hpp"

namespace rustsocks::relay {

IdleWatch::Handle IdleWatch::add(const Traffic& traffic, tcp::socket& client,
                                 tcp::socket& upstream) {
  return tunnels_.insert(tunnels_.end(),
                         Tunnel{&traffic, &client, &upstream, traffic.up + traffic.down,
                                std::chrono::steady_clock::now(), false});
}

std::size_t IdleWatch::sweep(std::chrono::steady_clock::time_point now) {
  std::size_t closed = 0;
  for (auto& tunnel : tunnels_) {
    auto total = tunnel.traffic->up + tunnel.traffic->down;
    if (total != tunnel.last_total) {
      tunnel.last_total = total;
      tunnel.last_change = now;
      continue;
    }
    if (tunnel.fired || now - tunnel.last_change < limit_) continue;
    tunnel.fired = true;
    error_code ignored;
    for (auto* socket : {tunnel.client, tunnel.upstream}) {
      socket->shutdown(tcp::socket::shutdown_both, ignored);  // wakes both pumps with EOF
      socket->cancel(ignored);
    }
    ++closed;
  }
  return closed;
}

awaitable<void> IdleWatch::run() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer_ = &timer;
  auto period = std::max<std::chrono::milliseconds>(limit_ / 4, std::chrono::milliseconds(250));
  while (!stopped_) {
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(kNoThrow);
    if (ec || stopped_) break;
    sweep(std::chrono::steady_clock::now());
  }
  timer_ = nullptr;
}

void IdleWatch::stop() {
  stopped_ = true;
  if (timer_ != nullptr) timer_->cancel();
}

}  // namespace rustsocks::relay

#include "relay/udp_relay.hpp"

#include <cerrno>
#include <numeric>

#include "metrics/registry.hpp"
#include "relay/udp_association.hpp"

namespace rustsocks::relay {
namespace {

using namespace asio::experimental::awaitable_operators;

struct UdpMetrics {
  static metrics::Counter& counter(std::string_view name, std::string_view help, const char* label,
                                   std::string_view value) {
    return metrics::registry().counter(name, help, {{label, std::string(value)}});
  }
  metrics::Counter& datagrams_up =
      counter("rustsocks_udp_datagrams_total", "UDP datagrams relayed", "direction", "up");
  metrics::Counter& datagrams_down =
      counter("rustsocks_udp_datagrams_total", "UDP datagrams relayed", "direction", "down");
  metrics::Counter& bytes_up =
      counter("rustsocks_udp_bytes_total", "UDP payload bytes relayed", "direction", "up");
  metrics::Counter& bytes_down =
      counter("rustsocks_udp_bytes_total", "UDP payload bytes relayed", "direction", "down");
  std::array<metrics::Counter*, kDropReasons> dropped{};
  UdpMetrics() {
    for (std::size_t i = 0; i < kDropReasons; ++i) {
      dropped[i] = &counter("rustsocks_udp_dropped_total", "UDP datagrams dropped, by reason",
                            "reason", drop_name(static_cast<Drop>(i)));
    }
  }
};

UdpMetrics& udp_metrics() {
  static UdpMetrics instance;
  return instance;
}

// EOF or an error on the control connection ends the association; bytes on it are ignored.
awaitable<void> watch_control(tcp::socket& control) {
  std::array<std::uint8_t, 64> sink{};
  for (;;) {
    auto [ec, n] = co_await control.async_read_some(asio::buffer(sink), kNoThrow);
    if (ec) co_return;
  }
}

}  // namespace

namespace detail {

awaitable<void> Association::pump_main() {
  for (;;) {
    auto [ec] = co_await socket_.async_wait(udp::socket::wait_read, kNoThrow);
    if (ec) break;
    auto& b = batch();
    for (int round = 0; round < kBatchesPerWake; ++round) {
      const int count = receive(socket_, b);
      if (count < 0) {
        // Nothing left (EAGAIN), or an ICMP error queued by an earlier send: wait again.
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED &&
            errno != EHOSTUNREACH && errno != ENETUNREACH) {
          traffic_.error = {errno, boost::system::system_category()};
          co_return;
        }
        break;
      }
      handle(b, count, true);
      flush(b);
      if (!pending_.empty()) {
        co_await resolve_pending();
      }
      if (static_cast<std::size_t>(count) < kBatch) break;
    }
    publish();
  }
}

// Replies that arrive on the other-family socket; it exists only once a target needed it.
awaitable<void> Association::pump_other() {
  if (!other_.is_open()) {
    co_await other_opened_.async_wait(kNoThrow);
    if (!other_.is_open()) co_return;  // cancelled: the association is ending
  }
  for (;;) {
    auto [ec] = co_await other_.async_wait(udp::socket::wait_read, kNoThrow);
    if (ec) co_return;
    auto& b = batch();
    const int count = receive(other_, b);
    if (count < 0) continue;
    handle(b, count, false);
    flush(b);
    publish();
  }
}

// Ends the association when no datagram moved either way for the whole limit.
awaitable<void> Association::watch_idle() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  if (options_.idle.count() == 0) {
    timer.expires_at(Clock::time_point::max());
    co_await timer.async_wait(kNoThrow);
    co_return;
  }
  const auto period =
      std::max<std::chrono::milliseconds>(options_.idle / 4, std::chrono::milliseconds(250));
  auto last_total = traffic_.datagrams_up + traffic_.datagrams_down;
  auto last_change = Clock::now();
  for (;;) {
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(kNoThrow);
    if (ec) co_return;
    const auto total = traffic_.datagrams_up + traffic_.datagrams_down;
    const auto now = Clock::now();
    if (total != last_total) {
      last_total = total;
      last_change = now;
    } else if (now - last_change >= options_.idle) {
      traffic_.idle_timeout = true;
      co_return;
    }
  }
}

void Association::publish() {
  auto& m = udp_metrics();
  m.datagrams_up.inc(traffic_.datagrams_up - published_.datagrams_up);
  m.datagrams_down.inc(traffic_.datagrams_down - published_.datagrams_down);
  m.bytes_up.inc(traffic_.bytes_up - published_.bytes_up);
  m.bytes_down.inc(traffic_.bytes_down - published_.bytes_down);
  for (std::size_t i = 0; i < kDropReasons; ++i) {
    if (traffic_.dropped[i] != published_.dropped[i]) {
      m.dropped[i]->inc(traffic_.dropped[i] - published_.dropped[i]);
    }
  }
  published_ = traffic_;
}

}  // namespace detail

std::string_view drop_name(Drop reason) {
  switch (reason) {
    case Drop::Foreign:
      return "foreign";
    case Drop::Malformed:
      return "malformed";
    case Drop::Fragment:
      return "fragment";
    case Drop::TooLarge:
      return "too_large";
    case Drop::Rate:
      return "rate";
    case Drop::Blocked:
      return "blocked";
    case Drop::Dns:
      return "dns";
    case Drop::Send:
      return "send";
  }
  return "unknown";
}

std::uint64_t UdpTraffic::dropped_total() const {
  return std::accumulate(dropped.begin(), dropped.end(), std::uint64_t{0});
}

asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

awaitable<UdpTraffic> relay_udp(tcp::socket& control, udp::socket& socket, ClientMatch client,
                                connect::Resolver& resolver, UdpOptions options) {
  detail::Association association(socket, client, resolver, options);
  co_await (watch_control(control) || association.pump_main() || association.pump_other() ||
            association.watch_idle());
  association.publish();
  association.close_other();
  co_return association.traffic();
}

}  // namespace rustsocks::relay

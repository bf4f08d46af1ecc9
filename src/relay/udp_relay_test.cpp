// Specification of the UDP relay's pure parts (DatagramRate, ClientMatch) and of relay_udp on
// loopback sockets: the destination check (the ACL hook) sees every datagram's destination and
// drops what it refuses, and the association ends with its control connection.
#include "relay/udp_relay.hpp"

#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/registry.hpp"
#include "relay/datagram_rate.hpp"
#include "socks5/udp_header.hpp"
#include "support/loopback.hpp"

namespace rustsocks::relay {
namespace {

using namespace std::chrono_literals;
using testing::loopback_pair;
using testing::run_bounded;

TEST(DatagramRate, AllowsABurstOfOneSecondThenRefills) {
  const auto start = DatagramRate::Clock::time_point{} + 1h;
  DatagramRate rate(10, start);
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(rate.take(start)) << i;
  }
  EXPECT_FALSE(rate.take(start));
  EXPECT_FALSE(rate.take(start + 50ms));  // half a token
  EXPECT_TRUE(rate.take(start + 100ms));
  EXPECT_FALSE(rate.take(start + 100ms));
  // Never more than the burst, however long the pause.
  int taken = 0;
  while (rate.take(start + 1h)) {
    ++taken;
  }
  EXPECT_EQ(taken, 10);
}

TEST(DatagramRate, ZeroMeansNoLimit) {
  DatagramRate rate(0);
  EXPECT_FALSE(rate.limited());
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(rate.take(DatagramRate::Clock::now()));
  }
}

TEST(ClientMatch, LearnsThePortOnceWhenNoneWasNamed) {
  const auto ip = asio::ip::make_address("127.0.0.1");
  ClientMatch client(ip, 0);
  EXPECT_FALSE(client.known());
  EXPECT_TRUE(client.accepts({ip, 4000}));
  EXPECT_FALSE(client.accepts({asio::ip::make_address("127.0.0.2"), 4000}));
  client.learn(4000);
  client.learn(5000);  // the first one sticks
  EXPECT_TRUE(client.accepts({ip, 4000}));
  EXPECT_FALSE(client.accepts({ip, 5000}));  // a target on the client's host
  EXPECT_EQ(client.endpoint(), udp::endpoint(ip, 4000));
}

TEST(ClientMatch, ANamedPortIsEnforcedFromTheStart) {
  const auto ip = asio::ip::make_address("::1");
  ClientMatch client(ip, 7000);
  EXPECT_TRUE(client.known());
  EXPECT_FALSE(client.accepts({ip, 7001}));
  EXPECT_TRUE(client.accepts({ip, 7000}));
}

TEST(Unmapped, ShowsIpv4MappedAddressesAsIpv4) {
  EXPECT_EQ(unmapped(asio::ip::make_address("::ffff:10.0.0.1")),
            asio::ip::make_address("10.0.0.1"));
  EXPECT_EQ(unmapped(asio::ip::make_address("::1")), asio::ip::make_address("::1"));
}

std::vector<std::uint8_t> datagram_to(const udp::endpoint& target, std::string_view payload) {
  std::vector<std::uint8_t> out(socks5::kMaxUdpHeaderSize + payload.size());
  const socks5::Target header{socks5::Ipv4{target.address().to_v4().to_bytes()}, target.port()};
  auto size = socks5::encode_udp_header(header, out);
  std::copy(payload.begin(), payload.end(), out.begin() + static_cast<std::ptrdiff_t>(size));
  out.resize(size + payload.size());
  return out;
}

struct Checked {
  asio::ip::address address;
  std::uint16_t port;
  socks5::Command command;
};

TEST(RelayUdp, TheDestinationCheckSeesEveryDestinationAndDropsWhatItRefuses) {
  asio::io_context io;
  const auto loopback = asio::ip::make_address("127.0.0.1");
  auto control = loopback_pair(io);
  udp::socket relay_socket(io, {loopback, 0});
  udp::socket client(io, {loopback, 0});
  udp::socket allowed(io, {loopback, 0});
  udp::socket refused(io, {loopback, 0});
  std::vector<Checked> checks;
  const auto refused_port = refused.local_endpoint().port();
  const DestinationCheck check = [&](const asio::ip::address& address, std::uint16_t port,
                                     socks5::Command command, std::string_view /*name*/) {
    checks.push_back({address, port, command});
    return port != refused_port;
  };
  connect::Resolver resolver(1);
  auto scenario = [&]() -> awaitable<void> {
    const auto relay = relay_socket.local_endpoint();
    client.send_to(asio::buffer(datagram_to(refused.local_endpoint(), "no")), relay);
    client.send_to(asio::buffer(datagram_to(allowed.local_endpoint(), "yes")), relay);
    std::array<char, 16> got{};
    udp::endpoint from;
    auto [ec, n] = co_await allowed.async_receive_from(asio::buffer(got), from, kNoThrow);
    EXPECT_FALSE(ec);
    EXPECT_EQ(std::string(got.data(), n), "yes");
    EXPECT_EQ(from, relay);
    error_code ignored;
    control.second.shutdown(tcp::socket::shutdown_both, ignored);  // the client hangs up
  };
  auto run = [&]() -> awaitable<UdpTraffic> {
    using namespace asio::experimental::awaitable_operators;
    auto relayed = relay_udp(control.first, relay_socket, ClientMatch(loopback, 0), resolver,
                             UdpOptions{.check = &check});
    auto both = co_await (std::move(relayed) && scenario());
    co_return both;
  };
  auto& blocked =
      metrics::registry().counter("rustsocks_udp_dropped_total", "", {{"reason", "blocked"}});
  auto& up =
      metrics::registry().counter("rustsocks_udp_datagrams_total", "", {{"direction", "up"}});
  const auto blocked_before = blocked.value();
  const auto up_before = up.value();
  const auto traffic = run_bounded(io, run());
  EXPECT_EQ(blocked.value() - blocked_before, 1U);
  EXPECT_EQ(up.value() - up_before, 1U);
  EXPECT_EQ(traffic.datagrams_up, 1U);
  EXPECT_EQ(traffic.bytes_up, 3U);
  EXPECT_EQ(traffic.dropped[static_cast<std::size_t>(Drop::Blocked)], 1U);
  EXPECT_FALSE(refused.available());
  ASSERT_EQ(checks.size(), 2U);
  EXPECT_EQ(checks[0].address, loopback);
  EXPECT_EQ(checks[0].port, refused_port);
  EXPECT_EQ(checks[0].command, socks5::Command::UdpAssociate);
  EXPECT_EQ(checks[1].port, allowed.local_endpoint().port());
}

}  // namespace
}  // namespace rustsocks::relay

// BIND through the whole session on loopback sockets: the destination check (the ACL hook) is
// asked about the incoming peer with Command::Bind, a refused peer is closed while the client keeps
// waiting, and the accept timeout then answers 0x06.
#include <array>
#include <vector>

#include <gtest/gtest.h>

#include "auth/lockout.hpp"
#include "core/blocking_pool.hpp"
#include "session/session.hpp"
#include "support/loopback.hpp"

namespace rustsocks::session {
namespace {

using namespace std::chrono_literals;

struct Checked {
  asio::ip::address address;
  std::uint16_t port;
  socks5::Command command;
};

awaitable<std::vector<std::uint8_t>> read_n(tcp::socket& socket, std::size_t n) {
  std::vector<std::uint8_t> out(n);
  auto [ec, got] = co_await asio::async_read(socket, asio::buffer(out), kNoThrow);
  out.resize(got);
  co_return out;
}

TEST(Bind, TheDestinationCheckRefusesAPeerAndTheWaitGoesOnUntilTheTimeout) {
  relay::PipePool pipes;  // outlives the frames io destroys
  asio::io_context io;
  config::Config config;
  config.server.bind_accept_timeout = 1s;
  auth::Lockout lockout(auth::Lockout::Policy{});
  core::BlockingPool blocking(core::BlockingPool::Options{.threads = 1});
  AuthShared shared{.config = config.auth, .lockout = lockout, .blocking = blocking};
  Authenticator auth(shared, nullptr);
  connect::Resolver resolver(1);
  LiveSessions live;
  relay::IdleWatch idle(0s);
  std::vector<Checked> checks;
  const relay::DestinationCheck check = [&](const asio::ip::address& address, std::uint16_t port,
                                            socks5::Command command, std::string_view /*name*/) {
    checks.push_back({address, port, command});
    return false;
  };
  Services services{config, resolver, pipes, live, auth, idle, &check};
  auto [accepted, client] = testing::loopback_pair(io);
  auto client_endpoint = accepted.remote_endpoint();
  asio::co_spawn(io, serve(std::move(accepted), client_endpoint, services), asio::detached);

  std::uint16_t peer_port = 0;
  auto scenario = [&]() -> awaitable<std::vector<std::uint8_t>> {
    const std::array<std::uint8_t, 13> hello{5, 1, 0, 5, 2, 0, 1, 0, 0, 0, 0, 0, 0};
    co_await asio::async_write(client, asio::buffer(hello), kNoThrow);
    auto method = co_await read_n(client, 2);
    EXPECT_EQ(method, (std::vector<std::uint8_t>{5, 0}));
    auto first = co_await read_n(client, 10);
    EXPECT_EQ(first[1], 0);
    const std::uint16_t port = static_cast<std::uint16_t>((first[8] << 8U) | first[9]);
    tcp::socket peer(io);
    auto [connect_error] =
        co_await peer.async_connect({asio::ip::make_address("127.0.0.1"), port}, kNoThrow);
    EXPECT_FALSE(connect_error);
    peer_port = peer.local_endpoint().port();
    std::array<std::uint8_t, 1> byte{};
    auto [closed, n] = co_await peer.async_read_some(asio::buffer(byte), kNoThrow);
    EXPECT_TRUE(closed) << "the refused peer is closed";
    co_return co_await read_n(client, 10);  // the second reply, after the timeout
  };
  const auto second = testing::run_bounded(io, scenario());
  ASSERT_EQ(second.size(), 10U);
  EXPECT_EQ(second[1], static_cast<std::uint8_t>(socks5::Reply::TtlExpired));
  ASSERT_EQ(checks.size(), 1U);
  EXPECT_EQ(checks[0].address, asio::ip::make_address("127.0.0.1"));
  EXPECT_EQ(checks[0].port, peer_port);
  EXPECT_EQ(checks[0].command, socks5::Command::Bind);
}

}  // namespace
}  // namespace rustsocks::session

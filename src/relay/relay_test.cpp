#include "relay/relay.hpp"

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include "relay/idle_watch.hpp"
#include "support/loopback.hpp"

namespace rustsocks::relay {
namespace {

using testing::loopback_pair;
using testing::run_bounded;

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out)
    b = static_cast<std::uint8_t>(rng());
  return out;
}

// client_app <-> [client | relay | upstream] <-> target_app
struct Tunnel {
  asio::io_context io;
  std::pair<tcp::socket, tcp::socket> front = loopback_pair(io);  // {client side, client app}
  std::pair<tcp::socket, tcp::socket> back = loopback_pair(io);   // {target app, upstream}
  tcp::socket& client() { return front.first; }
  tcp::socket& client_app() { return front.second; }
  tcp::socket& upstream() { return back.second; }
  tcp::socket& target_app() { return back.first; }
};

awaitable<std::vector<std::uint8_t>> read_to_eof(tcp::socket& socket) {
  std::vector<std::uint8_t> out;
  std::array<std::uint8_t, 4096> chunk{};
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), kNoThrow);
    out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    if (ec) co_return out;
  }
}

awaitable<void> send_all_then_shutdown(tcp::socket& socket, std::vector<std::uint8_t> bytes) {
  co_await asio::async_write(socket, asio::buffer(bytes), kNoThrow);
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

class RelayPaths : public ::testing::TestWithParam<bool> {};

TEST_P(RelayPaths, MovesBothDirectionsAtOnceAndCountsEveryByte) {
  PipePool pipes;  // outlives the frames t.io destroys
  Tunnel t;
  auto up = random_bytes(3 * 1024 * 1024 + 17, 1);
  auto down = random_bytes(2 * 1024 * 1024 + 5, 2);
  std::vector<std::uint8_t> got_up;
  std::vector<std::uint8_t> got_down;
  auto scenario = [&]() -> awaitable<Traffic> {
    using namespace asio::experimental::awaitable_operators;
    auto traffic = relay(t.client(), t.upstream(), &pipes, {.splice = GetParam()});
    auto result = co_await (std::move(traffic) && send_all_then_shutdown(t.client_app(), up) &&
                            send_all_then_shutdown(t.target_app(), down) &&
                            read_to_eof(t.target_app()) && read_to_eof(t.client_app()));
    auto [moved, received_up, received_down] = std::move(result);
    got_up = std::move(received_up);
    got_down = std::move(received_down);
    co_return moved;
  };
  auto traffic = run_bounded(t.io, scenario());
  EXPECT_EQ(traffic.up, up.size());
  EXPECT_EQ(traffic.down, down.size());
  EXPECT_FALSE(traffic.error) << traffic.error.message();
  EXPECT_TRUE(got_up == up);
  EXPECT_TRUE(got_down == down);
}

TEST_P(RelayPaths, ForwardsAHalfCloseAndKeepsTheOtherDirectionOpen) {
  PipePool pipes;  // outlives the frames t.io destroys
  Tunnel t;
  const std::string request = "question";
  const std::string answer(200'000, 'a');
  std::string received;
  auto target = [&]() -> awaitable<void> {
    auto seen = co_await read_to_eof(t.target_app());  // ends only because the FIN came through
    EXPECT_EQ(std::string(seen.begin(), seen.end()), request);
    co_await send_all_then_shutdown(t.target_app(), {answer.begin(), answer.end()});
  };
  auto client = [&]() -> awaitable<void> {
    co_await send_all_then_shutdown(t.client_app(), {request.begin(), request.end()});
    auto bytes = co_await read_to_eof(t.client_app());
    received.assign(bytes.begin(), bytes.end());
  };
  auto scenario = [&]() -> awaitable<Traffic> {
    using namespace asio::experimental::awaitable_operators;
    auto moved = relay(t.client(), t.upstream(), &pipes, {.splice = GetParam()});
    auto [traffic] = std::tuple{co_await (std::move(moved) && target() && client())};
    co_return traffic;
  };
  auto traffic = run_bounded(t.io, scenario());
  EXPECT_EQ(received, answer);
  EXPECT_EQ(traffic.up, request.size());
  EXPECT_EQ(traffic.down, answer.size());
}

TEST_P(RelayPaths, ClosesAnIdleTunnelAfterTheIdleTimeout) {
  PipePool pipes;  // outlives the frames t.io destroys
  Tunnel t;
  IdleWatch watch(std::chrono::seconds(1));
  asio::co_spawn(t.io, watch.run(), asio::detached);
  auto traffic = run_bounded(
      t.io, relay(t.client(), t.upstream(), &pipes, {.splice = GetParam(), .idle = &watch}));
  watch.stop();
  EXPECT_TRUE(traffic.idle_timeout);
  EXPECT_EQ(traffic.up + traffic.down, 0U);
  EXPECT_EQ(watch.size(), 0U);  // the tunnel left the sweeper's list
}

TEST(IdleWatch, ClosesOnlyTunnelsWhoseCountersDidNotMoveForTheWholeLimit) {
  asio::io_context io;
  auto quiet = loopback_pair(io);
  auto busy = loopback_pair(io);
  Traffic quiet_traffic;
  Traffic busy_traffic;
  IdleWatch watch(std::chrono::seconds(10));
  auto quiet_handle = watch.add(quiet_traffic, quiet.first, quiet.second);
  auto busy_handle = watch.add(busy_traffic, busy.first, busy.second);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(watch.sweep(start + std::chrono::seconds(5)), 0U);
  busy_traffic.up += 1;  // activity seen at 6 s restarts the busy tunnel's clock
  EXPECT_EQ(watch.sweep(start + std::chrono::seconds(6)), 0U);
  EXPECT_EQ(watch.sweep(start + std::chrono::seconds(11)), 1U);  // quiet: idle for 11 s
  EXPECT_TRUE(quiet_handle->fired);
  EXPECT_FALSE(busy_handle->fired);
  EXPECT_EQ(watch.sweep(start + std::chrono::seconds(17)), 1U);  // busy: idle since 6 s
  EXPECT_TRUE(busy_handle->fired);
}

INSTANTIATE_TEST_SUITE_P(SpliceAndCopy, RelayPaths, ::testing::Values(true, false),
                         [](const auto& param_info) {
                           return param_info.param ? "Splice" : "Copy";
                         });

TEST(PipePool, AnIdleTunnelHoldsNoPipeAfterTraffic) {
  PipePool pipes;
  Tunnel t;
  auto scenario = [&]() -> awaitable<Traffic> {
    using namespace asio::experimental::awaitable_operators;
    auto moved = relay(t.client(), t.upstream(), &pipes, {.splice = true});
    auto check = [&]() -> awaitable<void> {
      std::string hello = "hello";
      co_await asio::async_write(t.client_app(), asio::buffer(hello), kNoThrow);
      std::array<char, 5> got{};
      co_await asio::async_read(t.target_app(), asio::buffer(got), kNoThrow);
      // Bytes delivered, direction idle again: both directions' pipes are back in the pool.
      asio::steady_timer settle(co_await asio::this_coro::executor, std::chrono::milliseconds(0));
      co_await settle.async_wait(kNoThrow);
      EXPECT_EQ(pipes.idle(), pipes.created());
      error_code ignored;
      t.client_app().shutdown(tcp::socket::shutdown_send, ignored);
      t.target_app().shutdown(tcp::socket::shutdown_send, ignored);
    };
    auto [traffic] = std::tuple{co_await (std::move(moved) && check())};
    co_return traffic;
  };
  auto traffic = run_bounded(t.io, scenario());
  EXPECT_EQ(traffic.up, 5U);
  EXPECT_GE(pipes.created(), 1U);
}

TEST(PipePool, EnlargesPipesWithinItsBudgetOnly) {
  constexpr std::size_t kLarge = 1024 * 1024;
  constexpr std::size_t kDefault = 64 * 1024;
  PipePool pool(PipePoolOptions{
      .max_idle = 8, .large = kLarge, .budget = 2 * kLarge + kLarge / 4 + kDefault});
  auto first = pool.acquire();
  auto second = pool.acquire();
  auto third = pool.acquire();   // a whole one no longer fits: a quarter does
  auto fourth = pool.acquire();  // nothing fits: the kernel's default
  ASSERT_TRUE(first.valid() && second.valid() && third.valid() && fourth.valid());
  EXPECT_EQ(first.capacity(), kLarge);
  EXPECT_EQ(::fcntl(first.write_end.get(), F_GETPIPE_SZ), static_cast<int>(kLarge));
  EXPECT_EQ(second.capacity(), kLarge);
  EXPECT_EQ(third.capacity(), kLarge / 4);
  EXPECT_EQ(::fcntl(third.write_end.get(), F_GETPIPE_SZ), static_cast<int>(kLarge / 4));
  EXPECT_EQ(fourth.capacity(), 64U * 1024);
  EXPECT_EQ(pool.accounted(), 2 * kLarge + kLarge / 4 + 64 * 1024);

  pool.release(std::move(first));  // idle pipes still count: they are still open
  EXPECT_EQ(pool.accounted(), 2 * kLarge + kLarge / 4 + 64 * 1024);
  { auto dropped = std::move(second); }  // closed (as a pipe with stale bytes is): given back
  EXPECT_EQ(pool.accounted(), kLarge + kLarge / 4 + 64 * 1024);
  auto reused = pool.acquire();  // the idle big pipe, not a new one
  EXPECT_EQ(reused.capacity(), kLarge);
  EXPECT_EQ(pool.created(), 4U);
  auto fifth = pool.acquire();  // the dropped pipe's share is free again
  EXPECT_EQ(fifth.capacity(), kLarge);
}

TEST(PipePool, BudgetIsHalfTheUsersSoftLimitSharedByTheWorkers) {
  std::ifstream in("/proc/sys/fs/pipe-user-pages-soft");
  std::size_t pages = 0;
  ASSERT_TRUE(in >> pages);
  if (pages == 0) GTEST_SKIP() << "no soft limit on this machine";
  auto bytes = pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  EXPECT_EQ(default_pipe_budget(1), bytes / 2);
  EXPECT_EQ(default_pipe_budget(4), bytes / 2 / 4);
}

}  // namespace
}  // namespace rustsocks::relay

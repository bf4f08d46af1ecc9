// PamChannel against a scripted monitor: the other end of the socketpair, driven by the test on
// the same io_context. The real monitor and libpam are exercised in pam_monitor/tests/.
#include "auth/pam_client.hpp"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>
#include <security/pam_appl.h>

#include <sys/socket.h>

#include "support/loopback.hpp"

namespace rustsocks::auth {
namespace {

using namespace std::chrono_literals;
using SeqPacket = asio::generic::seq_packet_protocol;
using testing::run_bounded;

class PamChannelTest : public ::testing::Test {
 protected:
  PamChannelTest() {
    int fds[2] = {-1, -1};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
    client_end_.reset(fds[0]);
    monitor_.assign(SeqPacket(AF_UNIX, 0), fds[1]);
  }

  PamChannel make_channel(std::chrono::milliseconds timeout = 2000ms) {
    return PamChannel(io_.get_executor(), std::move(client_end_), timeout);
  }

  // The next request the channel sent, decoded (the test fails on a malformed one).
  awaitable<PamRequest> next_request() {
    std::array<std::uint8_t, kMaxRequestSize + 1> buffer{};
    asio::socket_base::message_flags flags = 0;
    auto [ec, n] = co_await monitor_.async_receive(asio::buffer(buffer), flags, kNoThrow);
    EXPECT_FALSE(ec) << ec.message();
    auto request = decode_request(std::span<const std::uint8_t>(buffer.data(), n));
    EXPECT_TRUE(request);
    co_return request.value_or(PamRequest{});
  }

  awaitable<void> answer(std::vector<std::uint8_t> frame) {
    auto [ec, n] = co_await monitor_.async_send(asio::buffer(frame), 0, kNoThrow);
    EXPECT_FALSE(ec) << ec.message();
  }

  awaitable<void> answer(const PamReply& reply) { co_await answer(encode(reply)); }

  // Runs the io_context until `done` holds or `limit` passes.
  template <class Predicate>
  bool run_until(Predicate done, std::chrono::milliseconds limit = 2000ms) {
    io_.restart();
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline)
      io_.run_one_for(10ms);
    return done();
  }

  asio::io_context io_;
  core::UniqueFd client_end_;
  SeqPacket::socket monitor_{io_};
};

PamRequest alice() {
  return PamRequest{.id = 0,
                    .service = "rustsocks",
                    .user = "alice",
                    .password = "secret",
                    .rhost = "192.0.2.1",
                    .ruser = "rhostusr",
                    .check_password = true};
}

PamReply reply(std::uint32_t id, int code, std::uint8_t stage, std::string message = {}) {
  return PamReply{.id = id, .pam_code = code, .stage = stage, .message = std::move(message)};
}

PamReply success_for(std::uint32_t id) {
  return reply(id, PAM_SUCCESS, kStageAccount);
}

TEST_F(PamChannelTest, SendsTheRequestFieldsVerbatimUnderAFreshId) {
  auto channel = make_channel();
  asio::co_spawn(
      io_,
      [&]() -> awaitable<void> {
        auto request = co_await next_request();
        auto expected = alice();
        expected.id = request.id;
        EXPECT_NE(request.id, 0U);
        EXPECT_EQ(request, expected);
        co_await answer(success_for(request.id));
      },
      asio::detached);
  auto outcome = run_bounded(io_, channel.authenticate(alice()));
  EXPECT_EQ(outcome.verdict, PamVerdict::Success);
  EXPECT_EQ(outcome.pam_code, PAM_SUCCESS);
}

TEST_F(PamChannelTest, MatchesAnswersToCallsByIdInAnyOrder) {
  auto channel = make_channel();
  std::vector<PamOutcome> outcomes(2);
  int finished = 0;
  auto call = [&](int index, std::string password) -> awaitable<void> {
    auto request = alice();
    request.password = std::move(password);
    outcomes[static_cast<std::size_t>(index)] = co_await channel.authenticate(request);
    ++finished;
  };
  asio::co_spawn(io_, call(0, "right"), asio::detached);
  asio::co_spawn(io_, call(1, "wrong"), asio::detached);
  asio::co_spawn(
      io_,
      [&]() -> awaitable<void> {
        auto first = co_await next_request();
        auto second = co_await next_request();
        EXPECT_NE(first.id, second.id);
        auto wrong = first.password == "wrong" ? first : second;
        auto right = first.password == "right" ? first : second;
        co_await answer(reply(wrong.id, PAM_AUTH_ERR, kStageAuth, "no"));
        co_await answer(success_for(right.id));
      },
      asio::detached);
  ASSERT_TRUE(run_until([&] { return finished == 2; }));
  EXPECT_EQ(outcomes[0].verdict, PamVerdict::Success);
  EXPECT_EQ(outcomes[1].verdict, PamVerdict::Denied);
  EXPECT_EQ(outcomes[1].pam_code, PAM_AUTH_ERR);
  EXPECT_EQ(outcomes[1].message, "no");
}

TEST_F(PamChannelTest, NoAnswerTimesOutAsUnavailableAndTheChannelStaysUsable) {
  auto channel = make_channel(100ms);
  auto timed_out = run_bounded(io_, channel.authenticate(alice()));
  EXPECT_EQ(timed_out.verdict, PamVerdict::Unavailable);
  EXPECT_GE(timed_out.duration, 100ms);
  EXPECT_TRUE(channel.alive());
  auto late = run_bounded(io_, next_request());
  auto outcome = run_bounded(io_, [&]() -> awaitable<PamOutcome> {
    co_await answer(success_for(late.id));  // the late answer to the first call is dropped
    asio::co_spawn(
        io_,
        [&]() -> awaitable<void> {
          auto request = co_await next_request();
          co_await answer(success_for(request.id));
        },
        asio::detached);
    co_return co_await channel.authenticate(alice());
  }());
  EXPECT_EQ(outcome.verdict, PamVerdict::Success);
}

// A stuck monitor stops reading and the socket fills up: sends then wait, within the deadline.
TEST_F(PamChannelTest, EveryCallEndsByItsDeadlineEvenWhenTheMonitorStopsReading) {
  auto channel = make_channel(200ms);
  constexpr int kCalls = 2000;  // far more than the socket buffer holds
  int unavailable = 0;
  int finished = 0;
  for (int i = 0; i < kCalls; ++i) {
    asio::co_spawn(
        io_,
        [&]() -> awaitable<void> {
          auto outcome = co_await channel.authenticate(alice());
          unavailable += outcome.verdict == PamVerdict::Unavailable ? 1 : 0;
          ++finished;
        },
        asio::detached);
  }
  ASSERT_TRUE(run_until([&] { return finished == kCalls; }, 5000ms));
  EXPECT_EQ(unavailable, kCalls);
  EXPECT_TRUE(channel.alive());
}

TEST_F(PamChannelTest, ADeadMonitorFailsPendingCallsPromptly) {
  auto channel = make_channel(10'000ms);
  std::optional<PamOutcome> outcome;
  asio::co_spawn(
      io_, [&]() -> awaitable<void> { outcome = co_await channel.authenticate(alice()); },
      asio::detached);
  asio::co_spawn(
      io_,
      [&]() -> awaitable<void> {
        (void)co_await next_request();
        monitor_.close();  // the monitor dies with the request in flight
      },
      asio::detached);
  ASSERT_TRUE(run_until([&] { return outcome.has_value(); }));
  EXPECT_EQ(outcome->verdict, PamVerdict::Unavailable);
  EXPECT_LT(outcome->duration, 1s);
  EXPECT_FALSE(channel.alive());
  auto after = run_bounded(io_, channel.authenticate(alice()));
  EXPECT_EQ(after.verdict, PamVerdict::Unavailable);
  EXPECT_LT(after.duration, 100ms);
}

TEST_F(PamChannelTest, NoticesADeadMonitorWithoutAnyCall) {
  auto channel = make_channel();
  monitor_.close();
  EXPECT_TRUE(run_until([&] { return !channel.alive(); }));
}

TEST_F(PamChannelTest, IgnoresMalformedAndUnknownAnswers) {
  auto channel = make_channel();
  auto outcome = run_bounded(io_, [&]() -> awaitable<PamOutcome> {
    asio::co_spawn(
        io_,
        [&]() -> awaitable<void> {
          auto request = co_await next_request();
          auto truncated = encode(success_for(request.id));
          truncated.resize(3);  // (a braced vector here trips GCC 12's coroutine support)
          co_await answer(truncated);
          auto forged = encode(success_for(request.id));
          forged.push_back(0);  // trailing byte: not a reply
          co_await answer(forged);
          co_await answer(success_for(request.id + 1000));
          co_await answer(reply(request.id, PAM_PERM_DENIED, kStageAccount));
        },
        asio::detached);
    co_return co_await channel.authenticate(alice());
  }());
  EXPECT_EQ(outcome.verdict, PamVerdict::Denied);
  EXPECT_EQ(outcome.pam_code, PAM_PERM_DENIED);
  EXPECT_TRUE(channel.alive());
}

TEST_F(PamChannelTest, CloseEndsPendingCallsAndLaterOnes) {
  auto channel = make_channel(10'000ms);
  std::optional<PamOutcome> outcome;
  asio::co_spawn(
      io_, [&]() -> awaitable<void> { outcome = co_await channel.authenticate(alice()); },
      asio::detached);
  asio::co_spawn(
      io_,
      [&]() -> awaitable<void> {
        (void)co_await next_request();
        channel.close();
      },
      asio::detached);
  ASSERT_TRUE(run_until([&] { return outcome.has_value(); }));
  EXPECT_EQ(outcome->verdict, PamVerdict::Unavailable);
  EXPECT_FALSE(channel.alive());
  EXPECT_EQ(run_bounded(io_, channel.authenticate(alice())).verdict, PamVerdict::Unavailable);
}

TEST_F(PamChannelTest, ARequestThatDoesNotFitIsDeniedWithoutBeingSent) {
  auto channel = make_channel();
  auto request = alice();
  request.user = std::string(kMaxUserLength + 1, 'u');
  EXPECT_EQ(run_bounded(io_, channel.authenticate(request)).verdict, PamVerdict::Denied);
  std::array<std::uint8_t, 16> buffer{};
  error_code ec;
  monitor_.non_blocking(true);
  asio::socket_base::message_flags flags = 0;
  monitor_.receive(asio::buffer(buffer), 0, flags, ec);
  EXPECT_EQ(ec, asio::error::would_block);
}

TEST(PamOutcomeFor, SuccessNeedsPamSuccessAtTheAccountStage) {
  EXPECT_EQ(outcome_for(success_for(1)).verdict, PamVerdict::Success);
  EXPECT_EQ(outcome_for(reply(1, PAM_SUCCESS, kStageAuth)).verdict, PamVerdict::Denied);
  EXPECT_EQ(outcome_for(reply(1, PAM_SUCCESS, kStageMonitor)).verdict, PamVerdict::Denied);
  EXPECT_EQ(outcome_for(reply(1, PAM_PERM_DENIED, kStageAccount)).verdict, PamVerdict::Denied);
}

TEST(PamOutcomeFor, TheMonitorWithoutAVerdictMeansUnavailable) {
  auto with = [](int code) { return outcome_for(reply(1, code, kStageMonitor)).verdict; };
  EXPECT_EQ(with(PAM_ABORT), PamVerdict::Unavailable);      // the worker died
  EXPECT_EQ(with(PAM_TRY_AGAIN), PamVerdict::Unavailable);  // queue full
  EXPECT_EQ(with(PAM_SERVICE_ERR), PamVerdict::Denied);     // service not allowed
  EXPECT_EQ(with(PAM_AUTH_ERR), PamVerdict::Denied);
}

TEST(NormaliseRhost, GivesPlainNumericText) {
  auto text = [](const char* address) { return normalise_rhost(asio::ip::make_address(address)); };
  EXPECT_EQ(text("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(text("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(text("::ffff:127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(text("::1"), "::1");
  EXPECT_EQ(text("2001:db8::7"), "2001:db8::7");
  EXPECT_EQ(text("fe80::1%1"), "fe80::1");
}

}  // namespace
}  // namespace rustsocks::auth

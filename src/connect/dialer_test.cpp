#include "connect/dialer.hpp"

#include <vector>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include "core/errc.hpp"
#include "support/loopback.hpp"

namespace rustsocks::connect {
namespace {

using testing::run_bounded;
using namespace std::chrono_literals;

tcp::endpoint closed_port(asio::io_context& io) {
  tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto endpoint = probe.local_endpoint();
  probe.close();  // nothing listens there any more: connect gets RST
  return endpoint;
}

// A listener whose accept queue is full: further SYNs are dropped, so a connect hangs.
struct BlackHole {
  explicit BlackHole(asio::io_context& io) : acceptor(io) {
    acceptor.open(tcp::v4());
    acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor.listen(0);
    for (int i = 0; i < 4; ++i) {
      // Non-blocking connects: the first ones complete into the queue, the rest stay pending.
      auto& filler = fillers.emplace_back(io);
      filler.open(tcp::v4());
      filler.native_non_blocking(true);
      auto target = acceptor.local_endpoint();
      (void)::connect(filler.native_handle(), target.data(), static_cast<socklen_t>(target.size()));
    }
  }
  tcp::acceptor acceptor;
  std::vector<tcp::socket> fillers;
};

// What a test needs from a dial (Dialed itself holds a socket and cannot be default-made).
struct Outcome {
  error_code error;
  tcp::endpoint remote;
  tcp::endpoint reported;  // Dialed::endpoint
};

awaitable<Outcome> outcome(awaitable<Dialed> op) {
  auto dialed = co_await std::move(op);
  error_code ignored;
  co_return Outcome{dialed.error, dialed.socket.remote_endpoint(ignored), dialed.endpoint};
}

TEST(RaceConnect, ReportsConnectionRefused) {
  asio::io_context io;
  auto dialed = run_bounded(io, outcome(race_connect({closed_port(io)}, {})));
  EXPECT_EQ(dialed.error, asio::error::connection_refused);
}

TEST(RaceConnect, FallsThroughToTheNextCandidateWhenOneFails) {
  asio::io_context io;
  tcp::acceptor good(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto dialed =
      run_bounded(io, outcome(race_connect({closed_port(io), good.local_endpoint()}, {})));
  ASSERT_FALSE(dialed.error) << dialed.error.message();
  EXPECT_EQ(dialed.remote, good.local_endpoint());
  EXPECT_EQ(dialed.reported, good.local_endpoint());
}

TEST(RaceConnect, ConnectsASingleCandidateAndNamesIt) {
  asio::io_context io;
  tcp::acceptor good(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto dialed = run_bounded(io, outcome(race_connect({good.local_endpoint()}, {})));
  ASSERT_FALSE(dialed.error) << dialed.error.message();
  EXPECT_EQ(dialed.remote, good.local_endpoint());
  EXPECT_EQ(dialed.reported, good.local_endpoint());
}

TEST(RaceConnect, StartsTheNextCandidateWhileTheFirstHangs) {
  asio::io_context io;
  BlackHole hole(io);
  tcp::acceptor good(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  DialOptions options{.connect_timeout = 10s, .attempt_delay = 50ms};
  auto started = std::chrono::steady_clock::now();
  auto dialed = run_bounded(
      io, outcome(race_connect({hole.acceptor.local_endpoint(), good.local_endpoint()}, options)));
  ASSERT_FALSE(dialed.error) << dialed.error.message();
  EXPECT_EQ(dialed.remote, good.local_endpoint());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // did not wait for the hang
}

TEST(RaceConnect, TimesOutWhenNoCandidateAnswers) {
  asio::io_context io;
  BlackHole hole(io);
  DialOptions options{.connect_timeout = 300ms};
  auto dialed = run_bounded(io, outcome(race_connect({hole.acceptor.local_endpoint()}, options)));
  EXPECT_EQ(dialed.error, core::Errc::ConnectTimeout);
}

TEST(Dial, ResolvesANameAndConnects) {
  asio::io_context io;
  Resolver resolver(1);
  tcp::acceptor good(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  DialTarget target{.host = "localhost", .port = good.local_endpoint().port(), .is_name = true};
  auto dialed = run_bounded(io, outcome(dial(resolver, target, {})));
  ASSERT_FALSE(dialed.error) << dialed.error.message();
}

TEST(Dial, ReportsAnUnknownNameAsADnsFailure) {
  asio::io_context io;
  Resolver resolver(1);
  DialTarget target{.host = "no-such-host.invalid", .port = 80, .is_name = true};
  auto dialed = run_bounded(io, outcome(dial(resolver, target, {})));
  EXPECT_EQ(dialed.error, core::Errc::DnsFailure);
}

TEST(Dial, NeverDialsACandidateTheFilterDrops) {
  asio::io_context io;
  Resolver resolver(1);
  tcp::acceptor good(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::vector<tcp::endpoint> asked;
  DialOptions options;
  options.admit = [&asked](const tcp::endpoint& e) {
    asked.push_back(e);
    return false;
  };
  DialTarget target{.host = "127.0.0.1", .port = good.local_endpoint().port(), .is_name = false};
  auto dialed = run_bounded(io, outcome(dial(resolver, target, options)));
  EXPECT_EQ(dialed.error, core::Errc::NotAllowed);
  ASSERT_EQ(asked.size(), 1U);
  EXPECT_EQ(asked[0], good.local_endpoint());
  options.admit = [](const tcp::endpoint&) { return true; };
  auto allowed = run_bounded(io, outcome(dial(resolver, target, options)));
  EXPECT_FALSE(allowed.error) << allowed.error.message();
}

TEST(Dial, FiltersEveryResolvedAddressOfAName) {
  asio::io_context io;
  Resolver resolver(1);
  tcp::acceptor good(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::size_t asked = 0;
  DialOptions options;
  options.admit = [&asked](const tcp::endpoint& e) {
    ++asked;
    return !e.address().is_loopback();
  };
  DialTarget target{.host = "localhost", .port = good.local_endpoint().port(), .is_name = true};
  auto dialed = run_bounded(io, outcome(dial(resolver, target, options)));
  EXPECT_EQ(dialed.error, core::Errc::NotAllowed);
  EXPECT_GE(asked, 1U);
}

TEST(InterleaveFamilies, AlternatesStartingWithTheFirstFamily) {
  auto v4 = [](const char* a) { return tcp::endpoint(asio::ip::make_address(a), 1); };
  auto ordered = interleave_families({v4("::1"), v4("::2"), v4("1.1.1.1"), v4("1.1.1.2")});
  ASSERT_EQ(ordered.size(), 4U);
  EXPECT_EQ(ordered[0], v4("::1"));
  EXPECT_EQ(ordered[1], v4("1.1.1.1"));
  EXPECT_EQ(ordered[2], v4("::2"));
  EXPECT_EQ(ordered[3], v4("1.1.1.2"));
}

}  // namespace
}  // namespace rustsocks::connect

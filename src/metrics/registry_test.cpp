#include "metrics/registry.hpp"

#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace rustsocks::metrics {
namespace {

TEST(Registry, RendersTheGoldenText) {
  Registry r;
  r.counter("rustsocks_auth_total", "Authentication attempts.",
            {{"method", "password"}, {"result", "ok"}})
      .inc(3);
  r.counter("rustsocks_auth_total", "Help of a later call is ignored.",
            {{"method", "pa\\ss\"w\nd"}, {"result", "fail"}})
      .inc();
  Gauge& active =
      r.gauge("rustsocks_connections_active", "Open sessions.\nBack\\slash \"quoted\".");
  active.set(5);
  active.add(-2);
  r.gauge("rustsocks_connections_active", "", {{"listener", "b"}}).add(-4);
  Histogram& handshake = r.histogram("rustsocks_handshake_duration_seconds", "Handshake duration.",
                                     {0.005, 0.1, 1}, {{"method", "none"}});
  for (double v : {0.003, 0.1, 0.5, 7.0})
    handshake.observe(v);

  EXPECT_EQ(r.render(), R"(# HELP rustsocks_auth_total Authentication attempts.
# TYPE rustsocks_auth_total counter
rustsocks_auth_total{method="pa\\ss\"w\nd",result="fail"} 1
rustsocks_auth_total{method="password",result="ok"} 3
# HELP rustsocks_connections_active Open sessions.\nBack\\slash "quoted".
# TYPE rustsocks_connections_active gauge
rustsocks_connections_active 3
rustsocks_connections_active{listener="b"} -4
# HELP rustsocks_handshake_duration_seconds Handshake duration.
# TYPE rustsocks_handshake_duration_seconds histogram
rustsocks_handshake_duration_seconds_bucket{method="none",le="0.005"} 1
rustsocks_handshake_duration_seconds_bucket{method="none",le="0.1"} 2
rustsocks_handshake_duration_seconds_bucket{method="none",le="1"} 3
rustsocks_handshake_duration_seconds_bucket{method="none",le="+Inf"} 4
rustsocks_handshake_duration_seconds_sum{method="none"} 7.603
rustsocks_handshake_duration_seconds_count{method="none"} 4
)");
}

TEST(Registry, RendersAnUnlabelledHistogramWithDurationBuckets) {
  Registry r;
  r.histogram("connect_seconds", "Connect time.", duration_buckets()).observe(0.0004);
  const std::string text = r.render();
  EXPECT_NE(text.find("connect_seconds_bucket{le=\"0.0005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("connect_seconds_bucket{le=\"10\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("connect_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("connect_seconds_sum 0.0004\n"), std::string::npos) << text;
  EXPECT_NE(text.find("connect_seconds_count 1\n"), std::string::npos) << text;
}

TEST(Registry, SameNameAndLabelsReturnTheSameObject) {
  Registry r;
  Counter& a = r.counter("x_total", "X.", {{"k", "v"}});
  EXPECT_EQ(&a, &r.counter("x_total", "X.", {{"k", "v"}}));
  EXPECT_NE(&a, &r.counter("x_total", "X.", {{"k", "w"}}));
  EXPECT_NE(&a, &r.counter("x_total", "X."));
  Gauge& g = r.gauge("y", "Y.");
  EXPECT_EQ(&g, &r.gauge("y", "Y."));
  Histogram& h = r.histogram("z_seconds", "Z.", {1, 2}, {{"k", "v"}});
  EXPECT_EQ(&h, &r.histogram("z_seconds", "Z.", {1, 2}, {{"k", "v"}}));
}

TEST(Registry, TheGlobalRegistryIsOneObject) {
  EXPECT_EQ(&registry(), &registry());
}

TEST(Registry, TypeMismatchThrows) {
  Registry r;
  r.gauge("sessions_active", "Open.");
  EXPECT_THROW(r.histogram("sessions_active", "Open.", {1}), std::logic_error);
  r.histogram("latency_seconds", "Latency.", {1});
  EXPECT_THROW(r.gauge("latency_seconds", "Latency."), std::logic_error);
  r.counter("events_total", "Events.");
  EXPECT_THROW(r.gauge("events_total", "Events."), std::logic_error);
  EXPECT_THROW(r.histogram("events_total", "Events.", {1}), std::logic_error);
}

TEST(Registry, InvalidNamesThrow) {
  Registry r;
  for (const char* name : {"", "1st_total", "bad-name_total", "bad name_total", "é_total"}) {
    EXPECT_THROW(r.counter(name, "Bad."), std::logic_error) << name;
  }
  EXPECT_NO_THROW(r.counter("job:requests_total", "Colons are allowed."));
  EXPECT_THROW(r.counter("requests", "Counters end in _total."), std::logic_error);
  EXPECT_THROW(r.gauge("open_total", "Gauges do not."), std::logic_error);
  EXPECT_THROW(r.counter("a_total", "", {{"1k", "v"}}), std::logic_error);
  EXPECT_THROW(r.counter("a_total", "", {{"k:x", "v"}}), std::logic_error);
  EXPECT_THROW(r.counter("a_total", "", {{"__reserved", "v"}}), std::logic_error);
  EXPECT_THROW(r.counter("a_total", "", {{"k", "v"}, {"k", "w"}}), std::logic_error);
  EXPECT_THROW(r.histogram("b_seconds", "", {1}, {{"le", "1"}}), std::logic_error);
}

TEST(Registry, FailedRegistrationsLeaveNoFamilyBehind) {
  Registry r;
  EXPECT_THROW(r.counter("a_total", "", {{"__x", "v"}}), std::logic_error);
  EXPECT_THROW(r.histogram("b_seconds", "", {2, 1}), std::logic_error);
  EXPECT_EQ(r.render(), "");
}

TEST(Registry, HistogramBoundsMustBeSortedFiniteAndStable) {
  Registry r;
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(r.histogram("a_seconds", "", {2, 1}), std::logic_error);
  EXPECT_THROW(r.histogram("a_seconds", "", {1, 1}), std::logic_error);
  EXPECT_THROW(r.histogram("a_seconds", "", {1, inf}), std::logic_error);
  EXPECT_THROW(r.histogram("a_seconds", "", {std::nan(""), 1}), std::logic_error);
  EXPECT_THROW(r.histogram("a_seconds", "", {1}, {}, 10), std::logic_error);
  r.histogram("a_seconds", "", {1, 2}, {{"k", "v"}});
  EXPECT_THROW(r.histogram("a_seconds", "", {1, 3}, {{"k", "w"}}), std::logic_error);
  EXPECT_THROW(r.histogram("a_seconds", "", {1, 2}, {{"k", "w"}}, 0), std::logic_error);
}

TEST(Registry, CollectorsAppendAfterTheFamilies) {
  Registry r;
  r.gauge("a", "A.").set(1);
  r.add_collector([](std::string& out) { out += "# HELP z Z.\n# TYPE z gauge\nz 2\n"; });
  EXPECT_EQ(r.render(), "# HELP a A.\n# TYPE a gauge\na 1\n# HELP z Z.\n# TYPE z gauge\nz 2\n");
}

TEST(Registry, ConcurrentUpdatesSumExactly) {
  Registry r;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100'000;
  r.gauge("race_active", "Race.");  // so the scraper always has something to render
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done.load()) {
      EXPECT_FALSE(r.render().empty());
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, t] {
      // Registration from several threads at once returns one object.
      Counter& counter = r.counter("race_total", "Race.", {{"k", "v"}});
      Gauge& gauge = r.gauge("race_active", "Race.");
      Histogram& histogram = r.histogram("race_seconds", "Race.", {0.5});
      for (int i = 0; i < kPerThread; ++i) {
        counter.inc();
        gauge.add(t % 2 == 0 ? 2 : -1);
        histogram.observe(t % 2 == 0 ? 0.25 : 0.75);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  done = true;
  scraper.join();

  EXPECT_EQ(r.counter("race_total", "Race.", {{"k", "v"}}).value(), 400'000U);
  EXPECT_EQ(r.gauge("race_active", "Race.").value(), 200'000);
  Histogram& histogram = r.histogram("race_seconds", "Race.", {0.5});
  EXPECT_EQ(histogram.count(), 400'000U);
  EXPECT_EQ(histogram.sum(), 200'000.0);
  EXPECT_EQ(histogram.bucket_counts(), (std::vector<std::uint64_t>{200'000, 200'000}));
}

}  // namespace
}  // namespace rustsocks::metrics

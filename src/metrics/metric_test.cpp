#include "metrics/metric.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace rustsocks::metrics {
namespace {

TEST(Counter, CountsFromZero) {
  Counter c;
  EXPECT_EQ(c.value(), 0U);
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.value(), 42U);
}

TEST(Gauge, SetsAndAdds) {
  Gauge g;
  g.set(10);
  g.add(-15);
  EXPECT_EQ(g.value(), -5);
}

TEST(Histogram, BoundsAreInclusiveUpperLimits) {
  Histogram h({1, 2});
  for (double v : {-3.0, 1.0, 1.5, 2.0, 2.5})
    h.observe(v);
  EXPECT_EQ(h.bucket_counts(), (std::vector<std::uint64_t>{2, 2, 1}));
  EXPECT_EQ(h.count(), 5U);
  EXPECT_DOUBLE_EQ(h.sum(), 4.0);
}

TEST(Histogram, KeepsTheSumToTheChosenDecimals) {
  Histogram seconds({1});
  seconds.observe(0.0000014);  // 1.4 microseconds round to 1
  seconds.observe(0.25);
  EXPECT_DOUBLE_EQ(seconds.sum(), 0.250001);
  Histogram bytes({1024}, 0);
  bytes.observe(4e15);  // would overflow 64 bits in microbytes after a few thousand of these
  bytes.observe(4e15);
  bytes.observe(4e15);
  EXPECT_DOUBLE_EQ(bytes.sum(), 1.2e16);
}

TEST(Histogram, IgnoresNanAndCountsInfinityInTheLastBucket) {
  Histogram h({1});
  h.observe(std::nan(""));
  h.observe(std::numeric_limits<double>::infinity());
  EXPECT_EQ(h.bucket_counts(), (std::vector<std::uint64_t>{0, 1}));
}

TEST(Histogram, WithoutBoundsHasOnlyTheInfBucket) {
  Histogram h({});
  h.observe(3);
  EXPECT_EQ(h.bucket_counts(), (std::vector<std::uint64_t>{1}));
}

TEST(Histogram, RejectsBadBounds) {
  EXPECT_THROW(Histogram({1, 0.5}), std::logic_error);
  EXPECT_THROW(Histogram({-std::numeric_limits<double>::infinity()}), std::logic_error);
  EXPECT_THROW(Histogram({1}, -1), std::logic_error);
}

TEST(Histogram, ManyBoundsSpanSeveralCacheLines) {
  std::vector<double> bounds;
  for (int i = 1; i <= 20; ++i)
    bounds.push_back(i);
  Histogram h(bounds);
  for (int i = 0; i <= 21; ++i)
    h.observe(i);
  auto counts = h.bucket_counts();
  ASSERT_EQ(counts.size(), 21U);
  EXPECT_EQ(counts.front(), 2U);  // 0 and 1
  EXPECT_EQ(counts.back(), 1U);   // 21
  EXPECT_EQ(h.count(), 22U);
  EXPECT_DOUBLE_EQ(h.sum(), 231.0);
}

TEST(ShardIndex, IsStablePerThreadAndInRange) {
  EXPECT_EQ(shard_index(), shard_index());
  EXPECT_LT(shard_index(), kShards);
}

}  // namespace
}  // namespace rustsocks::metrics

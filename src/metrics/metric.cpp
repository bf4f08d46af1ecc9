#include "metrics/metric.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace rustsocks::metrics {
namespace {

void check_bounds(const std::vector<double>& bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) throw std::logic_error("histogram bound is not finite");
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      throw std::logic_error("histogram bounds are not strictly increasing");
    }
  }
}

// Scaled value as a two's complement integer: unsigned adds wrap, so shards sum like int64.
std::uint64_t to_fixed(double v, double scale) noexcept {
  constexpr double kLimit = 9.2e18;  // just inside int64
  double scaled = std::clamp(v * scale, -kLimit, kLimit);
  return static_cast<std::uint64_t>(std::llround(scaled));
}

}  // namespace

std::size_t next_shard() noexcept {
  static std::atomic<std::size_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed) % kShards;
}

std::uint64_t Counter::value() const noexcept {
  std::uint64_t total = 0;
  for (const Cell& cell : cells_)
    total += cell.value.load(std::memory_order_relaxed);
  return total;
}

Histogram::Histogram(std::vector<double> bounds, int sum_decimals)
    : bounds_(std::move(bounds)), sum_decimals_(sum_decimals), scale_(1.0), lines_per_shard_(0) {
  check_bounds(bounds_);
  if (sum_decimals < 0 || sum_decimals > 9) {
    throw std::logic_error("histogram sum_decimals must be within 0..9");
  }
  for (int i = 0; i < sum_decimals; ++i)
    scale_ *= 10.0;
  // Buckets (bounds + the +Inf one) and the sum.
  const std::size_t slots = bounds_.size() + 2;
  lines_per_shard_ = (slots + kSlotsPerLine - 1) / kSlotsPerLine;
  lines_ = std::vector<Line>(lines_per_shard_ * kShards);
}

std::atomic<std::uint64_t>& Histogram::slot(std::size_t shard, std::size_t index) noexcept {
  return lines_[shard * lines_per_shard_ + index / kSlotsPerLine].slots[index % kSlotsPerLine];
}

const std::atomic<std::uint64_t>& Histogram::slot(std::size_t shard,
                                                  std::size_t index) const noexcept {
  return lines_[shard * lines_per_shard_ + index / kSlotsPerLine].slots[index % kSlotsPerLine];
}

void Histogram::observe(double v) noexcept {
  if (std::isnan(v)) return;
  // First bound >= v: `le` is inclusive; past the end is the +Inf bucket.
  const auto bucket = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                               bounds_.begin());
  const std::size_t shard = shard_index();
  slot(shard, bucket).fetch_add(1, std::memory_order_relaxed);
  slot(shard, sum_slot()).fetch_add(to_fixed(v, scale_), std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
  std::vector<std::uint64_t> counts(bounds_.size() + 1, 0);
  for (std::size_t shard = 0; shard < kShards; ++shard) {
    for (std::size_t i = 0; i < counts.size(); ++i) {
      counts[i] += slot(shard, i).load(std::memory_order_relaxed);
    }
  }
  return counts;
}

std::uint64_t Histogram::count() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t shard = 0; shard < kShards; ++shard) {
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
      total += slot(shard, i).load(std::memory_order_relaxed);
    }
  }
  return total;
}

double Histogram::sum() const noexcept {
  std::uint64_t fixed = 0;
  for (std::size_t shard = 0; shard < kShards; ++shard) {
    fixed += slot(shard, sum_slot()).load(std::memory_order_relaxed);
  }
  return static_cast<double>(static_cast<std::int64_t>(fixed)) / scale_;
}

}  // namespace rustsocks::metrics

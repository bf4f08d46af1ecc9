// The metric types the data plane bumps: lock-free relaxed atomics, sharded per thread so io
// threads do not fight over one cache line. Registry (registry.hpp) owns them; a scrape reads them.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace rustsocks::metrics {

inline constexpr std::size_t kShards = 16;
inline constexpr std::size_t kCacheLine = 64;

// Hands out shard numbers round-robin (modulo kShards); called once per thread.
std::size_t next_shard() noexcept;

// This thread's shard, fixed at its first update. Threads beyond kShards share shards: sums stay
// exact (atomic adds), only contention grows.
inline std::size_t shard_index() noexcept {
  thread_local const std::size_t index = next_shard();
  return index;
}

// Monotonic count. inc() is one relaxed fetch_add on this thread's own cache line.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void inc(std::uint64_t n = 1) noexcept {
    cells_[shard_index()].value.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept;  // sum of the shards; concurrent incs may or may not show

 private:
  struct alignas(kCacheLine) Cell {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<Cell, kShards> cells_{};
};

// A value that goes up and down (sessions open, bytes buffered). One atomic on its own line.
class alignas(kCacheLine) Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t delta) noexcept { value_.fetch_add(delta, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Distribution over fixed upper bounds (Prometheus `le`, inclusive) plus an implicit +Inf bucket.
// Each shard holds its bucket counters and an integer sum kept in units of 10^-sum_decimals of the
// base unit: 6 (the default) keeps microseconds of a seconds histogram and overflows after
// 9.2e12 base units, so a bytes histogram should pass 0.
class Histogram {
 public:
  // Throws std::logic_error unless bounds are finite and strictly increasing and
  // 0 <= sum_decimals <= 9: registration happens at start-up, so this is a programming error.
  explicit Histogram(std::vector<double> bounds, int sum_decimals = 6);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double v) noexcept;  // v in base units (seconds, bytes); NaN is ignored
  std::uint64_t count() const noexcept;
  double sum() const noexcept;

  const std::vector<double>& bounds() const noexcept { return bounds_; }
  int sum_decimals() const noexcept { return sum_decimals_; }
  // Per bucket, not cumulative: bounds().size() + 1 entries, the last one for +Inf.
  std::vector<std::uint64_t> bucket_counts() const;

 private:
  static constexpr std::size_t kSlotsPerLine = kCacheLine / sizeof(std::uint64_t);
  struct alignas(kCacheLine) Line {
    std::array<std::atomic<std::uint64_t>, kSlotsPerLine> slots{};
  };
  std::atomic<std::uint64_t>& slot(std::size_t shard, std::size_t index) noexcept;
  const std::atomic<std::uint64_t>& slot(std::size_t shard, std::size_t index) const noexcept;
  std::size_t sum_slot() const noexcept { return bounds_.size() + 1; }

  std::vector<double> bounds_;
  int sum_decimals_;
  double scale_;  // 10^sum_decimals
  std::size_t lines_per_shard_;
  std::vector<Line>
      lines_;  // shard s owns lines [s * lines_per_shard_, (s + 1) * lines_per_shard_)
};

}  // namespace rustsocks::metrics

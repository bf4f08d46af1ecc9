#include "api/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace rustsocks::api {

TokenBucket::TokenBucket(double rate, std::chrono::steady_clock::duration per, double burst)
    : per_second_(rate / std::chrono::duration<double>(per).count()),
      burst_(burst),
      tokens_(burst) {}

void TokenBucket::refill(TimePoint now) {
  if (last_ == TimePoint{}) last_ = now;
  if (now <= last_) return;
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * per_second_);
  last_ = now;
}

bool TokenBucket::take(TimePoint now) {
  refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

long TokenBucket::retry_after(TimePoint /*now*/) const {
  const double missing = std::max(0.0, 1.0 - tokens_);
  return std::max(1L, static_cast<long>(std::ceil(missing / per_second_)));
}

}  // namespace rustsocks::api

// A token bucket over an explicit clock reading, for the API's rate limits (all requests, and
// POST /api/auth/pam/test): pure, so tests drive it with made-up time points.
#pragma once

#include <chrono>

namespace rustsocks::api {

class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  // `rate` tokens per `per` refill up to `burst`; the bucket starts full.
  TokenBucket(double rate, std::chrono::steady_clock::duration per, double burst);

  // Takes one token if there is one at `now`.
  bool take(TimePoint now);
  // Whole seconds until the next token (for Retry-After), at least 1.
  long retry_after(TimePoint now) const;

 private:
  void refill(TimePoint now);
  double per_second_;
  double burst_;
  double tokens_;
  TimePoint last_{};
};

}  // namespace rustsocks::api

// Per-association datagram rate limit for the UDP relay: a token bucket counted in datagrams,
// refilled continuously at `rate` per second and holding at most one second's worth (the burst).
// Pure arithmetic on caller-supplied times so tests need no clock; one instance per association.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace rustsocks::relay {

class DatagramRate {
 public:
  using Clock = std::chrono::steady_clock;

  // rate 0 = no limit. The bucket starts full.
  explicit DatagramRate(std::uint32_t rate, Clock::time_point now = Clock::now())
      : rate_(rate), tokens_(static_cast<double>(rate)), last_(now) {}

  bool limited() const { return rate_ != 0; }

  // Takes one datagram's token; false (drop it) when the bucket is empty.
  bool take(Clock::time_point now) {
    if (rate_ == 0) return true;
    if (now > last_) {
      const std::chrono::duration<double> elapsed = now - last_;
      tokens_ = std::min(static_cast<double>(rate_), tokens_ + elapsed.count() * rate_);
      last_ = now;
    }
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  std::uint32_t rate_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace rustsocks::relay

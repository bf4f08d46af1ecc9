#include "auth/lockout.hpp"

#include <gtest/gtest.h>

namespace rustsocks::auth {
namespace {

using namespace std::chrono_literals;
using Clock = Lockout::Clock;

Lockout::Policy policy() {
  return Lockout::Policy{.enabled = true, .max_failures = 3, .window = 60s, .duration = 300s};
}

TEST(Lockout, LocksAnIpAfterMaxFailuresWithinTheWindowAndReportsItOnce) {
  Lockout lockout(policy());
  auto t = Clock::time_point{} + 1000s;
  EXPECT_FALSE(lockout.record_failure("10.0.0.1", t));
  EXPECT_FALSE(lockout.record_failure("10.0.0.1", t + 1s));
  EXPECT_FALSE(lockout.locked("10.0.0.1", t + 2s));
  EXPECT_TRUE(lockout.record_failure("10.0.0.1", t + 2s));
  EXPECT_TRUE(lockout.locked("10.0.0.1", t + 3s));
  EXPECT_FALSE(lockout.record_failure("10.0.0.1", t + 4s));  // already locked: not reported again
  EXPECT_FALSE(lockout.locked("10.0.0.2", t + 3s));          // other IPs are unaffected
}

TEST(Lockout, UnlocksAfterTheDuration) {
  Lockout lockout(policy());
  auto t = Clock::time_point{} + 1000s;
  for (int i = 0; i < 3; ++i)
    lockout.record_failure("10.0.0.1", t);
  EXPECT_TRUE(lockout.locked("10.0.0.1", t + 299s));
  EXPECT_FALSE(lockout.locked("10.0.0.1", t + 300s));
}

TEST(Lockout, ForgetsFailuresOlderThanTheWindow) {
  Lockout lockout(policy());
  auto t = Clock::time_point{} + 1000s;
  lockout.record_failure("10.0.0.1", t);
  lockout.record_failure("10.0.0.1", t + 1s);
  EXPECT_FALSE(lockout.record_failure("10.0.0.1", t + 61s));  // the first one fell out
  EXPECT_FALSE(lockout.locked("10.0.0.1", t + 62s));
}

TEST(Lockout, DisabledNeverLocks) {
  auto disabled = policy();
  disabled.enabled = false;
  Lockout lockout(disabled);
  auto t = Clock::time_point{} + 1000s;
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(lockout.record_failure("10.0.0.1", t));
  EXPECT_FALSE(lockout.locked("10.0.0.1", t));
}

TEST(Lockout, StaysBoundedUnderAFloodOfAddresses) {
  auto bounded = policy();
  bounded.max_tracked = 100;
  Lockout lockout(bounded);
  auto t = Clock::time_point{} + 1000s;
  for (int i = 0; i < 1000; ++i) {
    lockout.record_failure("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                           t + std::chrono::seconds(i));
  }
  EXPECT_LE(lockout.tracked(), 100U);
}

}  // namespace
}  // namespace rustsocks::auth

#include "api/token_set.hpp"

#include <gtest/gtest.h>

#include "api/token_bucket.hpp"

namespace rustsocks::api {
namespace {

TEST(TokenSet, AcceptsAnyConfiguredTokenForRotation) {
  TokenSet tokens({"old-token-0123456789", "new-token-0123456789"});
  EXPECT_TRUE(tokens.authorizes("Bearer old-token-0123456789"));
  EXPECT_TRUE(tokens.authorizes("Bearer new-token-0123456789"));
  EXPECT_TRUE(tokens.authorizes("BEARER  new-token-0123456789"));
}

TEST(TokenSet, RefusesPrefixesExtensionsAndOtherSchemes) {
  TokenSet tokens({"old-token-0123456789"});
  EXPECT_FALSE(tokens.authorizes("Bearer old-token-012345678"));
  EXPECT_FALSE(tokens.authorizes("Bearer old-token-01234567890"));
  EXPECT_FALSE(tokens.authorizes("Bearer "));
  EXPECT_FALSE(tokens.authorizes("Bearer"));
  EXPECT_FALSE(tokens.authorizes(""));
  EXPECT_FALSE(tokens.authorizes("Basic old-token-0123456789"));
  EXPECT_FALSE(tokens.authorizes("old-token-0123456789"));
}

TEST(TokenSet, AnEmptySetRefusesEverything) {
  TokenSet tokens({});
  EXPECT_TRUE(tokens.empty());
  EXPECT_FALSE(tokens.authorizes("Bearer "));
  EXPECT_FALSE(tokens.authorizes("Bearer x"));
}

TEST(TokenBucket, RefillsAtItsRateUpToTheBurst) {
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  TokenBucket bucket(2, std::chrono::seconds(1), 2);
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0));
  EXPECT_EQ(bucket.retry_after(t0), 1);
  EXPECT_TRUE(bucket.take(t0 + std::chrono::milliseconds(500)));
  EXPECT_FALSE(bucket.take(t0 + std::chrono::milliseconds(500)));
  EXPECT_TRUE(bucket.take(t0 + std::chrono::seconds(100)));
  EXPECT_TRUE(bucket.take(t0 + std::chrono::seconds(100)));
  EXPECT_FALSE(bucket.take(t0 + std::chrono::seconds(100)));
}

}  // namespace
}  // namespace rustsocks::api

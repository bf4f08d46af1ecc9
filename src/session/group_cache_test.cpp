#include "session/group_cache.hpp"

#include <gtest/gtest.h>

namespace rustsocks::session {
namespace {

using namespace std::chrono_literals;

TEST(GroupCache, RemembersGroupsUntilTheTtlEnds) {
  GroupCache cache(60s);
  auto t = GroupCache::Clock::time_point{} + 1000s;
  EXPECT_FALSE(cache.find("alice", t));
  cache.insert("alice", {"staff", "vpn"}, t);
  auto hit = cache.find("alice", t + 59s);
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit, (std::vector<std::string>{"staff", "vpn"}));
  EXPECT_FALSE(cache.find("alice", t + 60s));
  EXPECT_FALSE(cache.find("bob", t));
}

TEST(GroupCache, ZeroTtlRemembersNothing) {
  GroupCache cache(0s);
  auto t = GroupCache::Clock::time_point{} + 1000s;
  cache.insert("alice", {"staff"}, t);
  EXPECT_FALSE(cache.find("alice", t));
}

TEST(GroupCache, StaysBounded) {
  GroupCache cache(60s, 10);
  auto t = GroupCache::Clock::time_point{} + 1000s;
  for (int i = 0; i < 25; ++i)
    cache.insert("user" + std::to_string(i), {}, t);
  int found = 0;
  for (int i = 0; i < 25; ++i)
    found += cache.find("user" + std::to_string(i), t) ? 1 : 0;
  EXPECT_LE(found, 10);
  EXPECT_TRUE(cache.find("user24", t));  // the newest entry is always there
}

}  // namespace
}  // namespace rustsocks::session

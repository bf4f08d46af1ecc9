// Specification of CredentialCache: hits, misses, expiry, TTL 0, clear, eviction, the injected
// clock, and what a key is made of (HMAC with a per-instance key, no password bytes).
#include "auth/credential_cache.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace rustsocks::auth {
namespace {

using namespace std::chrono_literals;
using Clock = CredentialCache::Clock;

constexpr Clock::time_point kStart = Clock::time_point() + 1000h;

TEST(CredentialCache, RemembersASuccessForTheTtl) {
  CredentialCache cache({.ttl = 60s});
  cache.insert("static", "alice", "pw", kStart);
  EXPECT_TRUE(cache.contains("static", "alice", "pw", kStart));
  EXPECT_TRUE(cache.contains("static", "alice", "pw", kStart + 59s));
  EXPECT_FALSE(cache.contains("static", "alice", "pw", kStart + 60s));
  EXPECT_EQ(cache.size(), 0U);  // the expired entry went on lookup
}

TEST(CredentialCache, MissesWhenAnyFieldDiffers) {
  CredentialCache cache({.ttl = 60s});
  cache.insert("static", "alice", "pw", kStart);
  EXPECT_FALSE(cache.contains("static", "alice", "pw2", kStart));
  EXPECT_FALSE(cache.contains("static", "alice", "", kStart));
  EXPECT_FALSE(cache.contains("static", "Alice", "pw", kStart));
  EXPECT_FALSE(cache.contains("rustsocks", "alice", "pw", kStart));  // another PAM service
}

TEST(CredentialCache, SeparatesTheFields) {
  CredentialCache cache({.ttl = 60s});
  cache.insert("pam", "ab", "c", kStart);
  EXPECT_FALSE(cache.contains("pam", "a", "bc", kStart));
  EXPECT_FALSE(cache.contains("pama", "b", "c", kStart));
  EXPECT_NE(cache.key_of("pam", "ab", "c"), cache.key_of("pam", "a", "bc"));
}

TEST(CredentialCache, IsOffWithATtlOfZero) {
  CredentialCache cache({.ttl = 0s});
  cache.insert("static", "alice", "pw", kStart);
  EXPECT_FALSE(cache.contains("static", "alice", "pw", kStart));
  EXPECT_EQ(cache.size(), 0U);
}

TEST(CredentialCache, ClearForgetsEverything) {
  CredentialCache cache({.ttl = 60s});
  cache.insert("static", "alice", "pw", kStart);
  cache.insert("static", "bob", "pw", kStart);
  cache.clear();
  EXPECT_EQ(cache.size(), 0U);
  EXPECT_FALSE(cache.contains("static", "alice", "pw", kStart));
}

TEST(CredentialCache, EvictsTheOldestWhenFull) {
  CredentialCache cache({.ttl = 60s, .max_entries = 2});
  cache.insert("static", "a", "pw", kStart);
  cache.insert("static", "b", "pw", kStart + 1s);
  cache.insert("static", "c", "pw", kStart + 2s);
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_FALSE(cache.contains("static", "a", "pw", kStart + 3s));
  EXPECT_TRUE(cache.contains("static", "b", "pw", kStart + 3s));
  EXPECT_TRUE(cache.contains("static", "c", "pw", kStart + 3s));
}

TEST(CredentialCache, ASecondSuccessRefreshesTheEntry) {
  CredentialCache cache({.ttl = 60s, .max_entries = 2});
  cache.insert("static", "a", "pw", kStart);
  cache.insert("static", "b", "pw", kStart + 1s);
  cache.insert("static", "a", "pw", kStart + 30s);  // now the youngest, until +90 s
  cache.insert("static", "c", "pw", kStart + 31s);  // evicts b, the oldest
  EXPECT_TRUE(cache.contains("static", "a", "pw", kStart + 89s));
  EXPECT_FALSE(cache.contains("static", "b", "pw", kStart + 31s));
}

TEST(CredentialCache, DropsExpiredEntriesBeforeEvictingLiveOnes) {
  CredentialCache cache({.ttl = 10s, .max_entries = 2});
  cache.insert("static", "a", "pw", kStart);
  cache.insert("static", "b", "pw", kStart + 5s);
  cache.insert("static", "c", "pw", kStart + 11s);  // a has expired: b stays
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_TRUE(cache.contains("static", "b", "pw", kStart + 12s));
}

TEST(CredentialCache, ReadsTheInjectedClock) {
  auto now = kStart;
  CredentialCache cache({.ttl = 5s}, [&now] { return now; });
  cache.insert("static", "alice", "pw");
  now += 4s;
  EXPECT_TRUE(cache.contains("static", "alice", "pw"));
  now += 1s;
  EXPECT_FALSE(cache.contains("static", "alice", "pw"));
}

TEST(CredentialCache, KeysAreStableWithinAnInstanceAndDifferAcrossInstances) {
  CredentialCache first({.ttl = 60s});
  CredentialCache second({.ttl = 60s});
  EXPECT_EQ(first.key_of("static", "alice", "pw"), first.key_of("static", "alice", "pw"));
  EXPECT_NE(first.key_of("static", "alice", "pw"), second.key_of("static", "alice", "pw"));
}

TEST(CredentialCache, KeysHoldNoPasswordBytes) {
  CredentialCache cache({.ttl = 60s});
  const std::string password = "correct horse battery staple, 32";
  ASSERT_EQ(password.size(), 32U);
  const auto key = cache.key_of("static", "alice", password);
  const std::string stored(key.begin(), key.end());
  EXPECT_NE(stored, password);
  bool any_window = false;  // any 4 bytes of the password, anywhere in the key
  for (std::size_t i = 0; i + 4 <= password.size(); ++i) {
    any_window = any_window || stored.find(password.substr(i, 4)) != std::string::npos;
  }
  EXPECT_FALSE(any_window);
  // Any change of the password changes the key completely (it is a MAC, not an encoding).
  const auto other = cache.key_of("static", "alice", "correct horse battery staple, 33");
  auto same = std::inner_product(key.begin(), key.end(), other.begin(), 0, std::plus<>(),
                                 [](auto a, auto b) { return a == b ? 1 : 0; });
  EXPECT_LT(same, 8);
}

TEST(CredentialCache, SharedByManyThreads) {
  CredentialCache cache({.ttl = 60s, .max_entries = 64});
  std::atomic<int> hits = 0;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, &hits, t] {
      for (int i = 0; i < 200; ++i) {
        const auto user = "u" + std::to_string(t) + "-" + std::to_string(i % 16);
        cache.insert("static", user, "pw", kStart);
        if (cache.contains("static", user, "pw", kStart)) ++hits;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_LE(cache.size(), 64U);
  EXPECT_GT(hits.load(), 0);
}

}  // namespace
}  // namespace rustsocks::auth

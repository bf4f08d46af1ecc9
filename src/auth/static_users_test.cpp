// Specification of StaticUsers: hashed and plain-text users, exact names, the same work for an
// unknown name (checked through an injected verifier, not by timing), and config validation.
#include "auth/static_users.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <crypt.h>

#include "auth/password_hash.hpp"

namespace rustsocks::auth {
namespace {

// A cheap SHA-512 hash (rounds=1000, the minimum) so the tests stay fast.
std::string sha512_of(std::string_view password) {
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  ::crypt_gensalt_rn("$6$", 1000, nullptr, 0, setting.data(), static_cast<int>(setting.size()));
  return hash_password_like(password, setting.data());
}

// Records every hash the users table checks a password against.
struct Probe {
  std::shared_ptr<std::vector<std::string>> hashes = std::make_shared<std::vector<std::string>>();
  bool answer = true;  // what the "verifier" says, whatever the password
  StaticUsers::HashVerifier verifier() const {
    return [hashes = hashes, answer = answer](std::string_view, std::string_view hash) {
      hashes->emplace_back(hash);
      return answer;
    };
  }
};

StaticUsers make(std::vector<StaticUser> users,
                 StaticUsers::HashVerifier verifier = verify_password) {
  auto made = StaticUsers::create(std::move(users), std::move(verifier));
  if (!made) throw std::runtime_error(made.error().front());
  return std::move(*made);
}

TEST(StaticUsers, VerifiesAHashedUser) {
  auto users = make({{.username = "alice", .password_hash = sha512_of("wonderland")}});
  EXPECT_TRUE(users.verify("alice", "wonderland"));
  EXPECT_FALSE(users.verify("alice", "Wonderland"));
  EXPECT_FALSE(users.verify("alice", ""));
}

TEST(StaticUsers, VerifiesAYescryptUser) {
  auto users = make({{.username = "yes", .password_hash = hash_password("crypt")}});
  EXPECT_TRUE(users.verify("yes", "crypt"));
  EXPECT_FALSE(users.verify("yes", "crypto"));
}

TEST(StaticUsers, VerifiesAPlainTextUser) {
  auto users = make({{.username = "bob", .password = "builder"}});
  EXPECT_TRUE(users.verify("bob", "builder"));
  EXPECT_FALSE(users.verify("bob", "builde"));
  EXPECT_FALSE(users.verify("bob", "builder "));
}

TEST(StaticUsers, MatchesNamesExactlyAndCaseSensitively) {
  auto users =
      make({{.username = "alice", .password = "pw"}, {.username = "Bob", .password = "x"}});
  EXPECT_TRUE(users.verify("alice", "pw"));
  EXPECT_FALSE(users.verify("Alice", "pw"));
  EXPECT_FALSE(users.verify("alice ", "pw"));
  EXPECT_FALSE(users.verify("bob", "x"));
  EXPECT_FALSE(users.verify("alice", "x"));  // another user's password
}

TEST(StaticUsers, ChecksAnUnknownNameAgainstADummyHashOfTheSameKind) {
  const auto hash = sha512_of("wonderland");
  Probe probe;  // says "yes" to everything: the name alone must make it fail
  auto users = make({{.username = "alice", .password_hash = hash}}, probe.verifier());
  EXPECT_FALSE(users.verify("mallory", "wonderland"));
  ASSERT_EQ(probe.hashes->size(), 1U);  // the same one hash computation as for a real user
  const auto& dummy = probe.hashes->front();
  EXPECT_NE(dummy, hash);
  EXPECT_TRUE(dummy.starts_with("$6$rounds=1000$")) << dummy;  // same kind and cost
  EXPECT_EQ(dummy.size(), hash.size());
  EXPECT_TRUE(is_supported_hash(dummy));
  EXPECT_TRUE(users.verify("alice", "anything"));  // the probe decides for known names
  EXPECT_EQ(probe.hashes->size(), 2U);
  EXPECT_EQ(probe.hashes->back(), hash);
}

TEST(StaticUsers, TheDummyOfAYescryptListIsYescryptWithTheSameParameters) {
  const auto hash = hash_password("pw");
  Probe probe;
  auto users =
      make({{.username = "plain", .password = "text"}, {.username = "y", .password_hash = hash}},
           probe.verifier());
  EXPECT_FALSE(users.verify("nobody", "pw"));
  ASSERT_EQ(probe.hashes->size(), 1U);
  const auto& dummy = probe.hashes->front();
  const auto params = hash.substr(0, hash.find('$', 3) + 1);  // "$y$j9T$"
  EXPECT_TRUE(dummy.starts_with(params)) << dummy;
  EXPECT_FALSE(verify_password("pw", dummy));
}

TEST(StaticUsers, AnUnknownNameAmongPlainTextUsersFails) {
  Probe probe;
  auto users = make({{.username = "bob", .password = "builder"}}, probe.verifier());
  EXPECT_FALSE(users.verify("nobody", "builder"));
  EXPECT_FALSE(users.verify("nobody", "rustsocks: no such user"));  // the plain dummy itself
  EXPECT_TRUE(probe.hashes->empty());
}

TEST(StaticUsers, ReportsEveryProblemWithoutShowingSecrets) {
  auto made = StaticUsers::create({
      {.username = "", .password = "pw1"},
      {.username = "both", .password_hash = sha512_of("x"), .password = "pw2"},
      {.username = "neither"},
      {.username = "md5", .password_hash = "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"},
      {.username = "twice", .password = "pw3"},
      {.username = "twice", .password = "pw4"},
      {.username = std::string(256, 'n'), .password = "pw5"},
      {.username = "long", .password = std::string(256, 'p')},
      {.username = "fine", .password = "pw6"},
  });
  ASSERT_FALSE(made.has_value());
  const std::string md5_reason = unsupported_hash_reason("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/");
  const std::vector<std::string> expected{
      "user #1: empty username",
      "user \"both\": set password_hash or password, not both",
      "user \"neither\": no password_hash or password",
      "user \"md5\": " + md5_reason,
      "user \"twice\": listed twice",
      "user \"" + std::string(256, 'n') + "\": username longer than 255 bytes (RFC 1929)",
      "user \"long\": password longer than 255 bytes (RFC 1929)",
  };
  EXPECT_EQ(made.error(), expected);
  std::string all;
  for (const auto& error : made.error()) {
    all += error + "\n";
  }
  EXPECT_EQ(all.find("pw"), std::string::npos) << all;
  EXPECT_EQ(all.find("qjXM"), std::string::npos) << all;
}

TEST(StaticUsers, RefusesAnEmptyList) {
  auto made = StaticUsers::create({});
  ASSERT_FALSE(made.has_value());
  ASSERT_EQ(made.error().size(), 1U);
  EXPECT_NE(made.error().front().find("no users"), std::string::npos);
}

TEST(StaticUsers, VerifiesFromManyThreadsAtOnce) {
  auto users = make({{.username = "alice", .password_hash = sha512_of("pw")}});
  std::atomic<int> right = 0;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int n = 0; n < 10; ++n) {
        if (users.verify("alice", "pw") && !users.verify("alice", "no")) ++right;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(right.load(), 40);
}

}  // namespace
}  // namespace rustsocks::auth

// load_config() for [[auth.users]]: usernames, password_hash shapes, plain-text passwords (loaded
// with a warning), duplicates, userpass without users, unused users, and no secret in any message.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace rustsocks::config {
namespace {

using ::testing::AllOf;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

LoadResult load(std::string_view text) {
  return load_config(text, "test.toml");
}

std::string userpass(const std::string& users) {
  return "[auth]\nsocks_method = \"userpass\"\n" + users;
}

std::string user(const std::string& name, const std::string& key, const std::string& secret) {
  return "[[auth.users]]\nusername = \"" + name + "\"\n" + key + " = \"" + secret + "\"\n";
}

constexpr std::string_view kBadHash =
    " in [[auth.users]] is not a supported crypt(3) hash (value not shown): it must start with "
    "$y$ (yescrypt), $6$ (SHA-512), $2b$, $2y$ or $2a$ (bcrypt), followed by the hash's own "
    "characters (A-Z, a-z, 0-9, '.', '/', '$', '='); make one with 'rustsocks hash-password'";

std::vector<std::string> hashes_of(const Config& config) {
  std::vector<std::string> hashes;
  for (const StaticUser& each : config.auth.users) {
    hashes.push_back(each.password.empty() ? each.password_hash : "plain:" + each.password);
  }
  return hashes;
}

TEST(LoadConfigUsers, ReadsUsersWithHashes) {
  const std::vector<std::string> hashes = {
      "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
      "$6$rounds=5000$salt$IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSu",
      "$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m",
      "$2y$10$abcdefghijklmnopqrstuu", "$2a$04$x"};
  std::string doc;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    doc += user("user" + std::to_string(i), "password_hash", hashes[i]);
  }
  const auto result = load(userpass(doc));
  ASSERT_TRUE(result.config) << ::testing::PrintToString(result.errors);
  EXPECT_THAT(result.warnings, IsEmpty());
  EXPECT_EQ(hashes_of(*result.config), hashes);
  EXPECT_EQ(result.config->auth.users.at(4).username, "user4");
}

TEST(LoadConfigUsers, RejectsWhatIsNotASupportedHashNamingTheKey) {
  for (const std::string& hash : std::vector<std::string>{
           "", "hunter2", "$1$salt$md5", "$5$salt$sha256", "$argon2id$v=19", "$6$", "$y$",
           "$6$salt$hash ", " $6$salt$hash", "$6$salt\\nx", "$2b$12$\\u0000", "{SSHA}abc",
           "$6$salt$" + std::string(600, 'h')}) {
    const auto result = load(userpass(user("a", "password_hash", hash)));
    EXPECT_FALSE(result.config) << hash;
    EXPECT_THAT(result.errors, ElementsAre("test.toml:5:17: 'auth.users[0].password_hash'" +
                                           std::string(kBadHash)))
        << hash;
  }
}

TEST(LoadConfigUsers, LoadsPlainPasswordsWithOneWarningEachThatNeverShowsThem) {
  const auto result = load(userpass(user("alice", "password", "s3cret-alice") +
                                    user("bob", "password", "s3cret-bob") +
                                    user("carol", "password_hash", "$6$salt$hash")));
  ASSERT_TRUE(result.config) << ::testing::PrintToString(result.errors);
  ASSERT_EQ(result.config->auth.users.size(), 3U);
  EXPECT_EQ(result.config->auth.users[0].password, "s3cret-alice");
  EXPECT_EQ(result.config->auth.users[0].password_hash, "");
  EXPECT_EQ(result.config->auth.users[1].password, "s3cret-bob");
  EXPECT_THAT(result.warnings,
              ElementsAre("test.toml:5:12: 'auth.users[0].password' in [[auth.users]] is a "
                          "plain-text password for user \"alice\"; store a crypt(3) hash in "
                          "'password_hash' instead (make one with 'rustsocks hash-password')",
                          "test.toml:8:12: 'auth.users[1].password' in [[auth.users]] is a "
                          "plain-text password for user \"bob\"; store a crypt(3) hash in "
                          "'password_hash' instead (make one with 'rustsocks hash-password')"));
  EXPECT_THAT(result.warnings, Each(Not(HasSubstr("s3cret"))));
}

constexpr std::string_view kLength =
    " in [[auth.users]] must be 1 to 255 bytes with no NUL character";

TEST(LoadConfigUsers, ChecksUsernames) {
  const std::string error = "test.toml:2:12: 'auth.users[0].username'" + std::string(kLength);
  EXPECT_THAT(load(user("", "password_hash", "$6$s$h")).errors, ElementsAre(error + ", got \"\""));
  EXPECT_THAT(load(user("a\\u0000b", "password_hash", "$6$s$h")).errors,
              ElementsAre(error + ", got \"a\\x00b\""));
  EXPECT_THAT(load(user(std::string(256, 'n'), "password_hash", "$6$s$h")).errors,
              ElementsAre(StartsWith(error + ", got \"nnn")));
}

TEST(LoadConfigUsers, ChecksPlainPasswordsWithoutShowingThem) {
  const std::string error =
      "test.toml:3:12: 'auth.users[0].password'" + std::string(kLength) + " (value not shown)";
  for (const std::string& password :
       std::vector<std::string>{"", "pw\\u0000", std::string(256, 'p')}) {
    EXPECT_THAT(load(user("a", "password", password)).errors, ElementsAre(error));
  }
}

TEST(LoadConfigUsers, AcceptsNamesAndPasswordsOf255Bytes) {
  const auto result =
      load(userpass(user(std::string(255, 'n'), "password", std::string(255, 'p'))));
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->auth.users.at(0).username, std::string(255, 'n'));
  EXPECT_EQ(result.config->auth.users.at(0).password, std::string(255, 'p'));
}

TEST(LoadConfigUsers, NeedsAUsernameAndExactlyOneSecret) {
  EXPECT_THAT(load("[[auth.users]]\npassword_hash = \"$6$s$h\"\n").errors,
              ElementsAre("test.toml:1:1: 'auth.users[0]' in [[auth.users]] has no 'username'"));
  EXPECT_THAT(load("[[auth.users]]\nusername = \"a\"\n").errors,
              ElementsAre("test.toml:1:1: 'auth.users[0]' in [[auth.users]] has neither "
                          "'password_hash' nor 'password'; set password_hash (make one with "
                          "'rustsocks hash-password')"));
  EXPECT_THAT(load(user("a", "password_hash", "$6$s$h") + "password = \"pw\"\n").errors,
              ElementsAre("test.toml:4:12: 'auth.users[0].password' in [[auth.users]] is set "
                          "next to 'password_hash'; keep only password_hash"));
  EXPECT_THAT(load("[auth]\nusers = [{ username = \"a\" }]\n").errors,
              ElementsAre("test.toml:2:10: 'auth.users[0]' in [[auth.users]] has neither "
                          "'password_hash' nor 'password'; set password_hash (make one with "
                          "'rustsocks hash-password')"));
}

TEST(LoadConfigUsers, RejectsDuplicateUsernamesButNotDifferentCase) {
  const auto result = load(userpass(user("alice", "password_hash", "$6$s$h") +
                                    user("Alice", "password_hash", "$6$s$h") +
                                    user("alice", "password_hash", "$6$s$h")));
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors,
              ElementsAre("test.toml:10:12: 'auth.users[2].username' in [[auth.users]] is "
                          "\"alice\", which 'auth.users[0]' has already; usernames must be "
                          "unique"));
}

TEST(LoadConfigUsers, UserpassNeedsAtLeastOneUser) {
  const std::string error =
      "test.toml:2:16: 'auth.socks_method' in [auth] is \"userpass\", but there is no "
      "[[auth.users]] entry; add at least one user";
  EXPECT_THAT(load("[auth]\nsocks_method = \"userpass\"\n").errors, ElementsAre(error));
  EXPECT_THAT(load("[auth]\nsocks_method = \"userpass\"\nusers = []\n").errors, ElementsAre(error));
  EXPECT_THAT(load("[auth]\nmethod = \"userpass\"\n").errors,
              ElementsAre("test.toml:2:10: 'auth.method' in [auth] is \"userpass\", but there is "
                          "no [[auth.users]] entry; add at least one user"));
}

std::string two_users_with(std::string_view method) {
  std::string doc = "[auth]\nsocks_method = \"";
  doc += method;
  doc += "\"\n";
  doc += user("a", "password_hash", "$6$s$h");
  doc += user("b", "password_hash", "$6$s$h");
  return doc;
}

TEST(LoadConfigUsers, WarnsOnceThatUsersAreUnusedByAnotherMethod) {
  for (const std::string method : {"none", "pam.username"}) {
    const auto result = load(two_users_with(method));
    ASSERT_TRUE(result.config) << method;
    EXPECT_EQ(result.config->auth.users.size(), 2U);
    EXPECT_THAT(result.warnings,
                ElementsAre("test.toml:3:8: 'auth.users' in [auth] is ignored: only socks_method "
                            "\"userpass\" uses these users, and socks_method is \"" +
                            method + "\""));
  }
}

TEST(LoadConfigUsers, WarnsThatUsersAreUnusedByTheDefaultMethodButNotByARejectedOne) {
  EXPECT_THAT(load(user("a", "password_hash", "$6$s$h")).warnings,
              ElementsAre(StartsWith("test.toml:1:8: 'auth.users' in [auth] is ignored")));
  EXPECT_THAT(load(two_users_with("bad")).warnings, IsEmpty());
}

TEST(LoadConfigUsers, NeverShowsAPasswordOrAHash) {
  const std::string secret = "918273645546372819283746";
  const std::vector<std::string> docs = {
      user("a", "password", secret),
      user("a", "password", secret + "\\u0000"),
      user("a", "password", secret + std::string(250, 'x')),
      user("a", "password_hash", secret),
      user("a", "password_hash", "$6$" + secret + " "),
      user("a", "password_hash", "$6$" + secret) + "password = \"" + secret + "\"\n",
      user("a", "password", secret) + user("a", "password", secret),
      "[[auth.users]]\npassword = \"" + secret + "\"\n",
      "[auth]\nsocks_method = \"none\"\n" + user("a", "password_hash", "$y$" + secret),
      "[auth]\nusers = [{ username = \"a\", password_hash = \"" + secret + "\" }]\n",
  };
  for (const std::string& doc : docs) {
    auto messages = load(doc).errors;
    const auto warnings = load(doc).warnings;
    messages.insert(messages.end(), warnings.begin(), warnings.end());
    EXPECT_THAT(messages, AllOf(Not(IsEmpty()), Each(Not(HasSubstr("918273"))))) << doc;
  }
}

}  // namespace
}  // namespace rustsocks::config

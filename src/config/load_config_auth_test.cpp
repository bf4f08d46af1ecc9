// load_config() for [auth], [auth.lockout], [auth.pam] and [server] user (the account to drop to):
// methods, RustSocks' aliases and which one wins, PAM service names, the checks between a method
// and what it needs. (Integer bounds and wrong types are in the tables of load_config_test.cpp and
// load_config_errors_test.cpp.)
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace rustsocks::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kUser = "[[auth.users]]\nusername = \"a\"\npassword_hash = \"$6$s$h\"\n";

LoadResult load(std::string_view text) {
  return load_config(text, "test.toml");
}

TEST(LoadConfigAuth, ReadsEverySocksMethod) {
  const std::vector<std::pair<std::string, SocksMethod>> methods = {
      {"none", SocksMethod::None},
      {"userpass", SocksMethod::UserPass},
      {"pam.username", SocksMethod::PamUsername},
      {"pam.address", SocksMethod::PamAddress}};
  for (const auto& [name, method] : methods) {
    const auto result = load("[auth]\nsocks_method = \"" + name +
                             "\"\nsocks_pam_service = \"rustsocks\"\n" + std::string(kUser));
    ASSERT_TRUE(result.config) << name << ::testing::PrintToString(result.errors);
    EXPECT_EQ(result.config->auth.socks_method, method);
  }
}

TEST(LoadConfigAuth, ReadsEveryClientMethod) {
  EXPECT_EQ(load("[auth]\nclient_method = \"pam.address\"\n").config->auth.client_method,
            ClientMethod::PamAddress);
  EXPECT_EQ(load("[auth]\nclient_method = \"none\"\n").config->auth.client_method,
            ClientMethod::None);
  EXPECT_THAT(load("[auth]\nclient_method = \"pam.address\"\n").warnings, IsEmpty());
}

TEST(LoadConfigAuth, RejectsUnknownSocksMethodsNamingKeyPositionAndValue) {
  for (const std::string method : {"None", "", "pam", "user-pass", "pam.username "}) {
    const auto result = load("[auth]\nsocks_method = \"" + method + "\"\n");
    EXPECT_FALSE(result.config) << method;
    EXPECT_THAT(result.errors,
                ElementsAre("test.toml:2:16: 'auth.socks_method' in [auth] must be \"none\", "
                            "\"userpass\", \"pam.address\" or \"pam.username\", got \"" +
                            method + "\""));
  }
  EXPECT_THAT(load("[auth]\nmethod = \"pam\"\n").errors,
              ElementsAre("test.toml:2:10: 'auth.method' in [auth] must be \"none\", \"userpass\", "
                          "\"pam.address\" or \"pam.username\", got \"pam\""));
}

TEST(LoadConfigAuth, RejectsUnknownClientMethodsNamingKeyPositionAndValue) {
  for (const std::string method : {"userpass", "pam.username", "gssapi", "None"}) {
    const auto result = load("[auth]\nclient_method = \"" + method + "\"\n");
    EXPECT_FALSE(result.config) << method;
    EXPECT_THAT(result.errors,
                ElementsAre("test.toml:2:17: 'auth.client_method' in [auth] must be \"none\" or "
                            "\"pam.address\", got \"" +
                            method + "\""));
  }
}

TEST(LoadConfigAuth, RejectsGssapiAsNotSupported) {
  const std::string reason =
      " in [auth] is \"gssapi\", which is not supported: GSSAPI is not implemented in this build "
      "(use \"none\", \"userpass\", \"pam.address\" or \"pam.username\")";
  EXPECT_THAT(load("[auth]\nsocks_method = \"gssapi\"\n").errors,
              ElementsAre("test.toml:2:16: 'auth.socks_method'" + reason));
  const auto result =
      load("[auth]\nmethod = \"gssapi\"\n[auth.gssapi]\nservice_name = \"socks\"\n");
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors, ElementsAre("test.toml:2:10: 'auth.method'" + reason));
}

TEST(LoadConfigAuth, ReadsRustSocksMethodAsSocksMethod) {
  const auto result = load("[auth]\nmethod = \"pam.username\"\n");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->auth.socks_method, SocksMethod::PamUsername);
  EXPECT_THAT(result.warnings, IsEmpty());
}

TEST(LoadConfigAuth, SocksMethodWinsOverMethodWithAWarning) {
  const auto result = load("[auth]\nmethod = \"pam.username\"\nsocks_method = \"none\"\n");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->auth.socks_method, SocksMethod::None);
  EXPECT_THAT(result.warnings, ElementsAre("test.toml:2:10: 'auth.method' in [auth] is ignored: "
                                           "'auth.socks_method' is set too, and it wins"));
  const auto same = load("[auth]\nsocks_method = \"none\"\nmethod = \"none\"\n");
  EXPECT_THAT(same.warnings, ElementsAre("test.toml:3:10: 'auth.method' in [auth] is ignored: "
                                         "'auth.socks_method' is set too, and it wins"));
}

TEST(LoadConfigAuth, ChecksTheIgnoredMethodToo) {
  const auto result = load("[auth]\nmethod = \"gssapi\"\nsocks_method = \"none\"\n");
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors, ElementsAre(StartsWith("test.toml:2:10: 'auth.method'")));
}

TEST(LoadConfigAuth, ReadsRustSocksPamServiceNamesAsAliases) {
  const auto result =
      load("[auth.pam]\nusername_service = \"login\"\naddress_service = \"rs-hosts\"\n");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->auth.socks_pam_service, "login");
  EXPECT_EQ(result.config->auth.client_pam_service, "rs-hosts");
  EXPECT_THAT(result.warnings, IsEmpty());
}

TEST(LoadConfigAuth, ServiceKeysWinOverTheRustSocksNamesWithAWarning) {
  const auto result = load(
      "[auth]\nclient_pam_service = \"c1\"\nsocks_pam_service = \"s1\"\n"
      "[auth.pam]\nusername_service = \"s2\"\naddress_service = \"c2\"\n");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(result.config->auth.socks_pam_service, "s1");
  EXPECT_EQ(result.config->auth.client_pam_service, "c1");
  EXPECT_THAT(result.warnings,
              ElementsAre("test.toml:5:20: 'auth.pam.username_service' in [auth.pam] is ignored: "
                          "'auth.socks_pam_service' in [auth] is set too, and it wins",
                          "test.toml:6:19: 'auth.pam.address_service' in [auth.pam] is ignored: "
                          "'auth.client_pam_service' in [auth] is set too, and it wins"));
}

TEST(LoadConfigAuth, AcceptsServiceNamesOfUpTo64FileNameCharacters) {
  for (const std::string& name :
       std::vector<std::string>{"rustsocks", "a", "pam.d_x-Y9", "..x", std::string(64, 's')}) {
    const auto config = load("[auth]\nsocks_pam_service = \"" + name + "\"\n").config;
    EXPECT_EQ(config.value_or(Config{}).auth.socks_pam_service, name);
  }
}

std::string bad_service(const std::string& position, const std::string& path,
                        const std::string& table) {
  return "test.toml:" + position + ": '" + path + "' in " + table +
         " must be a PAM service name (a file in /etc/pam.d): up to 64 characters of A-Z, a-z, "
         "0-9, '.', '_' and '-', not \".\" or \"..\"; got ";
}

TEST(LoadConfigAuth, RejectsServiceNamesThatAreNotPlainFileNames) {
  const std::vector<std::string> names = {"a/b", "/etc/pam.d/x", ".", "..",
                                          "a b", "sshd\\t",      "é", std::string(65, 's')};
  const std::string error = bad_service("2:21", "auth.socks_pam_service", "[auth]");
  for (const std::string& name : names) {
    const auto result = load("[auth]\nsocks_pam_service = \"" + name + "\"\n");
    EXPECT_FALSE(result.config) << name;
    EXPECT_THAT(result.errors, ElementsAre(AllOf(StartsWith(error), Not(HasSubstr("\n")))));
  }
}

TEST(LoadConfigAuth, ChecksEveryServiceNameKey) {
  EXPECT_THAT(load("[auth]\nclient_pam_service = \"a/b\"\n").errors,
              ElementsAre(bad_service("2:22", "auth.client_pam_service", "[auth]") + "\"a/b\""));
  EXPECT_THAT(
      load("[auth.pam]\nusername_service = \"..\"\n").errors,
      ElementsAre(bad_service("2:20", "auth.pam.username_service", "[auth.pam]") + "\"..\""));
  EXPECT_THAT(
      load("[auth.pam]\naddress_service = \"x y\"\n").errors,
      ElementsAre(bad_service("2:19", "auth.pam.address_service", "[auth.pam]") + "\"x y\""));
}

TEST(LoadConfigAuth, AnEmptyServiceIsFineUntilAPamMethodNeedsIt) {
  EXPECT_TRUE(load("[auth]\nclient_pam_service = \"\"\nsocks_pam_service = \"\"\n").config);
  EXPECT_THAT(load("[auth]\nclient_method = \"pam.address\"\nclient_pam_service = \"\"\n").errors,
              ElementsAre("test.toml:2:17: 'auth.client_method' in [auth] is \"pam.address\", "
                          "which needs a PAM service, but 'auth.client_pam_service' in [auth] is "
                          "empty"));
  EXPECT_THAT(load("[auth]\nsocks_method = \"pam.username\"\nsocks_pam_service = \"\"\n").errors,
              ElementsAre("test.toml:2:16: 'auth.socks_method' in [auth] is \"pam.username\", "
                          "which needs a PAM service, but 'auth.socks_pam_service' in [auth] is "
                          "empty"));
  EXPECT_THAT(
      load("[auth]\nmethod = \"pam.address\"\n[auth.pam]\nusername_service = \"\"\n").errors,
      ElementsAre("test.toml:2:10: 'auth.method' in [auth] is \"pam.address\", which "
                  "needs a PAM service, but 'auth.pam.username_service' in [auth.pam] is "
                  "empty"));
}

TEST(LoadConfigAuth, TellsWhichServiceASocksPamAddressRunsWhenNoneIsSet) {
  const auto result = load("[auth]\nsocks_method = \"pam.address\"\n");
  ASSERT_TRUE(result.config);
  EXPECT_THAT(result.warnings,
              ElementsAre("test.toml:2:16: 'auth.socks_method' in [auth] is \"pam.address\", "
                          "which runs the SOCKS-tier PAM service \"rustsocks\" "
                          "('auth.socks_pam_service'), not [auth.pam] address_service as in "
                          "RustSocks; set socks_pam_service to choose it"));
  EXPECT_THAT(
      load("[auth]\nsocks_method = \"pam.address\"\nsocks_pam_service = \"rustsocks\"\n").warnings,
      IsEmpty());
}

TEST(LoadConfigAuth, AcceptsPamUserNamesOfUpTo255Bytes) {
  const auto config =
      load("[auth.pam]\ndefault_user = \"" + std::string(255, 'u') + "\"\ndefault_ruser = \"r\"\n")
          .config;
  ASSERT_TRUE(config);
  EXPECT_EQ(config->auth.pam.default_user, std::string(255, 'u'));
  EXPECT_EQ(config->auth.pam.default_ruser, "r");
}

void expect_bad_pam_names_rejected(const std::string& key) {
  const std::string prefix = "test.toml:2:" + std::to_string(key.size() + 4) + ": 'auth.pam." +
                             key + "' in [auth.pam] must be 1 to 255 bytes with no NUL " +
                             "character, got ";
  EXPECT_THAT(load("[auth.pam]\n" + key + " = \"\"\n").errors, ElementsAre(prefix + "\"\""));
  EXPECT_THAT(load("[auth.pam]\n" + key + " = \"a\\u0000\"\n").errors,
              ElementsAre(prefix + "\"a\\x00\""));
  EXPECT_THAT(load("[auth.pam]\n" + key + " = \"" + std::string(256, 'u') + "\"\n").errors,
              ElementsAre(prefix + "\"" + std::string(64, 'u') + "\"..."));
}

TEST(LoadConfigAuth, RejectsEmptyLongOrNulPamUserNames) {
  expect_bad_pam_names_rejected("default_user");
  expect_bad_pam_names_rejected("default_ruser");
}

TEST(LoadConfigAuth, VerifyServiceDefaultsToTrueUnlikeRustSocks) {
  EXPECT_TRUE(load("[auth.pam]\nverbose = false\n").config->auth.pam.verify_service);
  EXPECT_FALSE(load("[auth.pam]\nverify_service = false\n").config->auth.pam.verify_service);
}

TEST(LoadConfigAuth, AcceptsAccountNamesAsUseraddDoes) {
  for (const std::string& user :
       std::vector<std::string>{"socks", "_socks", "a", "rs-proxy_2", "machine$",
                                std::string(32, 'x'), std::string(31, 'x') + "$"}) {
    const auto config = load("[server]\nuser = \"" + user + "\"\n").config;
    EXPECT_EQ(config.value_or(Config{}).server.user, user);
  }
}

TEST(LoadConfigAuth, RejectsBadAccountNames) {
  for (const std::string& user :
       std::vector<std::string>{"", "Root", "1socks", "-socks", "so cks", "so.cks", "$", "a$$",
                                "s/x", std::string(33, 'x'), std::string(32, 'x') + "$"}) {
    const auto result = load("[server]\nuser = \"" + user + "\"\n");
    EXPECT_FALSE(result.config) << user;
    EXPECT_THAT(result.errors,
                ElementsAre("test.toml:2:8: 'server.user' in [server] must be an account name: 1 "
                            "to 32 characters of a-z, 0-9, '_' and '-', starting with a letter or "
                            "'_' (a final '$' is allowed), got \"" +
                            user + "\""));
  }
}

}  // namespace
}  // namespace rustsocks::config

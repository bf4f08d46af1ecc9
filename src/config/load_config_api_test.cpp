// [sessions] stats_api_* / base_path and [api]: values, defaults, the token file, the
// loopback-or-token rule, and that no message ever shows a token.
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include "config/config.hpp"

namespace rustsocks::config {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kToken = "tok-0123456789abcdef";
constexpr const char* kOther = "tok-fedcba9876543210";

LoadResult load(const std::string& text) {
  return load_config(text, "test.toml");
}

struct TokenFile {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("rs_tokens_" + std::to_string(::getpid()) + ".txt");
  explicit TokenFile(const std::string& text) { std::ofstream(path) << text; }
  ~TokenFile() { std::filesystem::remove(path); }
  TokenFile(const TokenFile&) = delete;
  TokenFile& operator=(const TokenFile&) = delete;
};

TEST(ApiConfig, DefaultsAreOffOnLoopbackPort9090) {
  const Api api = load("").config->api;
  EXPECT_FALSE(api.enabled);
  EXPECT_EQ(api.bind_address, "127.0.0.1");
  EXPECT_EQ(api.port, 9090);
  EXPECT_EQ(api.base_path, "/");
  EXPECT_THAT(api.tokens, IsEmpty());
  EXPECT_FALSE(api.metrics_require_token);
  EXPECT_FALSE(api.pam_test_enabled);
}

TEST(ApiConfig, ReadsEveryKey) {
  const auto result = load(std::string("[sessions]\nstats_api_enabled = true\n") +
                           "stats_api_bind_address = \"::1\"\nstats_api_port = 0\n" +
                           "base_path = \"admin/\"\n[api]\ntokens = [\"" + kToken +
                           "\"]\nmetrics_require_token = true\npam_test_enabled = true\n" +
                           "max_connections = 8\nread_timeout_ms = 500\n" +
                           "requests_per_second = 5\npam_tests_per_minute = 2\n");
  ASSERT_TRUE(result.config) << ::testing::PrintToString(result.errors);
  const Api& api = result.config->api;
  EXPECT_TRUE(api.enabled);
  EXPECT_EQ(api.bind_address, "::1");
  EXPECT_EQ(api.port, 0);
  EXPECT_EQ(api.base_path, "/admin");
  EXPECT_THAT(api.tokens, ElementsAre(kToken));
  EXPECT_TRUE(api.metrics_require_token);
  EXPECT_TRUE(api.pam_test_enabled);
  EXPECT_EQ(api.max_connections, 8U);
  EXPECT_EQ(api.read_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(api.requests_per_second, 5U);
  EXPECT_EQ(api.pam_tests_per_minute, 2U);
}

TEST(ApiConfig, ReadsTokensFromTheFileSkippingBlankLinesAndComments) {
  TokenFile file(std::string("# rotated 2026-11\n\n  ") + kOther + "  \n# old\n");
  const auto result = load(std::string("[api]\ntokens = [\"") + kToken + "\"]\ntoken_file = \"" +
                           file.path.string() + "\"\n");
  ASSERT_TRUE(result.config) << ::testing::PrintToString(result.errors);
  EXPECT_THAT(result.config->api.tokens, ElementsAre(kToken, kOther));
}

TEST(ApiConfig, AnUnreadableTokenFileIsAnErrorNamingThePath) {
  const auto result = load("[api]\ntoken_file = \"/nonexistent/tokens\"\n");
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors,
              ElementsAre("test.toml:2:14: 'api.token_file' in [api]: cannot read the token file "
                          "\"/nonexistent/tokens\": No such file or directory"));
}

TEST(ApiConfig, ABadTokenIsAnErrorThatDoesNotShowIt) {
  TokenFile file("short-secret\n");
  const auto result =
      load("[api]\ntokens = [\"tiny-secret\"]\ntoken_file = \"" + file.path.string() + "\"\n");
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.errors.size(), 2U);
  EXPECT_EQ(result.errors[0],
            "test.toml:2:11: 'api.tokens' in [api]: entry 1 must be 16 to 256 printable ASCII "
            "characters without spaces (value not shown)");
  EXPECT_THAT(result.errors[1], HasSubstr("line 1 of"));
  EXPECT_THAT(result.errors, Each(Not(HasSubstr("secret"))));
}

TEST(ApiConfig, ANonLoopbackApiWithoutTokenIsAnError) {
  const auto result =
      load("[sessions]\nstats_api_enabled = true\nstats_api_bind_address = \"0.0.0.0\"\n");
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors, ElementsAre(HasSubstr(
                                 "test.toml:3:26: 'sessions.stats_api_bind_address' in [sessions] "
                                 "is \"0.0.0.0\", not a loopback address, and no API token")));
  EXPECT_TRUE(load(std::string("[sessions]\nstats_api_enabled = true\n") +
                   "stats_api_bind_address = \"0.0.0.0\"\n[api]\ntokens = [\"" + kToken + "\"]\n")
                  .config);
  EXPECT_TRUE(
      load("[sessions]\nstats_api_enabled = false\nstats_api_bind_address = \"0.0.0.0\"\n").config);
  EXPECT_TRUE(load("[sessions]\nstats_api_enabled = true\nstats_api_bind_address = \"127.0.0.9\"\n")
                  .config);
}

TEST(ApiConfig, RejectsBadValuesWithKeyTableAndPosition) {
  EXPECT_THAT(load("[sessions]\nstats_api_bind_address = \"localhost\"\n").errors,
              ElementsAre(HasSubstr("test.toml:2:26: 'sessions.stats_api_bind_address' in "
                                    "[sessions] must be an IPv4 or IPv6 literal")));
  EXPECT_THAT(load("[sessions]\nbase_path = \"/a b\"\n").errors,
              ElementsAre(HasSubstr("test.toml:2:13: 'sessions.base_path' in [sessions] must be")));
  EXPECT_THAT(load("[api]\nmax_connections = 0\n").errors,
              ElementsAre("test.toml:2:19: 'api.max_connections' in [api] must be between 1 and "
                          "10000, got 0"));
  EXPECT_THAT(load("[api]\ntokens = [1]\n").errors,
              ElementsAre(HasSubstr("'api.tokens' in [api] must be an array of strings")));
}

}  // namespace
}  // namespace rustsocks::config

// load_config() errors: wrong types, unknown keys with suggestions, syntax errors, all errors in
// one pass, files, and secrets never echoed.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

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

struct BadDocument {
  std::string doc;
  std::string error;
};

class RejectsWrongType : public ::testing::TestWithParam<BadDocument> {};

TEST_P(RejectsWrongType, NamingKeyTableAndPosition) {
  const auto result = load(GetParam().doc);
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors, ElementsAre(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    LoadConfig, RejectsWrongType,
    ::testing::Values(
        BadDocument{"[server]\nbind_address = 127\n",
                    "test.toml:2:16: 'server.bind_address' in [server] must be a string, got "
                    "integer"},
        BadDocument{"[server]\nbind_port = \"1080\"\n",
                    "test.toml:2:13: 'server.bind_port' in [server] must be an integer, got "
                    "string"},
        BadDocument{"[server]\nworkers = 1.5\n",
                    "test.toml:2:11: 'server.workers' in [server] must be an integer, got float"},
        BadDocument{"[server]\nidle_timeout_secs = 1979-05-27\n",
                    "test.toml:2:21: 'server.idle_timeout_secs' in [server] must be an integer, "
                    "got date"},
        BadDocument{"[server]\nsplice = \"yes\"\n",
                    "test.toml:2:10: 'server.splice' in [server] must be a boolean, got string"},
        BadDocument{"[server.pool]\nconnect_timeout_ms = \"5s\"\n",
                    "test.toml:2:22: 'server.pool.connect_timeout_ms' in [server.pool] must be "
                    "an integer, got string"},
        BadDocument{"[logging]\nlevel = 3\n",
                    "test.toml:2:9: 'logging.level' in [logging] must be a string, got integer"},
        BadDocument{"[logging]\nfile = [\"a\"]\n",
                    "test.toml:2:8: 'logging.file' in [logging] must be a string, got array"},
        BadDocument{"log_level = true\n",
                    "test.toml:1:13: 'log_level' at the top level must be a string, got boolean"},
        BadDocument{"[auth]\nsocks_method = 0\n",
                    "test.toml:2:16: 'auth.socks_method' in [auth] must be a string, got integer"},
        BadDocument{"server = 1\n",
                    "test.toml:1:10: 'server' at the top level must be a table, got integer"},
        BadDocument{"[auth]\nusers = { username = \"a\" }\n",
                    "test.toml:2:9: 'auth.users' in [auth] must be an array of tables, got table"},
        BadDocument{"[server.tls]\nalpn_protocols = [\"h2\", 3]\n",
                    "test.toml:2:18: 'server.tls.alpn_protocols' in [server.tls] must be an "
                    "array of strings, got an array holding an integer"},
        BadDocument{"[sessions]\nbatch_size = \"100\"\n",
                    "test.toml:2:14: 'sessions.batch_size' in [sessions] must be an integer, got "
                    "string"},
        BadDocument{"[[auth.users]]\nusername = 5\npassword_hash = \"$6$s$h\"\n",
                    "test.toml:2:12: 'auth.users[0].username' in [[auth.users]] must be a "
                    "string, got integer"},
        BadDocument{"[server]\nuser = 0\n",
                    "test.toml:2:8: 'server.user' in [server] must be a string, got integer"},
        BadDocument{"[auth]\nmethod = [\"none\"]\n",
                    "test.toml:2:10: 'auth.method' in [auth] must be a string, got array"},
        BadDocument{"[auth]\nclient_method = false\n",
                    "test.toml:2:17: 'auth.client_method' in [auth] must be a string, got boolean"},
        BadDocument{"[auth]\nclient_pam_service = 1\n",
                    "test.toml:2:22: 'auth.client_pam_service' in [auth] must be a string, got "
                    "integer"},
        BadDocument{"[auth]\nsocks_pam_service = {}\n",
                    "test.toml:2:21: 'auth.socks_pam_service' in [auth] must be a string, got "
                    "table"},
        BadDocument{"[auth]\nfailure_delay_ms = 1.0\n",
                    "test.toml:2:20: 'auth.failure_delay_ms' in [auth] must be an integer, got "
                    "float"},
        BadDocument{"[auth]\nuserpass_cache_ttl_secs = \"60\"\n",
                    "test.toml:2:27: 'auth.userpass_cache_ttl_secs' in [auth] must be an integer, "
                    "got string"},
        BadDocument{"[auth]\nlockout = true\n",
                    "test.toml:2:11: 'auth.lockout' in [auth] must be a table, got boolean"},
        BadDocument{"[auth.lockout]\nenabled = 1\n",
                    "test.toml:2:11: 'auth.lockout.enabled' in [auth.lockout] must be a boolean, "
                    "got integer"},
        BadDocument{"[auth.lockout]\nmax_failures = \"5\"\n",
                    "test.toml:2:16: 'auth.lockout.max_failures' in [auth.lockout] must be an "
                    "integer, got string"},
        BadDocument{"[auth.lockout]\nwindow_secs = 60.5\n",
                    "test.toml:2:15: 'auth.lockout.window_secs' in [auth.lockout] must be an "
                    "integer, got float"},
        BadDocument{"[auth.lockout]\nduration_secs = 00:05:00\n",
                    "test.toml:2:17: 'auth.lockout.duration_secs' in [auth.lockout] must be an "
                    "integer, got time"},
        BadDocument{"[auth]\npam = []\n",
                    "test.toml:2:7: 'auth.pam' in [auth] must be a table, got array"},
        BadDocument{"[auth.pam]\nusername_service = true\n",
                    "test.toml:2:20: 'auth.pam.username_service' in [auth.pam] must be a string, "
                    "got boolean"},
        BadDocument{"[auth.pam]\naddress_service = 2\n",
                    "test.toml:2:19: 'auth.pam.address_service' in [auth.pam] must be a string, "
                    "got integer"},
        BadDocument{"[auth.pam]\ndefault_user = 0\n",
                    "test.toml:2:16: 'auth.pam.default_user' in [auth.pam] must be a string, got "
                    "integer"},
        BadDocument{"[auth.pam]\ndefault_ruser = false\n",
                    "test.toml:2:17: 'auth.pam.default_ruser' in [auth.pam] must be a string, got "
                    "boolean"},
        BadDocument{"[auth.pam]\nverbose = \"no\"\n",
                    "test.toml:2:11: 'auth.pam.verbose' in [auth.pam] must be a boolean, got "
                    "string"},
        BadDocument{"[auth.pam]\nverify_service = 0\n",
                    "test.toml:2:18: 'auth.pam.verify_service' in [auth.pam] must be a boolean, "
                    "got integer"},
        BadDocument{"[auth.pam]\nmonitor_workers = \"4\"\n",
                    "test.toml:2:19: 'auth.pam.monitor_workers' in [auth.pam] must be an integer, "
                    "got string"},
        BadDocument{"[auth.pam]\ntimeout_ms = 1e4\n",
                    "test.toml:2:14: 'auth.pam.timeout_ms' in [auth.pam] must be an integer, got "
                    "float"},
        BadDocument{"[auth.pam]\ncache_ttl_secs = true\n",
                    "test.toml:2:18: 'auth.pam.cache_ttl_secs' in [auth.pam] must be an integer, "
                    "got boolean"},
        BadDocument{"[[auth.users]]\nusername = \"a\"\npassword_hash = 5\n",
                    "test.toml:3:17: 'auth.users[0].password_hash' in [[auth.users]] must be a "
                    "string, got integer"},
        BadDocument{"[[auth.users]]\nusername = \"a\"\npassword = true\n",
                    "test.toml:3:12: 'auth.users[0].password' in [[auth.users]] must be a "
                    "string, got boolean"},
        BadDocument{"[auth]\nusers = [{ username = \"a\", password = \"b\" }, 3]\n",
                    "test.toml:2:9: 'auth.users' in [auth] must be an array of tables, got an "
                    "array holding an integer"}));

class SuggestsKnownKey : public ::testing::TestWithParam<BadDocument> {};

TEST_P(SuggestsKnownKey, ForAnUnknownKey) {
  const auto result = load(GetParam().doc);
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors, ElementsAre(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    LoadConfig, SuggestsKnownKey,
    ::testing::Values(
        BadDocument{"[server]\nbind_adress = \"::\"\n",
                    "test.toml:2:1: unknown key 'server.bind_adress' in [server]; did you mean "
                    "'bind_address'?"},
        BadDocument{"[server]\nBind_Port = 1\n",
                    "test.toml:2:1: unknown key 'server.Bind_Port' in [server]; did you mean "
                    "'bind_port'?"},
        BadDocument{"[server]\nhandshake-timeout-ms = 1\n",
                    "test.toml:2:1: unknown key 'server.handshake-timeout-ms' in [server]; did you "
                    "mean 'handshake_timeout_ms'?"},
        BadDocument{"[logging]\nlvel = \"info\"\n",
                    "test.toml:2:1: unknown key 'logging.lvel' in [logging]; did you mean "
                    "'level'?"},
        BadDocument{"level = \"info\"\n",
                    "test.toml:1:1: unknown key 'level' at the top level; did you mean 'level' "
                    "in [logging]?"},
        BadDocument{"[servr]\nbind_port = 1\n",
                    "test.toml:1:2: unknown key 'servr' at the top level; did you mean "
                    "'server'?"},
        BadDocument{
            "[[auth.users]]\nusername = \"a\"\npassword_hash = \"$6$s$h\"\npasswrd = \"x\"\n",
            "test.toml:4:1: unknown key 'auth.users[0].passwrd' in [[auth.users]]; did "
            "you mean 'password'?"},
        BadDocument{"[sessions]\nstats_api_enabeld = false\n",
                    "test.toml:2:1: unknown key 'sessions.stats_api_enabeld' in [sessions]; did "
                    "you mean 'stats_api_enabled'?"},
        BadDocument{"[qos.htb]\nburst_size_byte = 1\n",
                    "test.toml:2:1: unknown key 'qos.htb.burst_size_byte' in [qos.htb]; did you "
                    "mean 'burst_size_bytes'?"},
        BadDocument{"[server]\ncolour = \"blue\"\n",
                    "test.toml:2:1: unknown key 'server.colour' in [server]"},
        BadDocument{"\"server.bind_port\" = 1\n",
                    "test.toml:1:1: unknown key 'server.bind_port' at the top level"}));

TEST(LoadConfig, ReportsEveryErrorOfTheDocumentInLineOrder) {
  const auto result = load(R"([server]
bind_port = 70000
bind_adress = "::"
workers = "all"
[logging]
level = "loud"
[acl]
enabled = true
[bogus]
)");
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors,
              ElementsAre(StartsWith("test.toml:2:13: 'server.bind_port'"),
                          StartsWith("test.toml:3:1: unknown key 'server.bind_adress'"),
                          StartsWith("test.toml:4:11: 'server.workers'"),
                          StartsWith("test.toml:6:9: 'logging.level'"),
                          StartsWith("test.toml:8:11: 'acl.enabled'"),
                          StartsWith("test.toml:9:2: unknown key 'bogus'")));
}

TEST(LoadConfig, ReportsASyntaxErrorWithItsPosition) {
  EXPECT_THAT(load("[server]\nbind_port = = 3\n").errors,
              ElementsAre("test.toml:2:13: Error while parsing value: could not determine value "
                          "type"));
  EXPECT_THAT(load("[server]\n[server]\n").errors,
              ElementsAre("test.toml:2:1: Error while parsing table header: cannot redefine "
                          "existing table 'server'"));
  EXPECT_FALSE(load("[server]\n[server]\n").config);
}

TEST(LoadConfig, NeverEchoesASecret) {
  const std::vector<std::string> docs = {
      "[[auth.users]]\nusername = \"a\"\npassword = 918273645546372819283746\n",
      "[[auth.users]]\nusername = \"a\"\npassword = \"918273645546372819283746\n",
      "[auth]\nusers = [{ username = \"a\", password = 918273645546372819283746 }]\n",
      "[auth]\nmethod = \"userpass\"\n[[auth.users]]\npassword = \"918273645546372819283746\"\n",
      "[[auth.users]]\npassword = [\"918273645546372819283746\"]\n",
      "[server.tls]\nkey_password = \"918273645546372819283746\"\n",
      "[sessions.dashboard_auth]\nsession_secret = \"918273645546372819283746\"\n",
      "[sessions.dashboard_auth]\nsession_secret = 918273645546372819283746\n",
      "[sessions]\ndatabase_url = \"mysql://u:918273645546372819283746@db/x\"\n",
  };
  for (const std::string& doc : docs) {
    auto messages = load(doc).errors;
    const auto warnings = load(doc).warnings;
    messages.insert(messages.end(), warnings.begin(), warnings.end());
    EXPECT_THAT(messages, AllOf(Not(IsEmpty()), Each(Not(HasSubstr("918273"))))) << doc;
  }
}

TEST(LoadConfigFile, NamesTheMissingFile) {
  const auto result = load_config_file("/nonexistent/rustsocks.toml");
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors, ElementsAre("/nonexistent/rustsocks.toml: cannot open the config "
                                         "file: No such file or directory"));
}

TEST(LoadConfigFile, NamesADirectoryGivenAsTheFile) {
  const auto dir = std::filesystem::temp_directory_path().string();
  const auto result = load_config_file(dir);
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors, ElementsAre(StartsWith(dir + ": cannot read the config file: ")));
}

TEST(LoadConfigFile, ReadsAFileAndNamesItInMessages) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("rustsocks_config_test_" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream out(path);
    out << "[server]\nbind_port = 2080\nextra = 1\n";
  }
  const auto result = load_config_file(path.string());
  std::filesystem::remove(path);
  EXPECT_THAT(result.errors, ElementsAre(AllOf(StartsWith(path.string() + ":3:1: unknown key"),
                                               HasSubstr("'server.extra'"))));
  EXPECT_THAT(load_config("bind_port = 1", "named.toml").errors,
              ElementsAre(StartsWith("named.toml:1:1: ")));
}

TEST(LoadConfig, ToleratesBinaryGarbage) {
  const std::string garbage("\x00\xff\xfe[\x01=\"\x80", 8);
  const auto result = load(garbage);
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors, ElementsAre(StartsWith("test.toml:")));
  EXPECT_THAT(result.warnings, IsEmpty());
}

}  // namespace
}  // namespace rustsocks::config

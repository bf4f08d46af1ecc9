// The ACL file format: RustSocks' files load; every mistake is reported with line and column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "acl/rules.hpp"

namespace rustsocks::acl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

AclLoad load(std::string_view text) {
  return load_acl(text, "acl.toml");
}

constexpr std::string_view kRustSocksExample = R"([global]
default_policy = "block"

[[users]]
username = "alice"
groups = ["developers"]
rate_limit_mbps = 10

  [[users.rules]]
  action = "allow"
  description = "Allow HTTPS"
  destinations = ["*"]
  ports = ["443"]
  protocols = ["tcp"]
  priority = 100

  [[users.rules]]
  action = "block"
  description = "Block admin panel"
  destinations = ["admin.company.com", "10.0.0.0/8", "*.internal.company.com"]
  ports = ["*"]
  protocols = ["both"]
  priority = 1000

[[groups]]
name = "developers"

  [[groups.rules]]
  action = "allow"
  description = "Dev servers"
  destinations = ["prod-*.company.com", "192.168.1.1", "2001:db8::/32"]
  ports = ["22", "8000-9000", "80,443"]
)";

TEST(LoadAcl, LoadsRustSocksFormat) {
  const auto result = load(kRustSocksExample);
  ASSERT_TRUE(result.file) << ::testing::PrintToString(result.errors);
  const AclFile& file = *result.file;
  EXPECT_EQ(file.default_policy, Action::Block);
  ASSERT_EQ(file.users.size(), 1U);
  EXPECT_EQ(file.users[0].name, "alice");
  EXPECT_THAT(file.users[0].groups, ElementsAre("developers"));
  ASSERT_EQ(file.users[0].rules.size(), 2U);
  const Rule& block = file.users[0].rules[1];
  EXPECT_EQ(block.action, Action::Block);
  EXPECT_EQ(block.priority, 1000U);
  EXPECT_THAT(block.domains, ElementsAre("admin.company.com"));
  ASSERT_EQ(block.networks.size(), 1U);
  EXPECT_EQ(block.wildcards.size(), 1U);
  EXPECT_EQ(block.commands, kAllCommands);
  EXPECT_EQ(block.line, 17U);
  const Rule& dev = file.groups[0].rules[0];
  EXPECT_EQ(dev.priority, 100U);          // default
  EXPECT_EQ(dev.commands, kAllCommands);  // protocols default to "both"
  ASSERT_EQ(dev.ports.size(), 4U);
  EXPECT_EQ(dev.ports[1].first, 8000);
  EXPECT_EQ(dev.ports[1].last, 9000);
  EXPECT_EQ(file.users[0].rules[0].commands, bit(Command::Connect) | bit(Command::Bind));
  EXPECT_THAT(result.warnings, ElementsAre(HasSubstr("acl.toml:7:19: key 'rate_limit_mbps'")));
}

TEST(LoadAcl, EmptyFileBlocksEverything) {
  const auto result = load("");
  ASSERT_TRUE(result.file);
  EXPECT_EQ(result.file->default_policy, Action::Block);
  EXPECT_THAT(result.warnings, IsEmpty());
}

TEST(LoadAcl, WarnsAboutRulesThatCanNeverMatch) {
  const auto result = load(R"([[groups]]
name = "g"
[[groups.rules]]
action = "allow"
destinations = []
ports = ["*"]
[[groups.rules]]
action = "allow"
destinations = ["*"]
[[groups.rules]]
action = "allow"
destinations = ["*"]
ports = ["*"]
protocols = []
)");
  ASSERT_TRUE(result.file);
  EXPECT_THAT(result.warnings,
              ElementsAre("acl.toml:5:16: rule in [[groups]].rules can never match: "
                          "'destinations' is empty",
                          "acl.toml:7:1: rule in [[groups]].rules has no 'ports' and can never "
                          "match",
                          "acl.toml:14:13: rule in [[groups]].rules can never match: "
                          "'protocols' is empty"));
}

struct BadFile {
  std::string text;
  std::string error;
};
class LoadAclErrors : public ::testing::TestWithParam<BadFile> {};

TEST_P(LoadAclErrors, NamesLineAndColumn) {
  const auto result = load(GetParam().text);
  EXPECT_FALSE(result.file);
  EXPECT_THAT(result.errors, ElementsAre(GetParam().error));
}

constexpr std::string_view kRule = "[[users]]\nusername = \"u\"\n[[users.rules]]\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, LoadAclErrors,
    ::testing::Values(
        BadFile{"[global]\ndefault_policy = = 1\n",
                "acl.toml:2:18: Error while parsing value: could not determine value type"},
        BadFile{"[global]\ndefault_policy = \"deny\"\n",
                "acl.toml:2:18: 'default_policy' in [global] must be \"allow\" or \"block\""},
        BadFile{std::string(kRule) + "action = \"Allow\"\ndestinations=[\"*\"]\nports=[\"*\"]\n",
                "acl.toml:4:10: 'action' in [[users]].rules must be \"allow\" or \"block\", got "
                "\"Allow\""},
        BadFile{std::string(kRule) + "action = \"allow\"\ndestinations=[\"*\"]\nports=[\"8o\"]\n",
                "acl.toml:6:7: 'ports' in [[users]].rules: \"8o\" is not \"*\", a port, a range "
                "\"a-b\" or a list \"a,b\""},
        BadFile{
            std::string(kRule) + "action = \"allow\"\ndestinations=[\"*\"]\nports=[\"70000\"]\n",
            "acl.toml:6:7: 'ports' in [[users]].rules: \"70000\" is not \"*\", a port, a "
            "range \"a-b\" or a list \"a,b\""},
        BadFile{std::string(kRule) + "action = \"allow\"\ndestinations=[\"10.0.0.0/33\"]\n" +
                    "ports=[\"*\"]\n",
                "acl.toml:5:14: 'destinations' in [[users]].rules: \"10.0.0.0/33\" is not \"*\", "
                "an IP address, a CIDR, a domain or a wildcard domain"},
        BadFile{std::string(kRule) + "action = \"allow\"\ndestinations=[\"a b.com\"]\n" +
                    "ports=[\"*\"]\n",
                "acl.toml:5:14: 'destinations' in [[users]].rules: \"a b.com\" is not \"*\", an "
                "IP address, a CIDR, a domain or a wildcard domain"},
        BadFile{std::string(kRule) + "action = \"allow\"\ndestinations=[\"*\"]\nports=[\"*\"]\n" +
                    "protocols=[\"icmp\"]\n",
                "acl.toml:7:11: 'protocols' in [[users]].rules: \"icmp\" is not \"tcp\", \"udp\", "
                "\"both\", \"*\", \"connect\" or \"bind\""},
        BadFile{std::string(kRule) + "action = \"allow\"\ndestinations=\"*\"\nports=[\"*\"]\n",
                "acl.toml:5:14: 'destinations' in [[users]].rules must be an array of strings"},
        BadFile{std::string(kRule) + "action = \"allow\"\ndestinations=[\"*\"]\nports=[\"*\"]\n" +
                    "priority = -1\n",
                "acl.toml:7:12: 'priority' in [[users]].rules must be an integer between 0 and "
                "4294967295"},
        BadFile{"[[users]]\nusername = \"a\"\n[[users]]\nusername = \"a\"\n",
                "acl.toml:3:1: duplicate username \"a\""},
        BadFile{"[[groups]]\nname = \"Ops\"\n[[groups]]\nname = \"ops\"\n",
                "acl.toml:3:1: duplicate group name \"ops\" (group names are case-insensitive)"},
        BadFile{"[[users]]\nusername = \"a\"\ngroups = [\"nope\"]\n",
                "acl.toml:3:10: user \"a\" is in group \"nope\", which no [[groups]] entry "
                "defines"},
        BadFile{"[[users]]\ngroups = []\n",
                "acl.toml:1:1: 'username' in [[users]] is required and must be a non-empty "
                "string"},
        BadFile{"[[clients]]\naction = \"allow\"\nsources = [\"10.0.0.0/8\", \"x\"]\n",
                "acl.toml:3:11: 'sources' in [[clients]]: \"x\" is not \"*\", an IP address or a "
                "CIDR"}));

TEST(LoadAcl, ReadsClientRules) {
  const auto result = load(R"([[clients]]
action = "allow"
description = "office"
sources = ["10.0.0.0/8", "::1"]
[[clients]]
action = "block"
sources = ["*"]
priority = 1
)");
  ASSERT_TRUE(result.file) << ::testing::PrintToString(result.errors);
  ASSERT_EQ(result.file->clients.size(), 2U);
  EXPECT_EQ(result.file->clients[0].sources.size(), 2U);
  EXPECT_FALSE(result.file->clients[0].any_source);
  EXPECT_TRUE(result.file->clients[1].any_source);
  EXPECT_THAT(result.warnings, IsEmpty());
}

TEST(LoadAcl, WarnsAboutUnknownKeys) {
  const auto result = load("[global]\ndefault_policy = \"allow\"\nmode = 1\n[extra]\n");
  ASSERT_TRUE(result.file);
  EXPECT_THAT(result.warnings,
              ElementsAre("acl.toml:3:8: unknown key 'mode' in [global] is ignored",
                          "acl.toml:4:1: unknown key 'extra' in the ACL file is ignored"));
}

}  // namespace
}  // namespace rustsocks::acl

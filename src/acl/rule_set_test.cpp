// Semantics of a decision (docs/acl.md): matchers, precedence, groups, the guard, the client
// checkpoint, and names decided after resolution.
#include "acl/rule_set.hpp"

#include <gtest/gtest.h>

namespace rustsocks::acl {
namespace {

RuleSet compile(std::string_view text, Guard guard = {}) {
  auto loaded = load_acl(text, "acl.toml");
  EXPECT_TRUE(loaded.file) << ::testing::PrintToString(loaded.errors);
  return RuleSet(loaded.file ? std::move(*loaded.file) : AclFile{}, std::move(guard));
}

struct Ask {
  std::string user = "alice";
  std::vector<std::string> groups{};
  std::string target{};
  std::uint16_t port = 443;
  Command command = Command::Connect;
  std::string address{};  // resolved address of a name
  std::string client{};
};

Decision ask(const RuleSet& rules, const Ask& a) {
  Query query;
  query.user = a.user;
  query.groups = a.groups;
  query.target = normalize_target(a.target);
  if (!a.address.empty()) query.target.ip = parse_ip(a.address);
  if (!a.client.empty()) query.client = parse_ip(a.client);
  query.port = a.port;
  query.command = a.command;
  return rules.evaluate(query);
}

std::string verdict(const RuleSet& rules, const Ask& a) {
  const Decision d = ask(rules, a);
  std::string out(verdict_name(d.verdict));
  if (d.rule != nullptr) out += ":" + d.rule->description;
  if (d.reason == Reason::Guard) out += ":guard";
  return out;
}

std::string one_rule(std::string_view fields) {
  return "[[users]]\nusername = \"alice\"\n[[users.rules]]\naction = \"allow\"\ndescription = "
         "\"r\"\n" +
         std::string(fields) + "\n";
}

TEST(Evaluate, StarMatchesEveryDestination) {
  auto rules = compile(one_rule("destinations = [\"*\"]\nports = [\"*\"]"));
  EXPECT_EQ(verdict(rules, {.target = "example.com"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "8.8.8.8"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "2001:db8::1"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.user = "bob", .target = "8.8.8.8"}), "block");  // default block
}

TEST(Evaluate, AddressesAndNetworksOfBothFamilies) {
  auto rules = compile(one_rule(
      "destinations = [\"10.0.0.0/8\", \"192.0.2.7\", \"2001:db8::/32\", \"::ffff:172.16.0.0/108\"]"
      "\nports = [\"*\"]"));
  EXPECT_EQ(verdict(rules, {.target = "10.200.0.1"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "11.0.0.1"}), "block");
  EXPECT_EQ(verdict(rules, {.target = "192.0.2.7"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "192.0.2.8"}), "block");
  EXPECT_EQ(verdict(rules, {.target = "2001:db8:ffff::1"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "2001:db9::1"}), "block");
  EXPECT_EQ(verdict(rules, {.target = "172.20.1.1"}), "allow:r");  // mapped rule = IPv4 /12
  EXPECT_EQ(verdict(rules, {.target = "::ffff:10.1.1.1"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "0x0a.1"}), "allow:r");  // 10.0.0.1
}

TEST(Evaluate, ExactDomainsIgnoreCaseAndTrailingDot) {
  auto rules = compile(one_rule("destinations = [\"Example.COM\"]\nports = [\"*\"]"));
  EXPECT_EQ(verdict(rules, {.target = "example.com"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "EXAMPLE.com."}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "www.example.com"}), "block");
  EXPECT_EQ(verdict(rules, {.target = "example.com.evil"}), "block");
  EXPECT_EQ(verdict(rules, {.target = "notexample.com"}), "block");
}

TEST(Evaluate, LeadingWildcardMatchesSubdomainsOnly) {
  auto rules = compile(one_rule("destinations = [\"*.example.com\"]\nports = [\"*\"]"));
  EXPECT_EQ(verdict(rules, {.target = "a.example.com"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "a.b.example.com"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "A.Example.Com."}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "example.com"}), "block");
  EXPECT_EQ(verdict(rules, {.target = "aexample.com"}), "block");
}

TEST(Evaluate, InnerWildcardStandsForExactlyOneLabel) {
  auto rules =
      compile(one_rule("destinations = [\"api.*.com\", \"*.*.corp\", \"prod-*.company.com\"]\n"
                       "ports = [\"*\"]"));
  EXPECT_EQ(verdict(rules, {.target = "api.x.com"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "api.x.y.com"}), "block");
  EXPECT_EQ(verdict(rules, {.target = "api.com"}), "block");
  EXPECT_EQ(verdict(rules, {.target = "a.b.corp"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "a.b.c.corp"}), "allow:r");  // leading * = 1 or more
  EXPECT_EQ(verdict(rules, {.target = "b.corp"}), "block");
  EXPECT_EQ(verdict(rules, {.target = "prod-db.company.com"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "prod-.company.com"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "prod.company.com"}), "block");
  EXPECT_EQ(verdict(rules, {.target = "x.prod-db.company.com"}), "block");
}

TEST(Evaluate, DomainRulesNeverMatchAddressesAndNetworksNeverMatchNames) {
  auto rules = compile(one_rule("destinations = [\"*.1\", \"localhost\"]\nports = [\"*\"]"));
  EXPECT_EQ(verdict(rules, {.target = "10.0.0.1"}), "block");
  EXPECT_EQ(verdict(rules, {.target = "localhost"}), "allow:r");
}

TEST(Evaluate, PortsSingleRangesListsAndStar) {
  auto rules =
      compile(one_rule("destinations = [\"*\"]\nports = [\"22\", \"8000-9000\", \"80,443\"]"));
  for (const std::uint16_t port : std::vector<std::uint16_t>{22, 8000, 8500, 9000, 80, 443}) {
    EXPECT_EQ(verdict(rules, {.target = "x.org", .port = port}), "allow:r") << port;
  }
  for (const std::uint16_t port :
       std::vector<std::uint16_t>{0, 21, 23, 7999, 9001, 81, 442, 65535}) {
    EXPECT_EQ(verdict(rules, {.target = "x.org", .port = port}), "block") << port;
  }
  auto all = compile(one_rule("destinations = [\"*\"]\nports = [\"*\"]"));
  EXPECT_EQ(verdict(all, {.target = "x.org", .port = 0}), "allow:r");
  EXPECT_EQ(verdict(all, {.target = "x.org", .port = 65535}), "allow:r");
}

TEST(Evaluate, ProtocolsSelectCommands) {
  auto tcp = compile(one_rule("destinations = [\"*\"]\nports = [\"*\"]\nprotocols = [\"tcp\"]"));
  EXPECT_EQ(verdict(tcp, {.target = "x.org", .command = Command::Connect}), "allow:r");
  EXPECT_EQ(verdict(tcp, {.target = "x.org", .command = Command::Bind}), "allow:r");
  EXPECT_EQ(verdict(tcp, {.target = "x.org", .command = Command::Udp}), "block");
  auto udp = compile(one_rule("destinations = [\"*\"]\nports = [\"*\"]\nprotocols = [\"udp\"]"));
  EXPECT_EQ(verdict(udp, {.target = "x.org", .command = Command::Connect}), "block");
  EXPECT_EQ(verdict(udp, {.target = "x.org", .command = Command::Udp}), "allow:r");
  auto bind = compile(one_rule("destinations = [\"*\"]\nports = [\"*\"]\nprotocols = [\"bind\"]"));
  EXPECT_EQ(verdict(bind, {.target = "x.org", .command = Command::Connect}), "block");
  EXPECT_EQ(verdict(bind, {.target = "x.org", .command = Command::Bind}), "allow:r");
}

TEST(Evaluate, EmptyListsMatchNothing) {
  auto rules = compile(one_rule("destinations = []\nports = [\"*\"]") +
                       "[global]\ndefault_policy = \"allow\"\n");
  EXPECT_EQ(verdict(rules, {.target = "x.org"}), "allow");  // the default, not the rule
}

TEST(Evaluate, SourcesRestrictARuleToClients) {
  auto rules =
      compile(one_rule("destinations = [\"*\"]\nports = [\"*\"]\nsources = [\"10.0.0.0/8\"]"));
  EXPECT_EQ(verdict(rules, {.target = "x.org", .client = "10.1.1.1"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "x.org", .client = "11.1.1.1"}), "block");
  EXPECT_EQ(verdict(rules, {.target = "x.org"}), "block");
}

constexpr std::string_view kPrecedence = R"([[users]]
username = "alice"
groups = ["staff"]
[[users.rules]]
action = "allow"
description = "alice allow 50"
destinations = ["*"]
ports = ["*"]
priority = 50
[[users.rules]]
action = "allow"
description = "alice allow ads 300"
destinations = ["ads.example.com"]
ports = ["*"]
priority = 300
[[groups]]
name = "staff"
[[groups.rules]]
action = "block"
description = "staff block ads 200"
destinations = ["*.example.com", "ads.example.com"]
ports = ["*"]
priority = 200
[[groups.rules]]
action = "allow"
description = "staff allow tracker 200"
destinations = ["tracker.example.com"]
ports = ["*"]
priority = 200
[[groups.rules]]
action = "block"
description = "staff block tracker 200"
destinations = ["tracker.example.com"]
ports = ["*"]
priority = 200
[[groups]]
name = "Contractors"
[[groups.rules]]
action = "block"
description = "contractors block all 10000"
destinations = ["*"]
ports = ["*"]
priority = 10000
)";

TEST(Evaluate, HighestPriorityFirstAcrossUserAndGroups) {
  auto rules = compile(kPrecedence);
  EXPECT_EQ(verdict(rules, {.target = "ads.example.com"}), "allow:alice allow ads 300");
  EXPECT_EQ(verdict(rules, {.target = "cdn.example.com"}), "block:staff block ads 200");
  EXPECT_EQ(verdict(rules, {.target = "other.org"}), "allow:alice allow 50");
}

TEST(Evaluate, BlockWinsAtEqualPriority) {
  auto rules = compile(kPrecedence);
  EXPECT_EQ(verdict(rules, {.target = "tracker.example.com"}), "block:staff block ads 200");
}

TEST(Evaluate, NssGroupsAddTheirRulesCaseInsensitively) {
  auto rules = compile(kPrecedence);
  EXPECT_EQ(verdict(rules, {.groups = {"contractors"}, .target = "other.org"}),
            "block:contractors block all 10000");
  EXPECT_EQ(verdict(rules, {.user = "bob", .groups = {"STAFF"}, .target = "cdn.example.com"}),
            "block:staff block ads 200");
  EXPECT_EQ(verdict(rules, {.user = "bob", .groups = {"unknown"}, .target = "x.org"}), "block");
  EXPECT_EQ(rules.effective_groups("alice", std::vector<std::string>{"contractors", "wheel"}),
            (std::vector<std::string>{"staff", "Contractors"}));
}

TEST(Evaluate, DefaultPolicyAppliesWhenNothingMatches) {
  auto allow = compile("[global]\ndefault_policy = \"allow\"\n");
  EXPECT_EQ(ask(allow, {.target = "x.org"}).reason, Reason::DefaultPolicy);
  EXPECT_TRUE(ask(allow, {.target = "x.org"}).allowed());
  EXPECT_FALSE(ask(compile(""), {.target = "x.org"}).allowed());
}

constexpr std::string_view kNamesAndNetworks = R"([global]
default_policy = "allow"
[[users]]
username = "alice"
[[users.rules]]
action = "block"
description = "private"
destinations = ["10.0.0.0/8"]
ports = ["*"]
priority = 500
[[users.rules]]
action = "block"
description = "evil"
destinations = ["evil.org"]
ports = ["*"]
priority = 100
[[users.rules]]
action = "allow"
description = "intranet"
destinations = ["10.1.2.3"]
ports = ["*"]
priority = 900
)";

TEST(Evaluate, ANameIsDecidedOnEveryResolvedAddress) {
  auto rules = compile(kNamesAndNetworks);
  // Before resolution, a rule naming networks outranks every name rule: wait for the address.
  EXPECT_EQ(verdict(rules, {.target = "evil.org"}), "needs_address:intranet");
  EXPECT_EQ(verdict(rules, {.target = "evil.org", .address = "8.8.8.8"}), "block:evil");
  EXPECT_EQ(verdict(rules, {.target = "ok.org", .address = "10.9.9.9"}), "block:private");
  EXPECT_EQ(verdict(rules, {.target = "ok.org", .address = "10.1.2.3"}), "allow:intranet");
  EXPECT_EQ(verdict(rules, {.target = "ok.org", .address = "8.8.8.8"}), "allow");
}

TEST(Evaluate, ANameBlockedBeforeAnyNetworkRuleNeedsNoResolution) {
  auto rules = compile(one_rule("destinations = [\"10.0.0.0/8\"]\nports = [\"*\"]\npriority = 1") +
                       "[[users.rules]]\naction = \"block\"\ndescription = \"b\"\n"
                       "destinations = [\"evil.org\"]\nports = [\"*\"]\npriority = 5\n");
  EXPECT_EQ(verdict(rules, {.target = "evil.org"}), "block:b");
  EXPECT_EQ(verdict(rules, {.target = "good.org"}), "needs_address:r");
}

TEST(Guard, BlocksInternalAddressesEvenUnderAStarAllow) {
  auto rules = compile(one_rule("destinations = [\"*\", \"localhost\"]\nports = [\"*\"]"));
  for (const char* target : {"127.0.0.1", "127.1", "0x7f.1", "2130706433", "::ffff:127.0.0.1",
                             "::1", "169.254.169.254", "fe80::1", "0.0.0.0", "::"}) {
    EXPECT_EQ(verdict(rules, {.target = target}), "block:guard") << target;
  }
  EXPECT_EQ(verdict(rules, {.target = "localhost", .address = "127.0.0.1"}), "block:guard");
  EXPECT_EQ(verdict(rules, {.target = "8.8.8.8"}), "allow:r");
}

TEST(Guard, OpensOnlyForARuleNamingAnAddressInsideTheRange) {
  auto rules =
      compile(one_rule("destinations = [\"127.0.0.0/8\", \"0.0.0.0/0\"]\nports = [\"*\"]"));
  EXPECT_EQ(verdict(rules, {.target = "127.0.0.1"}), "allow:r");
  EXPECT_EQ(verdict(rules, {.target = "169.254.169.254"}), "block:guard");  // only via /0
  auto metadata = compile(one_rule("destinations = [\"169.254.169.254\"]\nports = [\"80\"]"));
  EXPECT_EQ(verdict(metadata, {.target = "169.254.169.254", .port = 80}), "allow:r");
  EXPECT_EQ(verdict(metadata, {.target = "169.254.169.254", .port = 81}), "block:guard");
}

TEST(Guard, ProtectsTheServersOwnEndpointsUnlessNamedExactly) {
  Guard guard{.block_internal = true,
              .own = {{*parse_ip("192.0.2.10"), 1080}, {*parse_ip("127.0.0.1"), 9090}}};
  auto wide = compile(
      one_rule("destinations = [\"192.0.2.0/24\", \"127.0.0.0/8\"]\nports = [\"*\"]"), guard);
  EXPECT_EQ(verdict(wide, {.target = "192.0.2.10", .port = 1080}), "block:guard");
  EXPECT_EQ(verdict(wide, {.target = "192.0.2.10", .port = 1081}), "allow:r");
  EXPECT_EQ(verdict(wide, {.target = "127.0.0.1", .port = 9090}), "block:guard");
  EXPECT_EQ(verdict(wide, {.target = "127.0.0.1", .port = 80}), "allow:r");
  auto exact = compile(one_rule("destinations = [\"127.0.0.1\"]\nports = [\"9090\"]"), guard);
  EXPECT_EQ(verdict(exact, {.target = "127.0.0.1", .port = 9090}), "allow:r");
}

TEST(Guard, IsOffWithBlockInternalFalse) {
  auto rules = compile(one_rule("destinations = [\"*\"]\nports = [\"*\"]"), Guard{false, {}});
  EXPECT_EQ(verdict(rules, {.target = "127.0.0.1"}), "allow:r");
}

TEST(Guard, AnExplicitBlockInsideTheRangeStillBlocks) {
  auto rules = compile(one_rule("destinations = [\"127.0.0.1\"]\nports = [\"*\"]\npriority = 1") +
                       "[[users.rules]]\naction = \"block\"\ndescription = \"b\"\n"
                       "destinations = [\"127.0.0.0/8\"]\nports = [\"22\"]\npriority = 5\n");
  EXPECT_EQ(verdict(rules, {.target = "127.0.0.1", .port = 22}), "block:b");
  EXPECT_EQ(verdict(rules, {.target = "127.0.0.1", .port = 80}), "allow:r");
}

TEST(ClientCheckpoint, EveryClientPassesWithoutClientRules) {
  auto rules = compile("");
  EXPECT_TRUE(rules.check_client(*parse_ip("203.0.113.1")).allowed());
  EXPECT_EQ(rules.check_client(*parse_ip("203.0.113.1")).reason, Reason::NoClientRules);
}

TEST(ClientCheckpoint, FirstMatchingClientRuleDecidesAndNoMatchBlocks) {
  auto rules = compile(R"([[clients]]
action = "allow"
description = "lan"
sources = ["10.0.0.0/8", "::1", "127.0.0.1"]
[[clients]]
action = "block"
description = "bad host"
sources = ["10.6.6.6"]
priority = 200
)");
  EXPECT_TRUE(rules.check_client(*parse_ip("10.1.1.1")).allowed());
  EXPECT_TRUE(rules.check_client(*parse_ip("::ffff:127.0.0.1")).allowed());
  EXPECT_EQ(rules.check_client(*parse_ip("10.6.6.6")).rule->description, "bad host");
  const auto stranger = rules.check_client(*parse_ip("203.0.113.1"));
  EXPECT_FALSE(stranger.allowed());
  EXPECT_EQ(stranger.reason, Reason::NoClientMatch);
}

TEST(Describe, NamesTheRuleOrTheReason) {
  auto rules = compile(one_rule("destinations = [\"*\"]\nports = [\"*\"]"));
  EXPECT_EQ(describe(ask(rules, {.target = "x.org"})), "rule \"r\" (priority 100, line 3)");
  EXPECT_EQ(describe(ask(rules, {.user = "bob", .target = "x.org"})), "default policy (block)");
  EXPECT_EQ(describe(ask(rules, {.target = "127.1"})), "built-in guard (loopback)");
}

}  // namespace
}  // namespace rustsocks::acl

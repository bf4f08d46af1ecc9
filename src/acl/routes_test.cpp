// The API routes' logic: rules as JSON, the test route's answers and errors, reload results.
#include "acl/routes.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rustsocks::acl {
namespace {

using nlohmann::json;

constexpr std::string_view kFile = R"([global]
default_policy = "block"
[[users]]
username = "alice"
groups = ["staff"]
[[users.rules]]
action = "block"
description = "no ads"
destinations = ["ads.example.com"]
ports = ["*"]
priority = 500
[[groups]]
name = "staff"
[[groups.rules]]
action = "allow"
description = "staff web"
destinations = ["*.example.com", "10.0.0.0/8"]
ports = ["80", "443"]
protocols = ["tcp"]
[[clients]]
action = "allow"
sources = ["127.0.0.1"]
)";

RuleSet rules() {
  auto loaded = load_acl(kFile, "acl.toml");
  Guard guard{true, {{*parse_ip("127.0.0.1"), 1080}}};
  return RuleSet(std::move(*loaded.file), guard);
}

TEST(RulesJson, ListsEveryRuleAsWritten) {
  const json out = rules_json(rules());
  EXPECT_EQ(out["default_policy"], "block");
  EXPECT_EQ(out["rule_count"], 2);
  EXPECT_EQ(out["users"][0]["username"], "alice");
  EXPECT_EQ(out["users"][0]["groups"], json::array({"staff"}));
  EXPECT_EQ(out["users"][0]["rules"][0]["description"], "no ads");
  EXPECT_EQ(out["users"][0]["rules"][0]["priority"], 500);
  EXPECT_EQ(out["groups"][0]["rules"][0]["destinations"],
            json::array({"*.example.com", "10.0.0.0/8"}));
  EXPECT_EQ(out["groups"][0]["rules"][0]["protocols"], json::array({"tcp"}));
  EXPECT_EQ(out["clients"][0]["sources"], json::array({"127.0.0.1"}));
  EXPECT_EQ(out["guard"]["own"], json::array({"127.0.0.1:1080"}));
}

TEST(TestJson, AnswersWithDecisionRuleAndReason) {
  const auto set = rules();
  auto out = test_json(set, json{{"user", "alice"}, {"target", "www.example.com"}, {"port", 443}});
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.body["decision"], "allow");
  EXPECT_EQ(out.body["rule"]["description"], "staff web");
  EXPECT_EQ(out.body["reason"], "rule \"staff web\" (priority 100, line 14)");
  EXPECT_EQ(out.body["groups"], json::array({"staff"}));

  out = test_json(set, json{{"user", "alice"}, {"target", "ADS.example.com."}, {"port", 443}});
  EXPECT_EQ(out.body["decision"], "block");
  EXPECT_EQ(out.body["rule"]["description"], "no ads");

  out = test_json(set, json{{"user", "bob"},
                            {"groups", {"Staff"}},
                            {"target", "a.example.com"},
                            {"port", 80},
                            {"command", "udp"}});
  EXPECT_EQ(out.body["decision"], "block");
  EXPECT_EQ(out.body["rule"], nullptr);
  EXPECT_EQ(out.body["reason"], "default policy (block)");

  out = test_json(set, json{{"user", "alice"}, {"target", "127.1"}, {"port", 80}});
  EXPECT_EQ(out.body["decision"], "block");
  EXPECT_EQ(out.body["reason"], "built-in guard (loopback)");
}

TEST(TestJson, ANameMayDependOnItsAddress) {
  const auto set = rules();
  auto out = test_json(set, json{{"user", "alice"}, {"target", "intranet.corp"}, {"port", 80}});
  EXPECT_EQ(out.body["decision"], "needs_address");
  out = test_json(
      set,
      json{{"user", "alice"}, {"target", "intranet.corp"}, {"port", 80}, {"address", "10.1.1.1"}});
  EXPECT_EQ(out.body["decision"], "allow");
}

TEST(TestJson, RejectsMalformedBodies) {
  const auto set = rules();
  for (const json& body :
       {json::array(), json{{"target", "x"}, {"port", 1}}, json{{"user", "a"}, {"port", 1}},
        json{{"user", "a"}, {"target", "x"}}, json{{"user", "a"}, {"target", "x"}, {"port", -1}},
        json{{"user", "a"}, {"target", "x"}, {"port", 70000}},
        json{{"user", "a"}, {"target", "x"}, {"port", 1}, {"command", "ping"}},
        json{{"user", "a"}, {"target", "x"}, {"port", 1}, {"command", 3}},
        json{{"user", "a"}, {"target", "x"}, {"port", 1}, {"client", "nope"}},
        json{{"user", "a"}, {"target", "x"}, {"port", 1}, {"groups", "staff"}},
        json{{"user", "a"}, {"target", ""}, {"port", 1}}}) {
    auto out = test_json(set, body);
    EXPECT_EQ(out.status, 400) << body.dump();
    EXPECT_TRUE(out.body.contains("error")) << body.dump();
  }
}

TEST(ReloadJson, ReportsSuccessOrTheErrors) {
  ReloadResult ok{.ok = true, .rules = 3, .took = std::chrono::microseconds(1500)};
  auto out = reload_json(ok);
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.body["result"], "success");
  EXPECT_EQ(out.body["rules"], 3);
  EXPECT_EQ(out.body["took_us"], 1500);
  ReloadResult bad{.ok = false, .errors = {"acl.toml:2:3: bad"}, .rules = 7};
  out = reload_json(bad);
  EXPECT_EQ(out.status, 422);
  EXPECT_EQ(out.body["errors"], json::array({"acl.toml:2:3: bad"}));
  EXPECT_EQ(acl_disabled().status, 400);
  EXPECT_EQ(acl_disabled().body["error"], "ACL is not enabled");
}

}  // namespace
}  // namespace rustsocks::acl

// The logic of the ACL's API routes as pure functions over nlohmann::json, for the api/ module's
// router (token-protected routes):
//   GET  /api/acl/rules  -> rules_json(*store.current())
//   POST /api/acl/test   -> test_json(*store.current(), body)
//   POST /api/acl/reload -> reload_json(store.reload("api"))
// With the ACL disabled the router answers 400 {"error": "ACL is not enabled"} (acl_disabled()).
#pragma once

#include <nlohmann/json.hpp>

#include "acl/acl_store.hpp"
#include "acl/rule_set.hpp"

namespace rustsocks::acl {

struct RouteResult {
  int status = 200;
  nlohmann::json body;
};

// {"default_policy", "users": [{username, groups, rules}], "groups": [{name, rules}],
//  "clients": [rule], "guard": {block_internal, own: ["ip:port"]}, "rule_count"}; a rule is
// {action, description, priority, destinations, ports, protocols, sources?, line}.
nlohmann::json rules_json(const RuleSet& rules);

// Body: {"user": "alice", "groups": ["staff"]?, "client": "10.0.0.5"?, "target": "example.com",
//        "port": 443, "command": "connect"|"bind"|"udp" (default "connect"),
//        "address": "93.184.216.34"? (a resolved address of a name target)}.
// 200 {"decision": "allow"|"block"|"needs_address", "rule": rule|null, "reason": text,
//      "groups": [effective ACL groups]}; 400 {"error": text} for a malformed body.
RouteResult test_json(const RuleSet& rules, const nlohmann::json& body);

// 200 {"result": "success", "rules": n, "warnings": [...], "took_us": n} or
// 422 {"result": "failure", "errors": ["path:line:column: message", ...], "rules": n in force}.
RouteResult reload_json(const ReloadResult& result);

RouteResult acl_disabled();

}  // namespace rustsocks::acl

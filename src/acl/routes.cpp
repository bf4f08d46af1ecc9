#include "acl/routes.hpp"

#include <string>

namespace rustsocks::acl {
namespace {

using nlohmann::json;

json rule_json(const Rule& rule) {
  json out{{"action", rule.action == Action::Allow ? "allow" : "block"},
           {"description", rule.description},
           {"priority", rule.priority},
           {"destinations", rule.destinations_text},
           {"ports", rule.ports_text},
           {"protocols", rule.protocols_text},
           {"line", rule.line}};
  if (!rule.sources_text.empty() || !rule.any_source) out["sources"] = rule.sources_text;
  return out;
}

json rules_array(const std::vector<Rule>& rules) {
  json out = json::array();
  for (const auto& rule : rules)
    out.push_back(rule_json(rule));
  return out;
}

RouteResult bad_request(const std::string& text) {
  return {400, json{{"error", text}}};
}

std::optional<Command> command_named(const std::string& name) {
  if (name == "connect") return Command::Connect;
  if (name == "bind") return Command::Bind;
  if (name == "udp") return Command::Udp;
  return std::nullopt;
}

}  // namespace

json rules_json(const RuleSet& rules) {
  const AclFile& file = rules.file();
  json users = json::array();
  for (const auto& user : file.users) {
    users.push_back(
        {{"username", user.name}, {"groups", user.groups}, {"rules", rules_array(user.rules)}});
  }
  json groups = json::array();
  for (const auto& group : file.groups) {
    groups.push_back({{"name", group.name}, {"rules", rules_array(group.rules)}});
  }
  json own = json::array();
  for (const auto& endpoint : rules.guard().own) {
    own.push_back((endpoint.ip.v6 ? "[" + to_string(endpoint.ip) + "]" : to_string(endpoint.ip)) +
                  ":" + std::to_string(endpoint.port));
  }
  return json{{"default_policy", file.default_policy == Action::Allow ? "allow" : "block"},
              {"users", users},
              {"groups", groups},
              {"clients", rules_array(file.clients)},
              {"guard", {{"block_internal", rules.guard().block_internal}, {"own", own}}},
              {"rule_count", rules.rule_count()}};
}

RouteResult test_json(const RuleSet& rules, const json& body) {
  if (!body.is_object()) return bad_request("the body must be a JSON object");
  auto text = [&body](const char* key) -> const json* {
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? &*it : nullptr;
  };
  const json* user = text("user");
  const json* target = text("target");
  if (user == nullptr || target == nullptr) {
    return bad_request("'user' and 'target' are required strings");
  }
  const auto port = body.find("port");
  if (port == body.end() || !port->is_number_integer() || port->get<std::int64_t>() < 0 ||
      port->get<std::int64_t>() > 65535) {
    return bad_request("'port' must be an integer between 0 and 65535");
  }
  std::vector<std::string> groups;
  if (auto it = body.find("groups"); it != body.end()) {
    if (!it->is_array()) return bad_request("'groups' must be an array of strings");
    for (const auto& group : *it) {
      if (!group.is_string()) return bad_request("'groups' must be an array of strings");
      groups.push_back(group.get<std::string>());
    }
  }
  Query query;
  const auto user_name = user->get<std::string>();
  query.user = user_name;
  query.groups = groups;
  query.port = static_cast<std::uint16_t>(port->get<std::int64_t>());
  if (const json* command = text("command")) {
    auto named = command_named(command->get<std::string>());
    if (!named) return bad_request("'command' must be \"connect\", \"bind\" or \"udp\"");
    query.command = *named;
  } else if (body.contains("command")) {
    return bad_request("'command' must be \"connect\", \"bind\" or \"udp\"");
  }
  if (const json* client = text("client")) {
    query.client = parse_ip(client->get<std::string>());
    if (!query.client) return bad_request("'client' must be an IP address");
  }
  query.target = normalize_target(target->get<std::string>());
  if (query.target.name.empty() && !query.target.ip) return bad_request("'target' is empty");
  if (const json* address = text("address")) {
    auto ip = parse_ip(address->get<std::string>());
    if (!ip) return bad_request("'address' must be an IP address");
    query.target.ip = ip;
  }
  const Decision decision = rules.evaluate(query);
  return {200, json{{"decision", verdict_name(decision.verdict)},
                    {"rule", decision.rule != nullptr ? rule_json(*decision.rule) : json(nullptr)},
                    {"reason", decision.verdict == Verdict::NeedsAddress
                                   ? "depends on the resolved address: " + describe(decision) +
                                         " names networks (pass 'address')"
                                   : describe(decision)},
                    {"groups", rules.effective_groups(user_name, groups)}}};
}

RouteResult reload_json(const ReloadResult& result) {
  if (!result.ok) {
    return {422, json{{"result", "failure"}, {"errors", result.errors}, {"rules", result.rules}}};
  }
  return {200, json{{"result", "success"},
                    {"rules", result.rules},
                    {"warnings", result.warnings},
                    {"took_us", result.took.count()}}};
}

RouteResult acl_disabled() {
  return {400, json{{"error", "ACL is not enabled"}}};
}

}  // namespace rustsocks::acl

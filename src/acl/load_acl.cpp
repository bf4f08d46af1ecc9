// load_acl(): RustSocks' ACL file format (docs/acl.md) parsed with toml++ and checked into an
// AclFile. Every problem is reported with its line and column; the file loads only without
// errors. Rules that can never match (an empty list) load with a warning.
#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include <toml++/toml.h>

#include "acl/rule_fields.hpp"
#include "acl/rules.hpp"

namespace rustsocks::acl {
namespace {

class Messages {
 public:
  explicit Messages(std::string_view source) : source_(source) {}
  void error(const toml::node& at, const std::string& text) { add(errors_, at.source(), text); }
  void warning(const toml::node& at, const std::string& text) { add(warnings_, at.source(), text); }
  std::vector<std::string> take_errors() { return take(errors_); }
  std::vector<std::string> take_warnings() { return take(warnings_); }

 private:
  struct Entry {
    std::uint32_t line;
    std::uint32_t column;
    std::string text;
  };
  void add(std::vector<Entry>& to, const toml::source_region& where, const std::string& text) {
    to.push_back({where.begin.line, where.begin.column, text});
  }
  std::vector<std::string> take(std::vector<Entry>& entries) const {
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    std::vector<std::string> out;
    for (const auto& e : entries) {
      out.push_back(source_ + ":" + std::to_string(e.line) + ":" + std::to_string(e.column) + ": " +
                    e.text);
    }
    return out;
  }
  std::string source_;
  std::vector<Entry> errors_;
  std::vector<Entry> warnings_;
};

class Loader {
 public:
  explicit Loader(std::string_view source) : out_(source) {}
  AclLoad run(const toml::table& root);
  Messages& messages() { return out_; }

 private:
  using Adder = bool (*)(std::string_view, Rule&);
  std::optional<std::vector<std::string>> strings(const toml::table& t, std::string_view key,
                                                  std::string_view where);
  void read_list(const toml::table& t, std::string_view key, std::string_view where, Rule& rule,
                 std::vector<std::string>& text, Adder add, std::string_view forms);
  void read_ports(const toml::table& t, std::string_view where, Rule& rule);
  void read_head(const toml::table& t, std::string_view where, Rule& rule);
  std::optional<Rule> read_rule(const toml::table& t, std::string_view where, bool client);
  std::vector<Rule> read_rules(const toml::table& owner, std::string_view where);
  void unknown_keys(const toml::table& t, std::string_view where,
                    std::initializer_list<std::string_view> known);
  std::optional<Principal> read_principal(const toml::table& t, bool user);
  void read_principals(const toml::table& root, bool user, AclFile& file);
  void check_groups(const toml::table& root, const AclFile& file);

  Messages out_;
  bool failed_ = false;
};

void Loader::unknown_keys(const toml::table& t, std::string_view where,
                          std::initializer_list<std::string_view> known) {
  for (const auto& [key, node] : t) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
    out_.warning(node, "unknown key '" + std::string(key.str()) + "' in " + std::string(where) +
                           " is ignored");
  }
}

std::optional<std::vector<std::string>> Loader::strings(const toml::table& t, std::string_view key,
                                                        std::string_view where) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return std::nullopt;
  const toml::array* array = node->as_array();
  std::vector<std::string> values;
  bool ok = array != nullptr;
  if (ok) {
    for (const auto& item : *array) {
      const auto* text = item.as_string();
      if (text == nullptr) ok = false;
      if (text != nullptr) values.push_back(text->get());
    }
  }
  if (!ok) {
    out_.error(*node, "'" + std::string(key) + "' in " + std::string(where) +
                          " must be an array of strings");
    failed_ = true;
    return std::nullopt;
  }
  if (values.empty()) {
    out_.warning(*node, "rule in " + std::string(where) + " can never match: '" + std::string(key) +
                            "' is empty");
  }
  return values;
}

void Loader::read_list(const toml::table& t, std::string_view key, std::string_view where,
                       Rule& rule, std::vector<std::string>& text, Adder add,
                       std::string_view forms) {
  auto values = strings(t, key, where);
  if (!values) return;
  for (const auto& value : *values) {
    if (!add(value, rule)) {
      out_.error(*t.get(key), "'" + std::string(key) + "' in " + std::string(where) + ": " +
                                  quote(value) + " is not " + std::string(forms));
      failed_ = true;
    }
  }
  text = std::move(*values);
}

void Loader::read_ports(const toml::table& t, std::string_view where, Rule& rule) {
  auto values = strings(t, "ports", where);
  if (!values) {
    if (t.get("ports") == nullptr) {
      out_.warning(t, "rule in " + std::string(where) + " has no 'ports' and can never match");
    }
    return;
  }
  bool inverted = false;
  for (const auto& value : *values) {
    if (!parse_ports(value, rule.ports, inverted)) {
      out_.error(*t.get("ports"), "'ports' in " + std::string(where) + ": " + quote(value) +
                                      " is not \"*\", a port, a range \"a-b\" or a list \"a,b\"");
      failed_ = true;
    }
  }
  if (inverted) {
    out_.warning(*t.get("ports"), "'ports' in " + std::string(where) +
                                      " has a range whose start is above its end; "
                                      "it matches no port");
  }
  rule.ports_text = std::move(*values);
}

// action, description, priority.
void Loader::read_head(const toml::table& t, std::string_view where, Rule& rule) {
  const auto* action = t.get_as<std::string>("action");
  if (action == nullptr || (action->get() != "allow" && action->get() != "block")) {
    const toml::node* raw = t.get("action");
    out_.error(raw != nullptr ? *raw : static_cast<const toml::node&>(t),
               "'action' in " + std::string(where) + " must be \"allow\" or \"block\"" +
                   (action != nullptr ? ", got " + quote(action->get()) : ""));
    failed_ = true;
  } else {
    rule.action = action->get() == "allow" ? Action::Allow : Action::Block;
  }
  if (const toml::node* description = t.get("description")) {
    if (const auto* text = description->as_string()) {
      rule.description = text->get();
    } else {
      out_.error(*description, "'description' in " + std::string(where) + " must be a string");
      failed_ = true;
    }
  }
  if (const toml::node* priority = t.get("priority")) {
    const auto* number = priority->as_integer();
    if (number == nullptr || number->get() < 0 || number->get() > 0xffffffffLL) {
      out_.error(*priority, "'priority' in " + std::string(where) +
                                " must be an integer between 0 and 4294967295");
      failed_ = true;
    } else {
      rule.priority = static_cast<std::uint32_t>(number->get());
    }
  }
}

std::optional<Rule> Loader::read_rule(const toml::table& t, std::string_view where, bool client) {
  Rule rule;
  rule.line = t.source().begin.line;
  rule.column = t.source().begin.column;
  read_head(t, where, rule);
  if (t.get("sources") != nullptr) {
    rule.any_source = false;
    read_list(
        t, "sources", where, rule, rule.sources_text,
        [](std::string_view text, Rule& r) {
          if (text == "*") return (r.any_source = true);
          auto network = parse_cidr(text);
          if (network) r.sources.push_back(*network);
          return network.has_value();
        },
        "\"*\", an IP address or a CIDR");
  } else if (client) {
    out_.warning(t, "client rule in " + std::string(where) +
                        " has no 'sources': it matches "
                        "every client");
  }
  if (client) {
    rule.any_destination = true;
    rule.ports.push_back({0, 65535});
    unknown_keys(t, where, {"action", "description", "priority", "sources"});
    return rule;
  }
  if (t.get("destinations") == nullptr) {
    out_.warning(t, "rule in " + std::string(where) + " has no 'destinations' and can never match");
  }
  read_list(t, "destinations", where, rule, rule.destinations_text, add_destination,
            "\"*\", an IP address, a CIDR, a domain or a wildcard domain");
  read_ports(t, where, rule);
  if (t.get("protocols") != nullptr) {
    rule.commands = 0;
    read_list(t, "protocols", where, rule, rule.protocols_text, add_protocol,
              "\"tcp\", \"udp\", \"both\", \"*\", \"connect\" or \"bind\"");
  } else {
    rule.protocols_text = {"both"};
  }
  unknown_keys(
      t, where,
      {"action", "description", "priority", "sources", "destinations", "ports", "protocols"});
  return rule;
}

std::vector<Rule> Loader::read_rules(const toml::table& owner, std::string_view where) {
  std::vector<Rule> rules;
  const toml::node* node = owner.get("rules");
  if (node == nullptr) return rules;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    out_.error(*node, "'rules' in " + std::string(where) + " must be an array of tables");
    failed_ = true;
    return rules;
  }
  const std::string label = std::string(where) + ".rules";
  for (const auto& item : *array) {
    const auto* table = item.as_table();
    if (table == nullptr) {
      out_.error(item, "each entry of '" + label + "' must be a table");
      failed_ = true;
      continue;
    }
    if (auto rule = read_rule(*table, label, false)) rules.push_back(std::move(*rule));
  }
  return rules;
}

std::optional<Principal> Loader::read_principal(const toml::table& t, bool user) {
  const std::string_view where = user ? "[[users]]" : "[[groups]]";
  const std::string_view key = user ? "username" : "name";
  Principal principal;
  const auto* name = t.get_as<std::string>(key);
  if (name == nullptr || name->get().empty()) {
    const toml::node* raw = t.get(key);
    out_.error(raw != nullptr ? *raw : static_cast<const toml::node&>(t),
               "'" + std::string(key) + "' in " + std::string(where) +
                   " is required and must be a non-empty string");
    failed_ = true;
  } else {
    principal.name = name->get();
  }
  if (user && t.get("groups") != nullptr) {
    const toml::array* groups = t.get("groups")->as_array();
    bool ok = groups != nullptr;
    if (ok) {
      for (const auto& g : *groups) {
        if (const auto* text = g.as_string()) {
          principal.groups.push_back(text->get());
        } else {
          ok = false;
        }
      }
    }
    if (!ok) {
      out_.error(*t.get("groups"), "'groups' in [[users]] must be an array of strings");
      failed_ = true;
    }
  }
  principal.rules = read_rules(t, where);
  for (const auto& [k, node] : t) {
    const auto text = k.str();
    if (text == key || text == "rules" || (user && text == "groups")) continue;
    out_.warning(node, "key '" + std::string(text) + "' in " + std::string(where) +
                           " is ignored (not part of the ACL; per-user limits belong to QoS)");
  }
  return principal;
}

void Loader::read_principals(const toml::table& root, bool user, AclFile& file) {
  const std::string_view key = user ? "users" : "groups";
  const toml::node* node = root.get(key);
  if (node == nullptr) return;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    out_.error(*node, "'" + std::string(key) + "' must be an array of tables ([[" +
                          std::string(key) + "]])");
    failed_ = true;
    return;
  }
  auto& into = user ? file.users : file.groups;
  // Usernames are exact; group names are case-insensitive, as NSS group names are matched.
  std::set<std::string> seen;
  for (const auto& item : *array) {
    const auto* table = item.as_table();
    if (table == nullptr) {
      out_.error(item, "each entry of '" + std::string(key) + "' must be a table");
      failed_ = true;
      continue;
    }
    auto principal = read_principal(*table, user);
    if (!principal || principal->name.empty()) continue;
    const std::string id = user ? principal->name : lower(principal->name);
    if (!seen.insert(id).second) {
      out_.error(*table, std::string(user ? "duplicate username " : "duplicate group name ") +
                             quote(principal->name) +
                             (user ? "" : " (group names are case-insensitive)"));
      failed_ = true;
      continue;
    }
    into.push_back(std::move(*principal));
  }
}

void Loader::check_groups(const toml::table& root, const AclFile& file) {
  std::set<std::string> defined;
  for (const auto& group : file.groups)
    defined.insert(lower(group.name));
  const auto* users = root.get_as<toml::array>("users");
  for (std::size_t i = 0; i < file.users.size(); ++i) {
    for (const auto& group : file.users[i].groups) {
      if (defined.count(lower(group)) != 0) continue;
      const toml::node* at = users;
      for (const auto& item : *users) {
        const auto* table = item.as_table();
        if (table != nullptr && table->get_as<std::string>("username") != nullptr &&
            table->get_as<std::string>("username")->get() == file.users[i].name)
          at = table->get("groups");
      }
      out_.error(*at, "user " + quote(file.users[i].name) + " is in group " + quote(group) +
                          ", which no [[groups]] entry defines");
      failed_ = true;
    }
  }
}

AclLoad Loader::run(const toml::table& root) {
  AclFile file;
  unknown_keys(root, "the ACL file", {"global", "users", "groups", "clients"});
  if (const toml::node* global = root.get("global")) {
    if (const auto* table = global->as_table()) {
      unknown_keys(*table, "[global]", {"default_policy"});
      if (const toml::node* policy = table->get("default_policy")) {
        const auto* text = policy->as_string();
        if (text == nullptr || (text->get() != "allow" && text->get() != "block")) {
          out_.error(*policy, "'default_policy' in [global] must be \"allow\" or \"block\"");
          failed_ = true;
        } else {
          file.default_policy = text->get() == "allow" ? Action::Allow : Action::Block;
        }
      }
    } else {
      out_.error(*global, "'global' must be a table");
      failed_ = true;
    }
  }
  read_principals(root, true, file);
  read_principals(root, false, file);
  if (!failed_) check_groups(root, file);
  if (const toml::node* clients = root.get("clients")) {
    const auto* array = clients->as_array();
    if (array == nullptr) {
      out_.error(*clients, "'clients' must be an array of tables ([[clients]])");
      failed_ = true;
    } else {
      for (const auto& item : *array) {
        const auto* table = item.as_table();
        if (table == nullptr) {
          out_.error(item, "each entry of 'clients' must be a table");
          failed_ = true;
        } else if (auto rule = read_rule(*table, "[[clients]]", true)) {
          file.clients.push_back(std::move(*rule));
        }
      }
    }
  }
  AclLoad result;
  if (!failed_) result.file = std::move(file);
  return result;
}

}  // namespace

AclLoad load_acl(std::string_view toml_text, std::string_view source_name) {
  Loader loader(source_name);
  AclLoad result;
  try {
    const toml::table root = toml::parse(toml_text, source_name);
    result = loader.run(root);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    result.errors.push_back(std::string(source_name) + ":" + std::to_string(begin.line) + ":" +
                            std::to_string(begin.column) + ": " + std::string(error.description()));
  } catch (const std::exception& error) {
    result.errors.push_back(std::string(source_name) + ": cannot load: " + error.what());
  }
  auto errors = loader.messages().take_errors();
  result.errors.insert(result.errors.end(), errors.begin(), errors.end());
  result.warnings = loader.messages().take_warnings();
  if (!result.errors.empty()) result.file.reset();
  return result;
}

}  // namespace rustsocks::acl

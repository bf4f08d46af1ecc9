// The ACL file as data (RustSocks' format, docs/acl.md): a default policy, users and groups with
// their rules, and the client rules checked right after accept. Produced by load_acl(), compiled
// into a RuleSet. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acl/address.hpp"

namespace rustsocks::acl {

enum class Action : std::uint8_t { Allow, Block };

// SOCKS commands as bits, so a rule's `protocols` is a mask: tcp = connect|bind, udp = udp.
enum class Command : std::uint8_t { Connect = 1, Bind = 2, Udp = 4 };
inline constexpr std::uint8_t kAllCommands = 7;
inline constexpr std::uint8_t bit(Command command) {
  return static_cast<std::uint8_t>(command);
}

struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
};

// A destination pattern whose labels contain `*`: "*" alone stands for one whole label, except
// the leftmost label "*", which stands for one or more (any subdomain). Inside a label, `*`
// matches any run of characters (RustSocks' "prod-*.company.com").
struct Wildcard {
  std::vector<std::string> labels;  // left to right, lower-cased
};

struct Rule {
  Action action = Action::Block;
  std::string description;
  std::uint32_t priority = 100;
  // As written, for GET /api/acl/rules.
  std::vector<std::string> destinations_text;
  std::vector<std::string> ports_text;
  std::vector<std::string> protocols_text;
  std::vector<std::string> sources_text;
  // Compiled forms: a destination matches when it is `*`, or one of the networks contains the
  // address, or one of the domains or wildcards matches the name.
  bool any_destination = false;
  std::vector<Cidr> networks;
  std::vector<std::string> domains;  // exact, normalised
  std::vector<Wildcard> wildcards;
  std::vector<PortRange> ports;  // empty: matches no port
  std::uint8_t commands = kAllCommands;
  bool any_source = true;  // `sources` absent or "*"
  std::vector<Cidr> sources;
  std::uint32_t line = 0;  // where the rule starts in the file
  std::uint32_t column = 0;
};

struct Principal {  // a [[users]] or [[groups]] entry
  std::string name;
  std::vector<std::string> groups;  // users only: the ACL groups they belong to
  std::vector<Rule> rules;
};

struct AclFile {
  Action default_policy = Action::Block;
  std::vector<Principal> users;
  std::vector<Principal> groups;
  std::vector<Rule> clients;  // [[clients]]: sources only; none = every client passes
};

struct AclLoad {
  std::optional<AclFile> file;        // set exactly when errors is empty
  std::vector<std::string> errors;    // "source:line:column: message"
  std::vector<std::string> warnings;  // same form: rules that can never match, unknown keys
};

// Parses and validates an ACL file. Never throws.
AclLoad load_acl(std::string_view toml_text, std::string_view source_name);

}  // namespace rustsocks::acl

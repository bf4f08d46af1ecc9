// A compiled, immutable ACL: the file's rules in precedence order, indexed per user and group,
// plus the built-in guard. evaluate() is the one decision function for connections, the API's
// test route and reload checks. Thread-safe (const after compile); pure.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "acl/index.hpp"
#include "acl/rules.hpp"

namespace rustsocks::acl {

struct Endpoint {
  Ip ip;
  std::uint16_t port = 0;
};

// The built-in guard ([acl] block_internal): loopback, link-local, "this host" and the server's
// own listening endpoints are blocked unless a rule names them by an address or CIDR inside them.
struct Guard {
  bool block_internal = true;
  std::vector<Endpoint> own;  // SOCKS listeners, the API listener, ...: reachable only by address
};

// One request as the request checkpoint sees it.
struct Query {
  std::string_view user;                // the authenticated or anonymous user
  std::span<const std::string> groups;  // NSS groups (the file's groups of `user` are added)
  std::optional<Ip> client;             // for rules with `sources`
  Target target;                        // name, address, or both (a name and one resolved address)
  std::uint16_t port = 0;
  Command command = Command::Connect;
};

enum class Verdict : std::uint8_t {
  Allow,
  Block,
  NeedsAddress,  // a name: a rule naming networks may decide once the address is known
};
enum class Reason : std::uint8_t { Rule, DefaultPolicy, Guard, NoClientRules, NoClientMatch };

struct Decision {
  Verdict verdict = Verdict::Block;
  Reason reason = Reason::DefaultPolicy;
  const Rule* rule = nullptr;  // set when reason == Rule; lives as long as the RuleSet
  std::string_view guard;      // set when reason == Guard: "loopback", "link-local", ...
  bool allowed() const { return verdict == Verdict::Allow; }
};

// "rule \"Block ads\" (priority 100, line 12)", "default policy (block)", "built-in guard
// (loopback)".
std::string describe(const Decision& decision);
std::string_view verdict_name(Verdict verdict);  // "allow", "block", "needs_address"

class RuleSet {
 public:
  RuleSet(AclFile file, Guard guard);
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // Client checkpoint, right after accept. Without [[clients]] rules every client passes.
  Decision check_client(const Ip& client) const;
  // Request checkpoint. With a name and no address the verdict may be NeedsAddress: evaluate
  // again with each resolved address (target.name and target.ip both set).
  Decision evaluate(const Query& query) const;

  const AclFile& file() const { return file_; }
  const Guard& guard() const { return guard_; }
  std::size_t rule_count() const { return order_.size(); }
  bool has_client_rules() const { return !file_.clients.empty(); }
  // The ACL-file groups of `user` and the NSS groups that name a [[groups]] entry.
  std::vector<std::string> effective_groups(std::string_view user,
                                            std::span<const std::string> nss_groups) const;

 private:
  // The hot part of a rule, packed so a scan over candidates stays in a few cache lines; `exact`
  // says it is the whole answer (one port range, any source).
  struct Fit {
    std::uint16_t first = 0;
    std::uint16_t last = 0;
    std::uint8_t commands = 0;
    bool exact = false;
  };
  bool fits(std::uint32_t id, const std::vector<Fit>& fit, const std::vector<const Rule*>& order,
            const Query& query) const;

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  struct CaselessHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const;
  };
  struct CaselessEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
  };
  using NameMap = std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>>;
  using GroupMap = std::unordered_map<std::string, std::uint32_t, CaselessHash, CaselessEqual>;
  // The indexes that apply to a query (user, the user's file groups, its NSS groups); few.
  void principals(const Query& query, std::vector<std::uint32_t>& out) const;
  std::size_t guarded_prefix(const Ip& ip, std::uint16_t port, std::string_view& name) const;
  bool fits(const Rule& rule, const Query& query) const;
  void scan(std::span<const std::uint32_t> list, const std::vector<const Rule*>& order,
            const std::vector<Fit>& fit, const Query& query, std::uint32_t& best) const;

  AclFile file_;
  Guard guard_;
  std::vector<const Rule*> order_;  // every user/group rule, by precedence
  std::vector<Fit> fit_;            // by rule id
  std::vector<Fit> client_fit_;
  std::vector<Index> indexes_;                           // users first, then groups
  NameMap users_;                                        // username -> index
  GroupMap groups_;                                      // group name (any case) -> index
  std::vector<std::vector<std::uint32_t>> user_groups_;  // per user: indexes of its file groups
  std::vector<const Rule*> client_order_;
  Index clients_;
};

}  // namespace rustsocks::acl

// Private to acl/: the lookup structures a RuleSet compiles each user's and group's rules into,
// so a decision touches only the rules that can match the target instead of scanning them all:
// a binary prefix trie per address family for networks, a reversed-label trie for domains and
// wildcards, and a list for `*`. Lists hold rule ids in ascending order (= precedence order).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "acl/rules.hpp"

namespace rustsocks::acl {

inline constexpr std::uint32_t kNoRule = std::numeric_limits<std::uint32_t>::max();
using RuleList = std::vector<std::uint32_t>;

class IpTrie {
 public:
  void insert(const Cidr& network, std::uint32_t id);
  // Calls visit(list) for every network containing `ip` whose prefix is at least min_prefix,
  // shortest prefix first.
  template <class Visit>
  void visit(const Ip& ip, std::size_t min_prefix, Visit&& visit) const {
    const auto& nodes = ip.v6 ? v6_ : v4_;
    if (nodes.empty()) return;
    std::uint32_t at = 0;
    for (std::size_t depth = 0;; ++depth) {
      if (depth >= min_prefix && !nodes[at].rules.empty()) visit(nodes[at].rules);
      if (depth == ip.bits()) return;
      at = nodes[at].child[ip.bit(depth) ? 1 : 0];
      if (at == kNoRule) return;
    }
  }

 private:
  struct Node {
    std::array<std::uint32_t, 2> child{kNoRule, kNoRule};
    RuleList rules;
  };
  std::vector<Node> v4_;
  std::vector<Node> v6_;
};

class DomainTrie {
 public:
  void insert_exact(std::string_view name, std::uint32_t id);
  void insert_wildcard(const Wildcard& pattern, std::uint32_t id);
  // Calls visit(list) for every pattern matching `name` (normalised, non-empty).
  void visit(std::string_view name, const std::function<void(const RuleList&)>& visit) const;
  bool empty() const { return nodes_.size() <= 1; }

 private:
  struct Node {
    std::map<std::string, std::uint32_t, std::less<>> children;
    std::uint32_t star = kNoRule;                                 // "*": one whole label
    std::vector<std::pair<std::string, std::uint32_t>> globs;     // "prod-*": one label
    RuleList rules;  // patterns ending here
    RuleList deep;   // patterns whose leftmost label "*" stands for one or more labels here
  };
  std::uint32_t child(std::uint32_t at, const std::string& label);
  void walk(std::uint32_t at, const std::vector<std::string_view>& labels, std::size_t depth,
            const std::function<void(const RuleList&)>& visit) const;
  std::vector<Node> nodes_{Node{}};
};

// True when `text` matches `pattern`, where `*` stands for any run of characters.
bool glob_match(std::string_view pattern, std::string_view text);

// One user's or group's rules, indexed.
struct Index {
  RuleList any;      // rules with destination "*" (client rules: source "*")
  RuleList with_ip;  // rules naming a network: they may match once the address is known
  IpTrie networks;
  DomainTrie names;
  // by_source: index the rule's sources instead of its destinations ([[clients]]).
  void add(const Rule& rule, std::uint32_t id, bool by_source);
};

}  // namespace rustsocks::acl

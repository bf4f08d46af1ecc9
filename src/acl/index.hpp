// Private to acl/: the lookup structures a RuleSet compiles each user's and group's rules into,
// so a decision touches only the rules that can match the target instead of scanning them all:
// a binary prefix trie per address family for networks, a reversed-label trie for domains and
// wildcards, and a list for `*`. Lists hold rule ids in ascending order (= precedence order).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "acl/rules.hpp"

namespace rustsocks::acl {

inline constexpr std::uint32_t kNoRule = std::numeric_limits<std::uint32_t>::max();
using RuleList = std::vector<std::uint32_t>;

// True when `text` matches `pattern`, where `*` stands for any run of characters.
bool glob_match(std::string_view pattern, std::string_view text);

// Networks by prefix length: one open-addressing table keyed by (masked address, length), plus
// the distinct lengths in use per family, so a lookup costs one probe per length present (a
// handful) instead of one step per address bit. Filled by insert(), then seal()ed into flat
// arrays (a probe touches one slot and one run of rule ids).
class PrefixTable {
 public:
  void insert(const Cidr& network, std::uint32_t id);
  void seal();
  // Calls visit(list) for every network containing `ip` whose prefix is at least min_prefix,
  // shortest prefix first. Only after seal().
  template <class Visit>
  void visit(const Ip& ip, std::size_t min_prefix, Visit&& visit) const {
    if (slots_.empty()) return;
    for (const std::uint8_t length : ip.v6 ? v6_lengths_ : v4_lengths_) {
      if (length < min_prefix) continue;
      const Key wanted = key(ip, length);
      for (std::size_t at = KeyHash{}(wanted)&mask_;; at = (at + 1) & mask_) {
        const Slot& slot = slots_[at];
        if (slot.count == 0) break;
        if (slot.key == wanted) {
          visit(std::span<const std::uint32_t>(ids_.data() + slot.begin, slot.count));
          break;
        }
      }
    }
  }

 private:
  struct Key {
    std::array<std::uint8_t, 16> bytes;
    std::uint8_t length;
    bool v6;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const;
  };
  struct Slot {
    Key key{};
    std::uint32_t begin = 0;
    std::uint32_t count = 0;  // 0: empty slot
  };
  static Key key(const Ip& ip, std::uint8_t length);
  std::unordered_map<Key, RuleList, KeyHash> pending_;  // until seal()
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> ids_;
  std::size_t mask_ = 0;
  std::vector<std::uint8_t> v4_lengths_;  // ascending
  std::vector<std::uint8_t> v6_lengths_;
};

class DomainTrie {
 public:
  void insert_exact(std::string_view name, std::uint32_t id);
  void insert_wildcard(const Wildcard& pattern, std::uint32_t id);
  // Calls visit(list) for every pattern matching `name` (normalised, non-empty).
  template <class Visit>
  void visit(std::string_view name, Visit&& visit) const {
    if (nodes_.size() <= 1) return;
    Labels labels;
    labels.count = 0;
    std::size_t end = name.size();
    for (;;) {  // right to left; a name has at most 128 labels (253 bytes)
      const auto dot = end == 0 ? std::string_view::npos : name.rfind('.', end - 1);
      if (labels.count == labels.items.size()) return;
      if (dot == std::string_view::npos) {
        labels.items[labels.count++] = name.substr(0, end);
        break;
      }
      labels.items[labels.count++] = name.substr(dot + 1, end - dot - 1);
      end = dot;
    }
    walk(0, labels, 0, visit);
  }

 private:
  struct Node {
    std::map<std::string, std::uint32_t, std::less<>> children;
    std::uint32_t star = kNoRule;                              // "*": one whole label
    std::vector<std::pair<std::string, std::uint32_t>> globs;  // "prod-*": one label
    RuleList rules;                                            // patterns ending here
    RuleList deep;  // patterns whose leftmost label "*" stands for one or more labels here
  };
  struct Labels {
    std::array<std::string_view, 128> items;
    std::size_t count;
  };
  std::uint32_t child(std::uint32_t at, const std::string& label);
  template <class Visit>
  void walk(std::uint32_t at, const Labels& labels, std::size_t depth, Visit& visit) const {
    const Node& node = nodes_[at];
    if (depth == labels.count) {
      if (!node.rules.empty()) visit(node.rules);
      return;
    }
    if (!node.deep.empty()) visit(node.deep);
    const auto label = labels.items[depth];
    if (auto it = node.children.find(label); it != node.children.end()) {
      walk(it->second, labels, depth + 1, visit);
    }
    if (node.star != kNoRule && !label.empty()) walk(node.star, labels, depth + 1, visit);
    for (const auto& [pattern, index] : node.globs) {
      if (glob_match(pattern, label)) walk(index, labels, depth + 1, visit);
    }
  }
  std::vector<Node> nodes_{Node{}};
};

// One user's or group's rules, indexed.
struct Index {
  RuleList any;      // rules with destination "*" (client rules: source "*")
  RuleList with_ip;  // rules naming a network: they may match once the address is known
  PrefixTable networks;
  DomainTrie names;
  // by_source: index the rule's sources instead of its destinations ([[clients]]).
  void add(const Rule& rule, std::uint32_t id, bool by_source);
  void seal() { networks.seal(); }
};

}  // namespace rustsocks::acl

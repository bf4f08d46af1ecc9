// The compiled indexes decide exactly as a naive scan over every rule does, on random rule sets
// and random queries (same seeds on every run, so a failure repeats).
#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "acl/index.hpp"
#include "acl/rule_set.hpp"

namespace rustsocks::acl {
namespace {

const std::vector<std::string> kLabels = {"a", "b", "ab", "x"};

struct Generator {
  std::mt19937 random;
  explicit Generator(unsigned seed) : random(seed) {}
  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  }

  Ip address() {
    if (pick(4) == 0) {
      std::array<std::uint8_t, 16> bytes{0x20, 0x01, 0x0d, 0xb8};
      bytes[15] = static_cast<std::uint8_t>(pick(4));
      bytes[4] = static_cast<std::uint8_t>(pick(2));
      return ipv6(bytes);
    }
    return ipv4((10U << 24) | (static_cast<std::uint32_t>(pick(3)) << 16) |
                (static_cast<std::uint32_t>(pick(3)) << 8) | static_cast<std::uint32_t>(pick(4)));
  }
  std::string name() {
    std::string out = kLabels[pick(kLabels.size())];
    for (std::size_t i = pick(3); i > 0; --i)
      out += "." + kLabels[pick(kLabels.size())];
    return out + ".com";
  }
  std::string destination() {
    switch (pick(8)) {
      case 0:
        return "*";
      case 1:
      case 2: {
        const Ip ip = address();
        const std::size_t prefix = ip.v6 ? 96 + 8 * pick(5) : 8 * pick(5);
        return to_string(ip) + "/" + std::to_string(prefix);
      }
      case 3:
        return to_string(address());
      case 4:
        return "*." + name();
      case 5:
        return kLabels[pick(kLabels.size())] + ".*.com";
      case 6:
        return "a*." + name();
      default:
        return name();
    }
  }
  std::string rule_text() {
    std::string text = "action = \"" + std::string(pick(2) ? "allow" : "block") + "\"\n";
    text += "description = \"r" + std::to_string(counter++) + "\"\n";
    text += "priority = " + std::to_string(pick(4)) + "\ndestinations = [";
    for (std::size_t i = 1 + pick(3); i > 0; --i)
      text += "\"" + destination() + "\",";
    const std::size_t low = pick(40);
    text += "]\nports = [\"" + std::to_string(low) + "-" + std::to_string(low + pick(40)) + "\"]\n";
    const char* protocols[] = {"tcp", "udp", "both", "bind"};
    text += "protocols = [\"" + std::string(protocols[pick(4)]) + "\"]\n";
    if (pick(6) == 0) text += "sources = [\"10.0.0.0/16\"]\n";
    return text;
  }
  std::string file() {
    std::string text = pick(2) ? "[global]\ndefault_policy = \"allow\"\n" : "";
    for (int g = 0; g < 3; ++g) {
      text += "[[groups]]\nname = \"g" + std::to_string(g) + "\"\n";
      for (std::size_t r = pick(12); r > 0; --r)
        text += "[[groups.rules]]\n" + rule_text();
    }
    for (int u = 0; u < 3; ++u) {
      text += "[[users]]\nusername = \"u" + std::to_string(u) + "\"\ngroups = [";
      if (pick(2)) text += "\"g" + std::to_string(pick(3)) + "\"";
      text += "]\n";
      for (std::size_t r = pick(12); r > 0; --r)
        text += "[[users.rules]]\n" + rule_text();
    }
    return text;
  }
  int counter = 0;
};

// The reference: every rule of the user and its groups, sorted, checked one by one.
bool label_match(const std::vector<std::string>& pattern, const std::vector<std::string>& labels) {
  if (pattern.size() > 1 && pattern[0] == "*") {  // leftmost "*": one or more labels
    if (labels.size() < pattern.size()) return false;
    for (std::size_t i = 1; i < pattern.size(); ++i) {
      const auto& want = pattern[pattern.size() - i];
      const auto& have = labels[labels.size() - i];
      if (want != "*" && !glob_match(want, have)) return false;
    }
    return true;
  }
  if (labels.size() != pattern.size()) return false;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (pattern[i] != "*" && !glob_match(pattern[i], labels[i])) return false;
    if (pattern[i] == "*" && labels[i].empty()) return false;
  }
  return true;
}

std::vector<std::string> split(const std::string& name) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto dot = name.find('.', start);
    out.push_back(name.substr(start, dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

bool fits(const Rule& rule, const Query& q) {
  if ((rule.commands & bit(q.command)) == 0) return false;
  bool port = false;
  for (const auto& range : rule.ports)
    port = port || (q.port >= range.first && q.port <= range.last);
  if (!port) return false;
  if (rule.any_source) return true;
  for (const auto& source : rule.sources) {
    if (q.client && source.contains(*q.client)) return true;
  }
  return false;
}

std::string reference(const AclFile& file, const Query& q) {
  std::vector<const Rule*> rules;
  std::vector<std::string> groups(q.groups.begin(), q.groups.end());
  for (const auto& user : file.users) {
    if (user.name != q.user) continue;
    for (const auto& rule : user.rules)
      rules.push_back(&rule);
    groups.insert(groups.end(), user.groups.begin(), user.groups.end());
  }
  for (const auto& group : file.groups) {
    if (std::find(groups.begin(), groups.end(), group.name) == groups.end()) continue;
    for (const auto& rule : group.rules)
      rules.push_back(&rule);
  }
  std::stable_sort(rules.begin(), rules.end(), [](const Rule* a, const Rule* b) {
    if (a->priority != b->priority) return a->priority > b->priority;
    if (a->action != b->action) return a->action == Action::Block;
    return a->line < b->line;
  });
  const auto labels = split(q.target.name);
  for (const Rule* rule : rules) {
    if (!fits(*rule, q)) continue;
    bool hit = rule->any_destination;
    for (const auto& net : rule->networks)
      hit = hit || (q.target.ip && net.contains(*q.target.ip));
    if (!q.target.name.empty()) {
      for (const auto& d : rule->domains)
        hit = hit || d == q.target.name;
      for (const auto& w : rule->wildcards)
        hit = hit || label_match(w.labels, labels);
    }
    if (!hit && !q.target.ip && !rule->networks.empty())
      return "needs_address:" + rule->description;
    if (hit)
      return std::string(rule->action == Action::Allow ? "allow:" : "block:") + rule->description;
  }
  return file.default_policy == Action::Allow ? "allow" : "block";
}

std::string compiled(const RuleSet& rules, const Query& q) {
  const Decision d = rules.evaluate(q);
  std::string out(verdict_name(d.verdict));
  if (d.rule != nullptr) out += ":" + d.rule->description;
  return out;
}

TEST(RuleSetProperty, IndexesAgreeWithANaiveScan) {
  for (unsigned seed = 1; seed <= 60; ++seed) {
    Generator gen(seed);
    auto loaded = load_acl(gen.file(), "random.toml");
    ASSERT_TRUE(loaded.file) << ::testing::PrintToString(loaded.errors);
    const AclFile file = *loaded.file;
    const RuleSet rules(std::move(*loaded.file), Guard{false, {}});
    for (int i = 0; i < 400; ++i) {
      Query q;
      const std::string user = "u" + std::to_string(gen.pick(4));
      std::vector<std::string> groups;
      if (gen.pick(2)) groups.push_back("g" + std::to_string(gen.pick(4)));
      q.user = user;
      q.groups = groups;
      if (gen.pick(2)) q.client = gen.address();
      const auto kind = gen.pick(3);
      if (kind != 0) q.target.name = gen.name();
      if (kind != 1) q.target.ip = gen.address();
      q.port = static_cast<std::uint16_t>(gen.pick(90));
      q.command = std::array{Command::Connect, Command::Bind, Command::Udp}[gen.pick(3)];
      ASSERT_EQ(compiled(rules, q), reference(file, q))
          << "seed " << seed << " query " << i << " name " << q.target.name << " ip "
          << (q.target.ip ? to_string(*q.target.ip) : "-") << " port " << q.port;
    }
  }
}

}  // namespace
}  // namespace rustsocks::acl

#include "acl/rule_set.hpp"

#include <algorithm>
#include <array>

namespace rustsocks::acl {
namespace {

struct GuardRange {
  std::string_view name;
  Cidr network;
};

const std::array<GuardRange, 6>& guard_ranges() {
  static const std::array<GuardRange, 6> ranges{{
      {"loopback", *parse_cidr("127.0.0.0/8")},
      {"loopback", *parse_cidr("::1/128")},
      {"link-local", *parse_cidr("169.254.0.0/16")},
      {"link-local", *parse_cidr("fe80::/10")},
      {"this host", *parse_cidr("0.0.0.0/8")},
      {"unspecified", *parse_cidr("::/128")},
  }};
  return ranges;
}

// Precedence: higher priority first; at equal priority block before allow; then file order.
bool precedes(const Rule* a, const Rule* b) {
  if (a->priority != b->priority) return a->priority > b->priority;
  if (a->action != b->action) return a->action == Action::Block;
  return a->line != b->line ? a->line < b->line : a->column < b->column;
}

char fold(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

Decision from_rule(const Rule* rule) {
  return Decision{
      rule->action == Action::Allow ? Verdict::Allow : Verdict::Block, Reason::Rule, rule, {}};
}

}  // namespace

std::size_t RuleSet::CaselessHash::operator()(std::string_view text) const {
  std::size_t hash = 1469598103934665603ULL;  // FNV-1a
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(fold(c));
    hash *= 1099511628211ULL;
  }
  return hash;
}

bool RuleSet::CaselessEqual::operator()(std::string_view a, std::string_view b) const {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return fold(x) == fold(y); });
}

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::Allow:
      return "allow";
    case Verdict::Block:
      return "block";
    case Verdict::NeedsAddress:
      return "needs_address";
  }
  return "block";
}

std::string describe(const Decision& decision) {
  switch (decision.reason) {
    case Reason::Rule: {
      const Rule& rule = *decision.rule;
      return "rule \"" +
             (rule.description.empty() ? std::string("(no description)") : rule.description) +
             "\" (priority " + std::to_string(rule.priority) + ", line " +
             std::to_string(rule.line) + ")";
    }
    case Reason::DefaultPolicy:
      return std::string("default policy (") + std::string(verdict_name(decision.verdict)) + ")";
    case Reason::Guard:
      return "built-in guard (" + std::string(decision.guard) + ")";
    case Reason::NoClientRules:
      return "no client rules";
    case Reason::NoClientMatch:
      return "no client rule matches";
  }
  return {};
}

RuleSet::RuleSet(AclFile file, Guard guard) : file_(std::move(file)), guard_(std::move(guard)) {
  const std::size_t principals = file_.users.size() + file_.groups.size();
  indexes_.resize(principals);
  for (std::size_t i = 0; i < file_.groups.size(); ++i) {
    groups_.emplace(file_.groups[i].name, static_cast<std::uint32_t>(file_.users.size() + i));
  }
  user_groups_.resize(file_.users.size());
  std::vector<std::pair<const Rule*, std::uint32_t>> owned;  // rule, index it belongs to
  for (std::size_t i = 0; i < principals; ++i) {
    const bool user = i < file_.users.size();
    const Principal& p = user ? file_.users[i] : file_.groups[i - file_.users.size()];
    if (user) {
      users_.emplace(p.name, static_cast<std::uint32_t>(i));
      for (const auto& group : p.groups) {
        if (auto it = groups_.find(group); it != groups_.end())
          user_groups_[i].push_back(it->second);
      }
    }
    for (const auto& rule : p.rules)
      owned.emplace_back(&rule, static_cast<std::uint32_t>(i));
  }
  std::stable_sort(owned.begin(), owned.end(),
                   [](const auto& a, const auto& b) { return precedes(a.first, b.first); });
  for (std::uint32_t id = 0; id < owned.size(); ++id) {
    order_.push_back(owned[id].first);
    indexes_[owned[id].second].add(*owned[id].first, id, false);
  }
  auto fit_of = [](const Rule* rule) {
    Fit f{.first = 1, .last = 0, .commands = rule->commands, .exact = false};
    if (rule->any_source && rule->ports.size() <= 1) {
      f.exact = true;
      if (rule->ports.size() == 1) {
        f.first = rule->ports[0].first;
        f.last = rule->ports[0].last;
      }
    }
    return f;
  };
  for (const Rule* rule : order_)
    fit_.push_back(fit_of(rule));
  for (const auto& rule : file_.clients)
    client_order_.push_back(&rule);
  std::stable_sort(client_order_.begin(), client_order_.end(), precedes);
  for (std::uint32_t id = 0; id < client_order_.size(); ++id) {
    clients_.add(*client_order_[id], id, true);
    client_fit_.push_back(fit_of(client_order_[id]));
  }
  clients_.seal();
  for (auto& index : indexes_)
    index.seal();
}

bool RuleSet::fits(const Rule& rule, const Query& query) const {
  if ((rule.commands & bit(query.command)) == 0) return false;
  const bool port_ok = std::any_of(rule.ports.begin(), rule.ports.end(), [&](const PortRange& r) {
    return query.port >= r.first && query.port <= r.last;
  });
  if (!port_ok) return false;
  if (rule.any_source) return true;
  return query.client && std::any_of(rule.sources.begin(), rule.sources.end(),
                                     [&](const Cidr& c) { return c.contains(*query.client); });
}

bool RuleSet::fits(std::uint32_t id, const std::vector<Fit>& fit,
                   const std::vector<const Rule*>& order, const Query& query) const {
  const Fit& f = fit[id];
  if ((f.commands & bit(query.command)) == 0) return false;
  if (f.exact) return query.port >= f.first && query.port <= f.last;
  return fits(*order[id], query);
}

void RuleSet::scan(std::span<const std::uint32_t> list, const std::vector<const Rule*>& order,
                   const std::vector<Fit>& fit, const Query& query, std::uint32_t& best) const {
  for (const std::uint32_t id : list) {
    if (id >= best) return;
    if (fits(id, fit, order, query)) {
      best = id;
      return;
    }
  }
}

void RuleSet::principals(const Query& query, std::vector<std::uint32_t>& out) const {
  auto add = [&out](std::uint32_t index) {
    if (std::find(out.begin(), out.end(), index) == out.end()) out.push_back(index);
  };
  if (auto it = users_.find(query.user); it != users_.end()) {
    add(it->second);
    for (const auto group : user_groups_[it->second])
      add(group);
  }
  for (const auto& group : query.groups) {
    if (auto it = groups_.find(std::string_view(group)); it != groups_.end()) add(it->second);
  }
}

std::vector<std::string> RuleSet::effective_groups(std::string_view user,
                                                   std::span<const std::string> nss_groups) const {
  Query query;
  query.user = user;
  query.groups = nss_groups;
  std::vector<std::uint32_t> indexes;
  principals(query, indexes);
  std::vector<std::string> out;
  for (const auto index : indexes) {
    if (index >= file_.users.size()) out.push_back(file_.groups[index - file_.users.size()].name);
  }
  return out;
}

std::size_t RuleSet::guarded_prefix(const Ip& ip, std::uint16_t port,
                                    std::string_view& name) const {
  if (!guard_.block_internal) return 0;
  std::size_t prefix = 0;
  for (const auto& range : guard_ranges()) {
    if (range.network.contains(ip) && range.network.prefix >= prefix) {
      prefix = std::max<std::size_t>(range.network.prefix, 1);
      name = range.name;
    }
  }
  for (const auto& own : guard_.own) {
    if (own.ip == ip && own.port == port) {
      prefix = ip.bits();
      name = "the server's own listening address";
    }
  }
  return prefix;
}

Decision RuleSet::check_client(const Ip& client) const {
  if (client_order_.empty()) return Decision{Verdict::Allow, Reason::NoClientRules, nullptr, {}};
  Query query;
  query.client = client;
  std::uint32_t best = kNoRule;
  scan(clients_.any, client_order_, client_fit_, query, best);
  clients_.networks.visit(client, 0, [&](std::span<const std::uint32_t> list) {
    scan(list, client_order_, client_fit_, query, best);
  });
  if (best == kNoRule) return Decision{Verdict::Block, Reason::NoClientMatch, nullptr, {}};
  return from_rule(client_order_[best]);
}

Decision RuleSet::evaluate(const Query& query) const {
  thread_local std::vector<std::uint32_t> indexes;  // reused: no allocation per decision
  indexes.clear();
  principals(query, indexes);
  std::uint32_t best = kNoRule;
  auto scan_list = [&](std::span<const std::uint32_t> list) {
    scan(list, order_, fit_, query, best);
  };
  const auto& ip = query.target.ip;
  std::string_view guard_name;
  if (ip) {
    if (const auto prefix = guarded_prefix(*ip, query.port, guard_name)) {
      // Only a rule naming this address (a network inside the guarded range) can open it.
      for (const auto index : indexes)
        indexes_[index].networks.visit(*ip, prefix, scan_list);
      if (best != kNoRule) return from_rule(order_[best]);
      return Decision{Verdict::Block, Reason::Guard, nullptr, guard_name};
    }
  }
  std::uint32_t pending = kNoRule;
  for (const auto index : indexes) {
    const Index& at = indexes_[index];
    scan(at.any, order_, fit_, query, best);
    if (!query.target.name.empty()) at.names.visit(query.target.name, scan_list);
    if (ip) {
      at.networks.visit(*ip, 0, scan_list);
    } else {
      scan(at.with_ip, order_, fit_, query, pending);
    }
  }
  if (pending < best) return Decision{Verdict::NeedsAddress, Reason::Rule, order_[pending], {}};
  if (best != kNoRule) return from_rule(order_[best]);
  return Decision{file_.default_policy == Action::Allow ? Verdict::Allow : Verdict::Block,
                  Reason::DefaultPolicy,
                  nullptr,
                  {}};
}

}  // namespace rustsocks::acl

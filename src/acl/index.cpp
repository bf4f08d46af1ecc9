#include "acl/index.hpp"

namespace rustsocks::acl {

void IpTrie::insert(const Cidr& network, std::uint32_t id) {
  auto& nodes = network.network.v6 ? v6_ : v4_;
  if (nodes.empty()) nodes.emplace_back();
  std::uint32_t at = 0;
  for (std::size_t depth = 0; depth < network.prefix; ++depth) {
    const std::size_t side = network.network.bit(depth) ? 1 : 0;
    if (nodes[at].child[side] == kNoRule) {
      nodes[at].child[side] = static_cast<std::uint32_t>(nodes.size());
      nodes.emplace_back();
    }
    at = nodes[at].child[side];
  }
  auto& rules = nodes[at].rules;
  if (rules.empty() || rules.back() != id) rules.push_back(id);
}

std::uint32_t DomainTrie::child(std::uint32_t at, const std::string& label) {
  auto next = static_cast<std::uint32_t>(nodes_.size());
  if (label == "*") {
    if (nodes_[at].star != kNoRule) return nodes_[at].star;
    nodes_[at].star = next;
  } else if (label.find('*') != std::string::npos) {
    for (const auto& [pattern, index] : nodes_[at].globs) {
      if (pattern == label) return index;
    }
    nodes_[at].globs.emplace_back(label, next);
  } else {
    auto [it, added] = nodes_[at].children.emplace(label, next);
    if (!added) return it->second;
  }
  nodes_.emplace_back();
  return next;
}

void DomainTrie::insert_exact(std::string_view name, std::uint32_t id) {
  Wildcard plain;
  std::string_view rest = name;
  for (;;) {
    const auto dot = rest.find('.');
    plain.labels.emplace_back(rest.substr(0, dot));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  insert_wildcard(plain, id);
}

void DomainTrie::insert_wildcard(const Wildcard& pattern, std::uint32_t id) {
  std::uint32_t at = 0;
  const auto& labels = pattern.labels;
  for (std::size_t i = labels.size(); i-- > 0;) {
    if (i == 0 && labels[0] == "*" && labels.size() > 1) {
      nodes_[at].deep.push_back(id);  // "*.example.com": any subdomain, at any depth
      return;
    }
    at = child(at, labels[i]);
  }
  nodes_[at].rules.push_back(id);
}

void DomainTrie::visit(std::string_view name,
                       const std::function<void(const RuleList&)>& visit) const {
  std::vector<std::string_view> labels;  // right to left
  std::size_t end = name.size();
  for (;;) {
    const auto dot = name.rfind('.', end == 0 ? 0 : end - 1);
    if (dot == std::string_view::npos || end == 0) {
      labels.push_back(name.substr(0, end));
      break;
    }
    labels.push_back(name.substr(dot + 1, end - dot - 1));
    end = dot;
  }
  walk(0, labels, 0, visit);
}

void DomainTrie::walk(std::uint32_t at, const std::vector<std::string_view>& labels,
                      std::size_t depth, const std::function<void(const RuleList&)>& visit) const {
  const Node& node = nodes_[at];
  if (depth == labels.size()) {
    if (!node.rules.empty()) visit(node.rules);
    return;
  }
  if (!node.deep.empty()) visit(node.deep);
  const auto label = labels[depth];
  if (auto it = node.children.find(label); it != node.children.end()) {
    walk(it->second, labels, depth + 1, visit);
  }
  if (node.star != kNoRule && !label.empty()) walk(node.star, labels, depth + 1, visit);
  for (const auto& [pattern, index] : node.globs) {
    if (glob_match(pattern, label)) walk(index, labels, depth + 1, visit);
  }
}

bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

void Index::add(const Rule& rule, std::uint32_t id, bool by_source) {
  if (by_source) {
    if (rule.any_source) any.push_back(id);
    for (const auto& network : rule.sources) networks.insert(network, id);
    return;
  }
  if (rule.any_destination) any.push_back(id);
  if (!rule.networks.empty()) with_ip.push_back(id);
  for (const auto& network : rule.networks) networks.insert(network, id);
  for (const auto& name : rule.domains) names.insert_exact(name, id);
  for (const auto& pattern : rule.wildcards) names.insert_wildcard(pattern, id);
}

}  // namespace rustsocks::acl

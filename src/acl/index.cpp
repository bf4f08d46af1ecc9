#include "acl/index.hpp"

#include <algorithm>
#include <cstring>

namespace rustsocks::acl {

std::size_t PrefixTable::KeyHash::operator()(const Key& key) const {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  std::memcpy(&high, key.bytes.data(), sizeof high);
  std::memcpy(&low, key.bytes.data() + 8, sizeof low);
  std::uint64_t hash = high * 0x9E3779B97F4A7C15ULL;
  hash ^= (low + key.length + (key.v6 ? 0x100U : 0U)) * 0xC2B2AE3D27D4EB4FULL;
  return static_cast<std::size_t>(hash ^ (hash >> 29U));
}

PrefixTable::Key PrefixTable::key(const Ip& ip, std::uint8_t length) {
  Key out{ip.bytes, length, ip.v6};
  const std::size_t whole = length / 8U;
  if (whole < out.bytes.size()) {
    const unsigned rest = length % 8U;
    out.bytes[whole] &= static_cast<std::uint8_t>(rest == 0 ? 0U : 0xffU << (8 - rest));
    std::fill(out.bytes.begin() + static_cast<long>(whole) + 1, out.bytes.end(), 0);
  }
  return out;
}

void PrefixTable::insert(const Cidr& network, std::uint32_t id) {
  auto& lengths = network.network.v6 ? v6_lengths_ : v4_lengths_;
  if (std::find(lengths.begin(), lengths.end(), network.prefix) == lengths.end()) {
    lengths.insert(std::upper_bound(lengths.begin(), lengths.end(), network.prefix),
                   network.prefix);
  }
  auto& rules = pending_[key(network.network, network.prefix)];
  if (rules.empty() || rules.back() != id) rules.push_back(id);
}

void PrefixTable::seal() {
  if (pending_.empty()) return;
  std::size_t size = 4;
  while (size < pending_.size() * 2)
    size *= 2;  // load factor at most 1/2
  slots_.assign(size, Slot{});
  mask_ = size - 1;
  for (auto& [k, list] : pending_) {
    std::size_t at = KeyHash{}(k)&mask_;
    while (slots_[at].count != 0)
      at = (at + 1) & mask_;
    slots_[at] =
        Slot{k, static_cast<std::uint32_t>(ids_.size()), static_cast<std::uint32_t>(list.size())};
    ids_.insert(ids_.end(), list.begin(), list.end());
  }
  pending_.clear();
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
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

void Index::add(const Rule& rule, std::uint32_t id, bool by_source) {
  if (by_source) {
    if (rule.any_source) any.push_back(id);
    for (const auto& network : rule.sources)
      networks.insert(network, id);
    return;
  }
  if (rule.any_destination) any.push_back(id);
  if (!rule.networks.empty()) with_ip.push_back(id);
  for (const auto& network : rule.networks)
    networks.insert(network, id);
  for (const auto& name : rule.domains)
    names.insert_exact(name, id);
  for (const auto& pattern : rule.wildcards)
    names.insert_wildcard(pattern, id);
}

}  // namespace rustsocks::acl

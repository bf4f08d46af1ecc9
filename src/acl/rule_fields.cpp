// Field parsers of one ACL rule (rule_fields.hpp).
#include "acl/rule_fields.hpp"

#include <algorithm>
#include <charconv>

namespace rustsocks::acl {
namespace {

constexpr std::size_t kMaxDomain = 253;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

std::optional<std::uint16_t> port_number(std::string_view text) {
  text = trim(text);
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool is_domain_text(std::string_view name, bool allow_star) {
  if (name.empty() || name.size() > kMaxDomain || name.front() == '.') return false;
  if (name.find("..") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [allow_star](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           (allow_star && c == '*');
  });
}

}  // namespace

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text.substr(0, 64)) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte == 0x7f ? '?' : c;
  }
  return out + (text.size() > 64 ? "\"..." : "\"");
}

std::string lower(std::string_view text) {
  return normalize_domain(std::string(text) + ".");
}

// "*", "443", "8000-9000", "80,443,8080" (pieces may be ranges). false on a malformed entry.
bool parse_ports(std::string_view text, std::vector<PortRange>& out, bool& inverted) {
  if (trim(text) == "*") {
    out.push_back({0, 65535});
    return true;
  }
  for (;;) {
    const auto comma = text.find(',');
    const auto piece = text.substr(0, comma);
    const auto dash = piece.find('-');
    auto first = port_number(piece.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : port_number(piece.substr(dash + 1));
    if (!first || !last) return false;
    if (*first > *last) {
      inverted = true;  // RustSocks: matches nothing
    } else {
      out.push_back({*first, *last});
    }
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

// Adds one destination to the rule; false when it is none of the accepted forms.
bool add_destination(std::string_view text, Rule& rule) {
  if (text == "*") {
    rule.any_destination = true;
    return true;
  }
  if (text.find('/') != std::string_view::npos || parse_ip(text)) {
    auto network = parse_cidr(text);
    if (!network) return false;
    rule.networks.push_back(*network);
    return true;
  }
  const std::string name = normalize_domain(text);
  if (!is_domain_text(name, true)) return false;
  if (name.find('*') == std::string::npos) {
    rule.domains.push_back(name);
    return true;
  }
  Wildcard wildcard;
  std::string_view rest = name;
  for (;;) {
    const auto dot = rest.find('.');
    wildcard.labels.emplace_back(rest.substr(0, dot));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  rule.wildcards.push_back(std::move(wildcard));
  return true;
}

bool add_protocol(std::string_view text, Rule& rule) {
  const std::string name = lower(text);
  unsigned mask = 0;
  if (name == "tcp") {
    mask = bit(Command::Connect) | bit(Command::Bind);
  } else if (name == "udp") {
    mask = bit(Command::Udp);
  } else if (name == "both" || name == "*") {
    mask = kAllCommands;
  } else if (name == "connect") {
    mask = bit(Command::Connect);
  } else if (name == "bind") {
    mask = bit(Command::Bind);
  } else {
    return false;
  }
  rule.commands = static_cast<std::uint8_t>(rule.commands | mask);
  return true;
}

}  // namespace rustsocks::acl

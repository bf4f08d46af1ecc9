#include "acl/address.hpp"

#include <algorithm>
#include <charconv>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace rustsocks::acl {
namespace {

// One inet_aton part: decimal, 0x/0X hex or 0-prefixed octal; at most `limit`.
std::optional<std::uint32_t> parse_part(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int base = 10;
  if (text.size() > 1 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
    if (text.empty()) return std::nullopt;  // glibc rejects a bare "0x"
  } else if (text.size() > 1 && text[0] == '0') {
    base = 8;
    text.remove_prefix(1);
  }
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (value > 0xffffffffULL) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

std::optional<Ip> parse_ipv4(std::string_view text) {
  std::array<std::uint32_t, 4> parts{};
  std::size_t count = 0;
  for (;;) {
    const auto dot = text.find('.');
    if (count == parts.size()) return std::nullopt;
    auto part = parse_part(text.substr(0, dot));
    if (!part) return std::nullopt;
    parts[count++] = *part;
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  std::uint32_t value = 0;
  for (std::size_t i = 0; i + 1 < count; ++i) {
    if (parts[i] > 0xff) return std::nullopt;
    value |= parts[i] << (8 * (3 - i));
  }
  const std::uint32_t last = parts[count - 1];
  const std::size_t last_bytes = 5 - count;  // the last part fills what is left
  if (last_bytes < 4 && last >= (1ULL << (8 * last_bytes))) return std::nullopt;
  return ipv4(value | last);
}

}  // namespace

Ip ipv4(std::uint32_t host_order) {
  Ip ip;
  for (std::size_t i = 0; i < 4; ++i) {
    ip.bytes[i] = static_cast<std::uint8_t>(host_order >> (8 * (3 - i)));
  }
  return ip;
}

Ip ipv6(const std::array<std::uint8_t, 16>& bytes) {
  const bool zero_head = std::all_of(bytes.begin(), bytes.begin() + 10, [](auto b) { return !b; });
  const bool mapped = zero_head && bytes[10] == 0xff && bytes[11] == 0xff;
  const bool compatible_head = zero_head && bytes[10] == 0 && bytes[11] == 0;
  // ::a.b.c.d (deprecated IPv4-compatible), but not :: and ::1, which are IPv6's own.
  const bool compatible = compatible_head && (bytes[12] | bytes[13] | bytes[14]) != 0;
  Ip ip;
  if (mapped || compatible) {
    std::copy(bytes.begin() + 12, bytes.end(), ip.bytes.begin());
    return ip;
  }
  ip.bytes = bytes;
  ip.v6 = true;
  return ip;
}

std::string to_string(const Ip& ip) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.bytes.data(), text.data(), text.size());
  return text.data();
}

std::optional<Ip> parse_ip(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
    if (text.find(':') == std::string_view::npos) return std::nullopt;
  }
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  if (text.find(':') == std::string_view::npos) return parse_ipv4(text);
  const std::string copy(text);  // inet_pton needs a terminated string
  std::array<std::uint8_t, 16> bytes{};
  if (copy.find('\0') != std::string::npos || inet_pton(AF_INET6, copy.c_str(), bytes.data()) != 1)
    return std::nullopt;
  return ipv6(bytes);
}

bool Cidr::contains(const Ip& ip) const {
  if (ip.v6 != network.v6) return false;
  const std::size_t whole = prefix / 8U;
  if (!std::equal(network.bytes.begin(), network.bytes.begin() + static_cast<long>(whole),
                  ip.bytes.begin()))
    return false;
  const unsigned rest = prefix % 8U;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xffU << (8 - rest));
  return (ip.bytes[whole] & mask) == network.bytes[whole];
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const auto address_text = text.substr(0, slash);
  // A CIDR's address is spelled in full: "10/8" would be ambiguous, so only inet_pton forms.
  std::optional<Ip> address;
  if (slash == std::string_view::npos) {
    address = parse_ip(address_text);
  } else {
    const std::string copy(address_text);
    std::array<std::uint8_t, 16> bytes{};
    if (copy.find('\0') != std::string::npos) return std::nullopt;
    if (inet_pton(AF_INET, copy.c_str(), bytes.data()) == 1) {
      address = Ip{bytes, false};
    } else if (inet_pton(AF_INET6, copy.c_str(), bytes.data()) == 1) {
      address = Ip{bytes, true};
    }
  }
  if (!address) return std::nullopt;
  std::size_t prefix = address->bits();
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size() ||
        prefix > address->bits())
      return std::nullopt;
    if (address->v6) {  // ::ffff:10.0.0.0/104 is 10.0.0.0/8
      const Ip reduced = ipv6(address->bytes);
      if (!reduced.v6 && prefix >= 96) {
        address = reduced;
        prefix -= 96;
      }
    }
  }
  Cidr out{*address, static_cast<std::uint8_t>(prefix)};
  for (std::size_t bit = prefix; bit < out.network.bits(); ++bit) {
    out.network.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
  }
  return out;
}

std::string to_string(const Cidr& cidr) {
  return to_string(cidr.network) + "/" + std::to_string(cidr.prefix);
}

std::string normalize_domain(std::string_view name) {
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

Target normalize_target(std::string_view host) {
  Target target;
  std::string_view bare = host;
  if (!bare.empty() && bare.back() == '.') bare.remove_suffix(1);  // "127.0.0.1." too
  if (auto ip = parse_ip(bare)) {
    target.ip = *ip;
    return target;
  }
  target.name = normalize_domain(host);
  return target;
}

}  // namespace rustsocks::acl

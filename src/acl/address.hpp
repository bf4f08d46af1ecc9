// Textual addresses as the ACL sees them, normalised once so no spelling slips past a rule:
// every IPv4 form inet_aton(3) accepts ("127.1", "0x7f.1", "2130706433", "0177.0.0.1"),
// IPv4-mapped and IPv4-compatible IPv6 (reduced to IPv4), domains lower-cased without their
// trailing dot. Pure: no sockets, no Asio.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rustsocks::acl {

// An IPv4 address is stored in bytes[0..3] with v6 = false.
struct Ip {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;
  std::size_t bits() const { return v6 ? 128 : 32; }
  bool bit(std::size_t index) const {
    const unsigned byte = bytes[index / 8];
    return ((byte >> (7U - index % 8U)) & 1U) != 0;
  }
  friend bool operator==(const Ip&, const Ip&) = default;
};

Ip ipv4(std::uint32_t host_order);
Ip ipv6(const std::array<std::uint8_t, 16>& bytes);  // mapped/compatible forms become IPv4
std::string to_string(const Ip& ip);

// Any IPv4 text inet_aton accepts (1 to 4 parts, decimal, 0x hex or 0 octal; the last part fills
// the remaining bytes) or IPv6 text (inet_pton, optionally in brackets). nullopt otherwise.
std::optional<Ip> parse_ip(std::string_view text);

// A network: address with host bits cleared, and its prefix length.
struct Cidr {
  Ip network;
  std::uint8_t prefix = 0;
  bool contains(const Ip& ip) const;
  // True when every address of `inner` is inside this network.
  bool covers(const Cidr& inner) const { return inner.prefix >= prefix && contains(inner.network); }
  friend bool operator==(const Cidr&, const Cidr&) = default;
};
// "10.0.0.0/8", "fe80::/10", "::ffff:10.0.0.0/104" (IPv4 /8), or a bare address (a host /32 or
// /128). Host bits may be set; they are cleared.
std::optional<Cidr> parse_cidr(std::string_view text);
std::string to_string(const Cidr& cidr);

// Lower-cased ASCII, one trailing dot removed. Does not validate.
std::string normalize_domain(std::string_view name);

// What a client asked to reach, normalised: an address, or a domain name (never an IP literal).
struct Target {
  std::optional<Ip> ip;
  std::string name;  // empty when the target is an address
};
// "127.1" -> ip 127.0.0.1; "Example.COM." -> name "example.com"; "[::ffff:1.2.3.4]" -> 1.2.3.4.
Target normalize_target(std::string_view host);

}  // namespace rustsocks::acl

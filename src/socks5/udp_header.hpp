// SOCKS5 UDP request header (RFC 1928 §7): the header every relayed datagram carries between the
// client and the relay. Pure parser and encoder over bytes, like the rest of socks5/; the UDP
// relay (relay/udp_relay) calls them per datagram, so neither allocates for IP addresses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "socks5/messages.hpp"

namespace rustsocks::socks5 {

// RFC 1928 §7:  +----+------+------+----------+----------+----------+
//               |RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
//               +----+------+------+----------+----------+----------+
//               | 2  |  1   |  1   | Variable |    2     | Variable |
// A datagram is whole or nothing, so Incomplete means a truncated header (malformed). Errors:
// RSV != 0 -> BadReservedByte, unknown ATYP -> AddressTypeNotSupported, DST.ADDR of a domain of
// length 0 -> EmptyDomain. FRAG is returned as sent: the caller drops FRAG != 0 (this server does
// not reassemble, which RFC 1928 allows). `consumed` is the header length: DATA starts there.
struct UdpHeader {
  std::uint8_t frag = 0;
  Target target;
};
Parse<UdpHeader> parse_udp_header(std::span<const std::uint8_t> datagram);

// The longest header: RSV FRAG ATYP LEN, 255 bytes of domain, PORT.
inline constexpr std::size_t kMaxUdpHeaderSize = 2 + 1 + 1 + 1 + 255 + 2;
// The header for an IP target: 10 bytes (IPv4) or 22 (IPv6).
inline constexpr std::size_t kUdpHeaderSizeIpv4 = 10;
inline constexpr std::size_t kUdpHeaderSizeIpv6 = 22;

// Writes RSV(0) FRAG(0) ATYP DST.ADDR DST.PORT for `target` at the start of `out`, which must hold
// at least udp_header_size(target) bytes; returns the number of bytes written (0 if out is short).
std::size_t encode_udp_header(const Target& target, std::span<std::uint8_t> out);
std::size_t udp_header_size(const Target& target);

}  // namespace rustsocks::socks5

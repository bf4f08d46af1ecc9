#include "socks5/udp_header.hpp"

#include <algorithm>

namespace rustsocks::socks5 {
namespace {

constexpr std::uint8_t kAtypIpv4 = 1;
constexpr std::uint8_t kAtypDomain = 3;
constexpr std::uint8_t kAtypIpv6 = 4;

std::size_t address_size(const Address& address) {
  if (std::holds_alternative<Ipv4>(address)) return 4;
  if (std::holds_alternative<Ipv6>(address)) return 16;
  return 1 + std::min<std::size_t>(std::get<Domain>(address).name.size(), 255);
}

}  // namespace

Parse<UdpHeader> parse_udp_header(std::span<const std::uint8_t> datagram) {
  ByteReader r{datagram};
  auto reserved = r.u16();
  auto frag = r.u8();
  auto atyp = r.u8();
  if (!reserved || !frag || !atyp) return Incomplete{};
  if (*reserved != 0) return core::Errc::BadReservedByte;
  UdpHeader header;
  header.frag = *frag;
  switch (*atyp) {
    case kAtypIpv4: {
      auto raw = r.bytes(4);
      if (!raw) return Incomplete{};
      Ipv4 ip;
      std::copy(raw->begin(), raw->end(), ip.bytes.begin());
      header.target.address = ip;
      break;
    }
    case kAtypIpv6: {
      auto raw = r.bytes(16);
      if (!raw) return Incomplete{};
      Ipv6 ip;
      std::copy(raw->begin(), raw->end(), ip.bytes.begin());
      header.target.address = ip;
      break;
    }
    case kAtypDomain: {
      auto length = r.u8();
      if (!length) return Incomplete{};
      if (*length == 0) return core::Errc::EmptyDomain;
      auto raw = r.bytes(*length);
      if (!raw) return Incomplete{};
      header.target.address = Domain{std::string(raw->begin(), raw->end())};
      break;
    }
    default:
      return core::Errc::AddressTypeNotSupported;
  }
  auto port = r.u16();
  if (!port) return Incomplete{};
  header.target.port = *port;
  return Complete<UdpHeader>{std::move(header), r.consumed()};
}

std::size_t udp_header_size(const Target& target) {
  return 2 + 1 + 1 + address_size(target.address) + 2;
}

std::size_t encode_udp_header(const Target& target, std::span<std::uint8_t> out) {
  const std::size_t size = udp_header_size(target);
  if (out.size() < size) return 0;
  std::size_t at = 0;
  out[at++] = 0;  // RSV
  out[at++] = 0;
  out[at++] = 0;  // FRAG
  const auto put = [&out, &at](auto first, auto last) {
    for (; first != last; ++first) {
      out[at++] = static_cast<std::uint8_t>(*first);
    }
  };
  if (const auto* v4 = std::get_if<Ipv4>(&target.address)) {
    out[at++] = kAtypIpv4;
    put(v4->bytes.begin(), v4->bytes.end());
  } else if (const auto* v6 = std::get_if<Ipv6>(&target.address)) {
    out[at++] = kAtypIpv6;
    put(v6->bytes.begin(), v6->bytes.end());
  } else {
    const auto& name = std::get<Domain>(target.address).name;
    const auto length = std::min<std::size_t>(name.size(), 255);
    out[at++] = kAtypDomain;
    out[at++] = static_cast<std::uint8_t>(length);
    put(name.begin(), name.begin() + static_cast<std::ptrdiff_t>(length));
  }
  out[at++] = static_cast<std::uint8_t>(target.port >> 8U);
  out[at] = static_cast<std::uint8_t>(target.port & 0xFFU);
  return size;
}

}  // namespace rustsocks::socks5

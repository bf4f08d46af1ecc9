#include <algorithm>

#include "socks5/messages.hpp"

namespace rustsocks::socks5 {
namespace {

constexpr std::uint8_t kAtypIpv4 = 1;
constexpr std::uint8_t kAtypDomain = 3;
constexpr std::uint8_t kAtypIpv6 = 4;

// Reads ATYP DST.ADDR DST.PORT; nullopt means "needs more bytes".
std::optional<std::variant<Target, core::Errc>> read_target(ByteReader& r) {
  auto atyp = r.u8();
  if (!atyp) return std::nullopt;
  Target target;
  switch (*atyp) {
    case kAtypIpv4: {
      auto raw = r.bytes(4);
      if (!raw) return std::nullopt;
      Ipv4 ip;
      std::copy(raw->begin(), raw->end(), ip.bytes.begin());
      target.address = ip;
      break;
    }
    case kAtypIpv6: {
      auto raw = r.bytes(16);
      if (!raw) return std::nullopt;
      Ipv6 ip;
      std::copy(raw->begin(), raw->end(), ip.bytes.begin());
      target.address = ip;
      break;
    }
    case kAtypDomain: {
      auto length = r.u8();
      if (!length) return std::nullopt;
      if (*length == 0) return core::Errc::EmptyDomain;
      auto raw = r.bytes(*length);
      if (!raw) return std::nullopt;
      target.address = Domain{std::string(raw->begin(), raw->end())};
      break;
    }
    default:
      return core::Errc::AddressTypeNotSupported;
  }
  auto port = r.u16();
  if (!port) return std::nullopt;
  target.port = *port;
  return target;
}

}  // namespace

Parse<Request> parse_request(std::span<const std::uint8_t> in) {
  ByteReader r{in};
  auto version = r.u8();
  if (!version) return Incomplete{};
  if (*version != kVersion) return core::Errc::BadVersion;
  auto command = r.u8();
  auto reserved = r.u8();
  if (!command || !reserved) return Incomplete{};
  if (*reserved != 0) return core::Errc::BadReservedByte;
  auto target = read_target(r);
  if (!target) return Incomplete{};
  if (auto* error = std::get_if<core::Errc>(&*target)) return *error;
  if (*command < 1 || *command > 3) return core::Errc::CommandNotSupported;
  Request request{static_cast<Command>(*command), std::get<Target>(std::move(*target))};
  return Complete<Request>{std::move(request), r.consumed()};
}

std::vector<std::uint8_t> encode_reply(Reply reply, const Target& bound) {
  std::vector<std::uint8_t> out{kVersion, static_cast<std::uint8_t>(reply), 0};
  if (const auto* v4 = std::get_if<Ipv4>(&bound.address)) {
    out.push_back(kAtypIpv4);
    out.insert(out.end(), v4->bytes.begin(), v4->bytes.end());
  } else if (const auto* v6 = std::get_if<Ipv6>(&bound.address)) {
    out.push_back(kAtypIpv6);
    out.insert(out.end(), v6->bytes.begin(), v6->bytes.end());
  } else {
    const auto& name = std::get<Domain>(bound.address).name;
    auto length = std::min<std::size_t>(name.size(), 255);
    out.push_back(kAtypDomain);
    out.push_back(static_cast<std::uint8_t>(length));
    out.insert(out.end(), name.begin(), name.begin() + static_cast<std::ptrdiff_t>(length));
  }
  out.push_back(static_cast<std::uint8_t>(bound.port >> 8U));
  out.push_back(static_cast<std::uint8_t>(bound.port & 0xFFU));
  return out;
}

std::vector<std::uint8_t> encode_failure(Reply reply) {
  return encode_reply(reply, Target{Ipv4{}, 0});
}

}  // namespace rustsocks::socks5

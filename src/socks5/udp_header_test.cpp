// Specification of the SOCKS5 UDP request header (RFC 1928 §7): every address type, truncation at
// every byte, RSV and FRAG, and the encoder producing exactly what the parser reads back.
#include "socks5/udp_header.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

namespace rustsocks::socks5 {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes datagram(Bytes header, std::string_view payload) {
  header.reserve(header.size() + payload.size());
  header.insert(header.end(), payload.begin(), payload.end());
  return header;
}

const Complete<UdpHeader>& complete(const Parse<UdpHeader>& parsed) {
  const auto* done = std::get_if<Complete<UdpHeader>>(&parsed);
  EXPECT_NE(done, nullptr);
  static const Complete<UdpHeader> kEmpty{};
  return done != nullptr ? *done : kEmpty;
}

TEST(ParseUdpHeader, ReadsAnIpv4TargetAndLeavesThePayload) {
  auto bytes = datagram({0, 0, 0, 1, 127, 0, 0, 1, 0x00, 0x35}, "query");
  auto parsed = parse_udp_header(bytes);
  const auto& done = complete(parsed);
  EXPECT_EQ(done.consumed, kUdpHeaderSizeIpv4);
  EXPECT_EQ(done.message.frag, 0);
  EXPECT_EQ(done.message.target, (Target{Ipv4{{127, 0, 0, 1}}, 53}));
}

TEST(ParseUdpHeader, ReadsAnIpv6Target) {
  Bytes header{0, 0, 0, 4};
  header.resize(4 + 15, 0);
  header.push_back(1);
  header.push_back(0x1F);
  header.push_back(0x90);
  auto parsed = parse_udp_header(datagram(header, "x"));
  const auto& done = complete(parsed);
  EXPECT_EQ(done.consumed, kUdpHeaderSizeIpv6);
  Ipv6 loopback;
  loopback.bytes[15] = 1;
  EXPECT_EQ(done.message.target, (Target{loopback, 8080}));
}

TEST(ParseUdpHeader, ReadsADomainTargetOfAnyLength) {
  // A three-letter name makes a 9-byte header: RustSocks' 10-byte minimum dropped it.
  for (std::string name : {std::string("a.b"), std::string(255, 'x')}) {
    // (reserve before insert: GCC 12 at -O2 reports a false -Warray-bounds on an init-list
    // vector that grows by insert)
    Bytes header;
    header.reserve(5 + name.size() + 2);
    header.push_back(0);
    header.push_back(0);
    header.push_back(0);
    header.push_back(3);
    header.push_back(static_cast<std::uint8_t>(name.size()));
    header.insert(header.end(), name.begin(), name.end());
    header.push_back(0);
    header.push_back(53);
    auto parsed = parse_udp_header(header);
    const auto& done = complete(parsed);
    EXPECT_EQ(done.consumed, header.size());
    EXPECT_EQ(done.message.target, (Target{Domain{name}, 53}));
  }
}

TEST(ParseUdpHeader, AnEmptyPayloadIsValid) {
  Bytes header{0, 0, 0, 1, 10, 0, 0, 1, 0, 7};
  EXPECT_EQ(complete(parse_udp_header(header)).consumed, header.size());
}

TEST(ParseUdpHeader, EveryTruncationIsIncomplete) {
  const Bytes whole_v4{0, 0, 0, 1, 10, 0, 0, 1, 0, 7};
  Bytes whole_domain{0, 0, 0, 3, 3, 'a', '.', 'b', 0, 53};
  for (const auto& whole : {whole_v4, whole_domain}) {
    for (std::size_t n = 0; n < whole.size(); ++n) {
      auto parsed = parse_udp_header(std::span(whole).first(n));
      EXPECT_TRUE(std::holds_alternative<Incomplete>(parsed)) << "length " << n;
    }
  }
}

TEST(ParseUdpHeader, KeepsFragSoTheCallerCanDropIt) {
  auto parsed = parse_udp_header(Bytes{0, 0, 1, 1, 10, 0, 0, 1, 0, 7});
  EXPECT_EQ(complete(parsed).message.frag, 1);
  parsed = parse_udp_header(Bytes{0, 0, 0x81, 1, 10, 0, 0, 1, 0, 7});
  EXPECT_EQ(complete(parsed).message.frag, 0x81);
}

TEST(ParseUdpHeader, RejectsNonZeroReservedBytes) {
  for (auto rsv : {Bytes{0, 1}, Bytes{1, 0}, Bytes{0xFF, 0xFF}}) {
    Bytes bytes{rsv[0], rsv[1], 0, 1, 10, 0, 0, 1, 0, 7};
    EXPECT_EQ(std::get<core::Errc>(parse_udp_header(bytes)), core::Errc::BadReservedByte);
  }
}

TEST(ParseUdpHeader, RejectsUnknownAddressTypesAndEmptyDomains) {
  for (int atyp : {0, 2, 5, 0xFF}) {
    Bytes bytes{0, 0, 0, static_cast<std::uint8_t>(atyp), 10, 0, 0, 1, 0, 7};
    EXPECT_EQ(std::get<core::Errc>(parse_udp_header(bytes)), core::Errc::AddressTypeNotSupported);
  }
  Bytes empty{0, 0, 0, 3, 0, 0, 53};
  EXPECT_EQ(std::get<core::Errc>(parse_udp_header(empty)), core::Errc::EmptyDomain);
}

TEST(EncodeUdpHeader, RoundTripsEveryAddressType) {
  Ipv6 v6;
  v6.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  for (const auto& target :
       {Target{Ipv4{{192, 0, 2, 1}}, 53}, Target{v6, 443}, Target{Domain{"example.com"}, 65535}}) {
    std::array<std::uint8_t, kMaxUdpHeaderSize> out{};
    auto size = encode_udp_header(target, out);
    ASSERT_EQ(size, udp_header_size(target));
    auto parsed = parse_udp_header(std::span(out).first(size));
    const auto& done = complete(parsed);
    EXPECT_EQ(done.consumed, size);
    EXPECT_EQ(done.message.target, target);
    EXPECT_EQ(done.message.frag, 0);
  }
}

TEST(EncodeUdpHeader, WritesTheIpv4WireBytes) {
  std::array<std::uint8_t, kUdpHeaderSizeIpv4> out{};
  ASSERT_EQ(encode_udp_header(Target{Ipv4{{127, 0, 0, 1}}, 0x1234}, out), kUdpHeaderSizeIpv4);
  EXPECT_EQ(out, (std::array<std::uint8_t, 10>{0, 0, 0, 1, 127, 0, 0, 1, 0x12, 0x34}));
}

TEST(EncodeUdpHeader, WritesNothingIntoAShortBuffer) {
  std::array<std::uint8_t, kUdpHeaderSizeIpv4 - 1> out{};
  EXPECT_EQ(encode_udp_header(Target{Ipv4{{127, 0, 0, 1}}, 53}, out), 0U);
}

}  // namespace
}  // namespace rustsocks::socks5

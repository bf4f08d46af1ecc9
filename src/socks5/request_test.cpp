// Specification of parse_request (RFC 1928 §4): every address type, partial and joined input,
// and the malformed requests the session must answer (0x07, 0x08) or drop.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "socks5/messages.hpp"

namespace rustsocks::socks5 {
namespace {

using Bytes = std::vector<std::uint8_t>;

// ATYP DST.ADDR pieces.
Bytes ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return {1, a, b, c, d};
}
Bytes ipv6_loopback() {
  Bytes out(17, 0);
  out[0] = 4;
  out[16] = 1;
  return out;
}
// (reserve before insert: GCC 12 at -O2 reports a false -Warray-bounds on an init-list vector
// that grows by insert)
Bytes domain(std::string_view name) {
  Bytes out;
  out.reserve(2 + name.size());
  out.push_back(3);
  out.push_back(static_cast<std::uint8_t>(name.size()));
  out.insert(out.end(), name.begin(), name.end());
  return out;
}

// VER CMD RSV ATYP DST.ADDR DST.PORT
Bytes request(std::uint8_t command, const Bytes& address, std::uint16_t port) {
  Bytes out;
  out.reserve(5 + address.size());
  out.push_back(5);
  out.push_back(command);
  out.push_back(0);
  out.insert(out.end(), address.begin(), address.end());
  out.push_back(static_cast<std::uint8_t>(port >> 8U));
  out.push_back(static_cast<std::uint8_t>(port & 0xFFU));
  return out;
}

bool is_incomplete(const Parse<Request>& parsed) {
  return std::holds_alternative<Incomplete>(parsed);
}

std::optional<core::Errc> error_of(const Parse<Request>& parsed) {
  if (const auto* error = std::get_if<core::Errc>(&parsed)) return *error;
  return std::nullopt;
}

TEST(ParseRequest, ReadsAnIpv4Connect) {
  const Bytes wire = request(1, ipv4(127, 0, 0, 1), 80);
  auto parsed = parse_request(wire);
  const auto* done = std::get_if<Complete<Request>>(&parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->message.command, Command::Connect);
  EXPECT_EQ(done->message.target, (Target{Ipv4{{127, 0, 0, 1}}, 80}));
  EXPECT_EQ(done->consumed, 10U);
}

TEST(ParseRequest, ReadsAnIpv6Connect) {
  const Bytes wire = request(1, ipv6_loopback(), 443);
  auto parsed = parse_request(wire);
  const auto* done = std::get_if<Complete<Request>>(&parsed);
  ASSERT_NE(done, nullptr);
  Ipv6 loopback;
  loopback.bytes[15] = 1;
  EXPECT_EQ(done->message.target, (Target{loopback, 443}));
  EXPECT_EQ(done->consumed, 22U);
}

TEST(ParseRequest, ReadsAOneByteDomain) {
  const Bytes wire = request(1, domain("a"), 80);
  auto parsed = parse_request(wire);
  const auto* done = std::get_if<Complete<Request>>(&parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->message.target, (Target{Domain{"a"}, 80}));
  EXPECT_EQ(done->consumed, 8U);
}

TEST(ParseRequest, ReadsA255ByteDomainAsTheLargestRequest) {
  const std::string name(255, 'x');
  const Bytes wire = request(1, domain(name), 443);
  ASSERT_EQ(wire.size(), kMaxRequestSize);
  auto parsed = parse_request(wire);
  const auto* done = std::get_if<Complete<Request>>(&parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->message.target, (Target{Domain{name}, 443}));
  EXPECT_EQ(done->consumed, kMaxRequestSize);
}

TEST(ParseRequest, KeepsDomainBytesVerbatim) {
  const std::string name{"a\0b\xFF.", 5};
  auto parsed = parse_request(request(1, domain(name), 80));
  const auto* done = std::get_if<Complete<Request>>(&parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(std::get<Domain>(done->message.target.address).name, name);
}

TEST(ParseRequest, WaitsForEveryPrefixOfEachAddressType) {
  for (const Bytes& wire : {request(1, ipv4(1, 2, 3, 4), 80), request(1, ipv6_loopback(), 80),
                            request(1, domain("example.com"), 80)}) {
    for (std::size_t length = 0; length < wire.size(); ++length) {
      EXPECT_TRUE(is_incomplete(parse_request(std::span(wire).first(length))))
          << "prefix of " << length << " of " << wire.size() << " bytes";
    }
  }
}

TEST(ParseRequest, WaitsForTheWholeDomainName) {
  const Bytes wire{5, 1, 0, 3, 11, 'e', 'x', 'a', 'm'};
  EXPECT_TRUE(is_incomplete(parse_request(wire)));
}

TEST(ParseRequest, WaitsForBothPortBytes) {
  Bytes wire = request(1, ipv4(1, 2, 3, 4), 0x1234);
  wire.pop_back();
  EXPECT_TRUE(is_incomplete(parse_request(wire)));
}

TEST(ParseRequest, ConsumesExactlyOneRequestWhenDataFollows) {
  const Bytes first = request(1, domain("example.com"), 80);
  Bytes joined = first;
  const std::string_view pipelined = "GET / HTTP/1.1\r\n\r\n";
  joined.insert(joined.end(), pipelined.begin(), pipelined.end());
  auto parsed = parse_request(joined);
  const auto* done = std::get_if<Complete<Request>>(&parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->consumed, first.size());
  EXPECT_EQ(done->message.target, (Target{Domain{"example.com"}, 80}));
}

TEST(ParseRequest, RejectsANonZeroReservedByte) {
  Bytes wire = request(1, ipv4(1, 2, 3, 4), 80);
  wire[2] = 1;
  EXPECT_EQ(error_of(parse_request(wire)), core::Errc::BadReservedByte);
  EXPECT_EQ(error_of(parse_request(std::span(wire).first(3))), core::Errc::BadReservedByte);
}

TEST(ParseRequest, RejectsAnotherVersionFromTheFirstByteAlone) {
  EXPECT_EQ(error_of(parse_request(Bytes{4})), core::Errc::BadVersion);
  EXPECT_EQ(error_of(parse_request(Bytes{0x16, 0x03, 0x01})), core::Errc::BadVersion);  // TLS
  Bytes wire = request(1, ipv4(1, 2, 3, 4), 80);
  wire[0] = 4;
  EXPECT_EQ(error_of(parse_request(wire)), core::Errc::BadVersion);
}

TEST(ParseRequest, RejectsUnknownCommandsOnlyOnceTheAddressIsComplete) {
  for (std::uint8_t command : Bytes{0x00, 0x04, 0xFF}) {
    const Bytes wire = request(command, domain("example.com"), 80);
    for (std::size_t length = 0; length < wire.size(); ++length) {
      EXPECT_TRUE(is_incomplete(parse_request(std::span(wire).first(length))))
          << "command " << int{command} << ", prefix of " << length << " bytes";
    }
    EXPECT_EQ(error_of(parse_request(wire)), core::Errc::CommandNotSupported)
        << "command " << int{command};
  }
}

TEST(ParseRequest, RejectsUnknownAddressTypesFromTheHeaderAlone) {
  for (std::uint8_t atyp : Bytes{0x00, 0x02, 0x05, 0xFF}) {
    const Bytes header{5, 1, 0, atyp};
    EXPECT_EQ(error_of(parse_request(header)), core::Errc::AddressTypeNotSupported)
        << "atyp " << int{atyp};
  }
}

TEST(ParseRequest, ReportsTheAddressTypeBeforeTheCommand) {
  const Bytes wire{5, 0xFF, 0, 0x05, 1, 2, 3, 4, 0, 80};
  EXPECT_EQ(error_of(parse_request(wire)), core::Errc::AddressTypeNotSupported);
}

TEST(ParseRequest, RejectsAnEmptyDomainWithoutWaitingForThePort) {
  EXPECT_EQ(error_of(parse_request(Bytes{5, 1, 0, 3, 0})), core::Errc::EmptyDomain);
  EXPECT_EQ(error_of(parse_request(Bytes{5, 1, 0, 3, 0, 0, 80})), core::Errc::EmptyDomain);
}

TEST(ParseRequest, ReadsBindAndUdpAssociateAsCommands) {
  auto bind = parse_request(request(2, ipv4(0, 0, 0, 0), 0));
  ASSERT_TRUE(std::holds_alternative<Complete<Request>>(bind));
  EXPECT_EQ(std::get<Complete<Request>>(bind).message.command, Command::Bind);

  auto associate = parse_request(request(3, ipv4(0, 0, 0, 0), 0));
  ASSERT_TRUE(std::holds_alternative<Complete<Request>>(associate));
  EXPECT_EQ(std::get<Complete<Request>>(associate).message.command, Command::UdpAssociate);
}

TEST(ParseRequest, ReadsThePortInNetworkByteOrder) {
  struct Case {
    std::uint8_t high;
    std::uint8_t low;
    std::uint16_t port;
  };
  for (const Case& c : {Case{0x00, 0x00, 0}, Case{0xFF, 0xFF, 65535}, Case{0x00, 0x50, 80},
                        Case{0x50, 0x00, 20480}, Case{0x12, 0x34, 0x1234}}) {
    const Bytes wire{5, 1, 0, 1, 1, 2, 3, 4, c.high, c.low};
    auto parsed = parse_request(wire);
    ASSERT_TRUE(std::holds_alternative<Complete<Request>>(parsed));
    EXPECT_EQ(std::get<Complete<Request>>(parsed).message.target.port, c.port);
  }
}

}  // namespace
}  // namespace rustsocks::socks5

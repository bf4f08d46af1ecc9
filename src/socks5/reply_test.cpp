// Specification of encode_reply and encode_failure (RFC 1928 §6): byte-exact replies for each
// address type and reply code.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "socks5/messages.hpp"

namespace rustsocks::socks5 {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(EncodeReply, WritesAnIpv4BoundAddress) {
  const Target bound{Ipv4{{10, 0, 0, 1}}, 1080};
  EXPECT_EQ(encode_reply(Reply::Succeeded, bound),
            (Bytes{0x05, 0x00, 0x00, 0x01, 10, 0, 0, 1, 0x04, 0x38}));
}

TEST(EncodeReply, WritesAnIpv6BoundAddress) {
  Ipv6 address;
  address.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  EXPECT_EQ(encode_reply(Reply::Succeeded, Target{address, 443}),
            (Bytes{0x05, 0x00, 0x00, 0x04, 0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,
                   0,    0,    0,    0,    0,    0,    0,    0,    0x01, 0x01, 0xBB}));
}

TEST(EncodeReply, WritesADomainBoundAddressWithItsLength) {
  EXPECT_EQ(
      encode_reply(Reply::Succeeded, Target{Domain{"proxy.lan"}, 80}),
      (Bytes{0x05, 0x00, 0x00, 0x03, 9, 'p', 'r', 'o', 'x', 'y', '.', 'l', 'a', 'n', 0x00, 0x50}));
}

TEST(EncodeReply, CapsADomainAt255Bytes) {
  const auto wire = encode_reply(Reply::Succeeded, Target{Domain{std::string(300, 'x')}, 80});
  ASSERT_EQ(wire.size(), 4U + 1 + 255 + 2);
  EXPECT_EQ(wire[4], 255);
  EXPECT_EQ(wire[4 + 255], 'x');
  EXPECT_EQ(wire[4 + 256], 0x00);
  EXPECT_EQ(wire[4 + 257], 0x50);
}

TEST(EncodeReply, WritesThePortInNetworkByteOrder) {
  EXPECT_EQ(encode_reply(Reply::Succeeded, Target{Ipv4{}, 0}),
            (Bytes{0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x00}));
  EXPECT_EQ(encode_reply(Reply::Succeeded, Target{Ipv4{}, 65535}),
            (Bytes{0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0xFF, 0xFF}));
  EXPECT_EQ(encode_reply(Reply::Succeeded, Target{Ipv4{}, 0x1234}),
            (Bytes{0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0x12, 0x34}));
}

TEST(EncodeReply, WritesEachReplyCodeInTheSecondByte) {
  for (int code = 0x00; code <= 0x08; ++code) {
    const auto reply = static_cast<Reply>(code);
    const auto wire = encode_reply(reply, Target{Ipv4{{1, 2, 3, 4}}, 80});
    ASSERT_EQ(wire.size(), 10U);
    EXPECT_EQ(wire[1], code);
  }
}

TEST(EncodeReply, IsReadBackByTheRequestParserBecauseTheLayoutsMatch) {
  for (const Target& bound : {Target{Ipv4{{192, 168, 1, 1}}, 1}, Target{Ipv6{}, 65535},
                              Target{Domain{"example.com"}, 8080}}) {
    // REP 0x01 sits where CMD CONNECT does.
    const auto wire = encode_reply(Reply::GeneralFailure, bound);
    auto parsed = parse_request(wire);
    const auto* done = std::get_if<Complete<Request>>(&parsed);
    ASSERT_NE(done, nullptr) << to_string(bound);
    EXPECT_EQ(done->consumed, wire.size());
    EXPECT_EQ(done->message.target, bound);
  }
}

TEST(EncodeFailure, WritesTheCodeWithAnUnspecifiedIpv4Address) {
  EXPECT_EQ(encode_failure(Reply::GeneralFailure),
            (Bytes{0x05, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode_failure(Reply::CommandNotSupported),
            (Bytes{0x05, 0x07, 0x00, 0x01, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode_failure(Reply::AddressTypeNotSupported),
            (Bytes{0x05, 0x08, 0x00, 0x01, 0, 0, 0, 0, 0, 0}));
}

}  // namespace
}  // namespace rustsocks::socks5

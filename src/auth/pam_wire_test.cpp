#include "auth/pam_wire.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rustsocks::auth {
namespace {

PamRequest username_request() {
  return PamRequest{.id = 0x01020304,
                    .service = "rustsocks",
                    .user = "alice",
                    .password = "secret",
                    .rhost = "192.0.2.7",
                    .ruser = "rhostusr",
                    .check_password = true};
}

PamRequest address_request() {
  return PamRequest{.id = 9,
                    .service = "rustsocks-client",
                    .user = "rhostusr",
                    .password = "",
                    .rhost = "2001:db8::1",
                    .ruser = "rhostusr",
                    .check_password = false};
}

PamRequest longest_request() {
  return PamRequest{.id = 0xFFFFFFFF,
                    .service = std::string(kMaxServiceLength, 's'),
                    .user = std::string(kMaxUserLength, 'u'),
                    .password = std::string(kMaxPasswordLength, 'p'),
                    .rhost = std::string(kMaxRhostLength, 'h'),
                    .ruser = std::string(kMaxRuserLength, 'r'),
                    .check_password = true};
}

PamReply denial() {
  return PamReply{
      .id = 77, .pam_code = 7, .stage = kStageAuth, .message = "Authentication failure"};
}

TEST(PamWire, RequestHasTheDocumentedLayout) {
  const std::vector<std::uint8_t> expected = {0x51, 0x01, 0x02, 0x03, 0x04, 0x01, 3,   1,  2,
                                              0,    0,    's',  'v',  'c',  'u',  'p', 'w'};
  PamRequest request{.id = 0x01020304,
                     .service = "svc",
                     .user = "u",
                     .password = "pw",
                     .rhost = "",
                     .ruser = "",
                     .check_password = true};
  EXPECT_EQ(encode(request), expected);
}

TEST(PamWire, ReplyHasTheDocumentedLayout) {
  const std::vector<std::uint8_t> expected = {0x52, 0, 0, 0, 5, 6, 1, 2, 'n', 'o'};
  EXPECT_EQ(encode(PamReply{.id = 5, .pam_code = 6, .stage = kStageAccount, .message = "no"}),
            expected);
}

TEST(PamWire, RequestsRoundTrip) {
  for (const auto& request : {username_request(), address_request(), longest_request()}) {
    auto frame = encode(request);
    ASSERT_FALSE(frame.empty());
    EXPECT_LE(frame.size(), kMaxRequestSize);
    EXPECT_EQ(decode_request(frame), request);
  }
  EXPECT_EQ(encode(longest_request()).size(), kMaxRequestSize);
}

TEST(PamWire, RepliesRoundTrip) {
  const PamReply longest{.id = 1,
                         .pam_code = 255,
                         .stage = kStageMonitor,
                         .message = std::string(kMaxMessageLength, 'm')};
  for (const auto& reply :
       {denial(), PamReply{.id = 3, .pam_code = 0, .stage = kStageAccount, .message = ""},
        longest}) {
    auto frame = encode(reply);
    EXPECT_LE(frame.size(), kMaxReplySize);
    EXPECT_EQ(decode_reply(frame), reply);
  }
}

TEST(PamWire, EveryTruncatedRequestIsRejected) {
  for (const auto& request : {username_request(), address_request(), longest_request()}) {
    auto frame = encode(request);
    for (std::size_t size = 0; size < frame.size(); ++size) {
      EXPECT_FALSE(decode_request(std::span(frame).first(size))) << "size " << size;
    }
  }
}

TEST(PamWire, EveryTruncatedReplyIsRejected) {
  auto frame = encode(denial());
  for (std::size_t size = 0; size < frame.size(); ++size) {
    EXPECT_FALSE(decode_reply(std::span(frame).first(size))) << "size " << size;
  }
}

TEST(PamWire, TrailingBytesAreRejected) {
  auto request = encode(username_request());
  request.push_back('x');
  EXPECT_FALSE(decode_request(request));
  auto reply = encode(denial());
  reply.push_back(0);
  EXPECT_FALSE(decode_reply(reply));
}

TEST(PamWire, OversizeFieldsCannotBeEncoded) {
  auto too_long = [](std::string PamRequest::*field, std::size_t size) {
    auto request = username_request();
    request.*field = std::string(size, 'x');
    return encode(request).empty();
  };
  EXPECT_TRUE(too_long(&PamRequest::service, kMaxServiceLength + 1));
  EXPECT_TRUE(too_long(&PamRequest::user, kMaxUserLength + 1));
  EXPECT_TRUE(too_long(&PamRequest::password, kMaxPasswordLength + 1));
  EXPECT_TRUE(too_long(&PamRequest::rhost, kMaxRhostLength + 1));
  EXPECT_TRUE(too_long(&PamRequest::ruser, kMaxRuserLength + 1));
  EXPECT_TRUE(too_long(&PamRequest::service, 0));
  EXPECT_TRUE(too_long(&PamRequest::user, 0));
}

TEST(PamWire, OversizeLengthBytesAreRejected) {
  auto frame = encode(username_request());
  auto service_too_long = frame;
  service_too_long[6] = kMaxServiceLength + 1;
  EXPECT_FALSE(decode_request(service_too_long));
  auto rhost_too_long = encode(longest_request());
  rhost_too_long[9] = kMaxRhostLength + 1;
  EXPECT_FALSE(decode_request(rhost_too_long));
  auto bigger_than_any_request = encode(longest_request());
  bigger_than_any_request.push_back('x');
  EXPECT_FALSE(decode_request(bigger_than_any_request));
}

TEST(PamWire, LengthsThatDisagreeWithTheFrameAreRejected) {
  auto frame = encode(username_request());
  frame[7] += 1;  // ULEN one longer: the fields no longer add up
  EXPECT_FALSE(decode_request(frame));
  frame[7] -= 2;  // one shorter: a byte would trail
  EXPECT_FALSE(decode_request(frame));
}

TEST(PamWire, NulBytesAreRejected) {
  auto request = username_request();
  request.user = std::string("ali\0ce", 6);
  EXPECT_TRUE(encode(request).empty());
  auto frame = encode(username_request());
  frame[kRequestHeaderSize + 9 + 1] = 0;  // inside USER ("rustsocks" is 9 bytes)
  EXPECT_FALSE(decode_request(frame));
}

TEST(PamWire, AddressRequestsCarryNoPassword) {
  auto request = address_request();
  request.password = "x";
  EXPECT_TRUE(encode(request).empty());
  auto frame = encode(username_request());
  frame[5] = 0;  // check_password off, but PLEN = 6
  EXPECT_FALSE(decode_request(frame));
}

TEST(PamWire, UnknownTagsAndFlagsAreRejected) {
  auto frame = encode(username_request());
  frame[5] = 0x03;
  EXPECT_FALSE(decode_request(frame));
  frame = encode(username_request());
  frame[0] = kReplyTag;
  EXPECT_FALSE(decode_request(frame));
  auto reply = encode(denial());
  reply[0] = kRequestTag;
  EXPECT_FALSE(decode_reply(reply));
  reply = encode(denial());
  reply[6] = kStageMonitor + 1;
  EXPECT_FALSE(decode_reply(reply));
}

TEST(PamWire, ReplyEncodingIsTotal) {
  auto long_message = decode_reply(
      encode(PamReply{.id = 1, .pam_code = 4, .stage = 0, .message = std::string(300, 'm')}));
  ASSERT_TRUE(long_message);
  EXPECT_EQ(long_message->message.size(), kMaxMessageLength);
  auto odd_code =
      decode_reply(encode(PamReply{.id = 1, .pam_code = -1, .stage = 9, .message = ""}));
  ASSERT_TRUE(odd_code);
  EXPECT_EQ(odd_code->pam_code, 255);
  EXPECT_EQ(odd_code->stage, kStageMonitor);
}

TEST(PamWire, PeeksTheIdOfAMalformedRequest) {
  auto frame = encode(username_request());
  frame.push_back('x');
  EXPECT_EQ(peek_request_id(frame), 0x01020304U);
  EXPECT_FALSE(peek_request_id(std::span(frame).first(4)));
  EXPECT_FALSE(peek_request_id(encode(denial())));
}

TEST(PamWire, WipeClearsSecrets) {
  std::string password = "a long password that lives on the heap";
  wipe(password);
  EXPECT_TRUE(password.empty());
  std::vector<std::uint8_t> frame = encode(username_request());
  auto* bytes = frame.data();
  auto size = frame.size();
  std::span<std::uint8_t> view(bytes, size);
  wipe(view);
  EXPECT_TRUE(std::all_of(view.begin(), view.end(), [](std::uint8_t b) { return b == 0; }));
  wipe(frame);
  EXPECT_TRUE(frame.empty());
}

}  // namespace
}  // namespace rustsocks::auth

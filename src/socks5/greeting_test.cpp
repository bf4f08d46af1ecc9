// Specification of parse_greeting (RFC 1928 §3), Greeting::offers and encode_method_selection:
// partial, joined and malformed greetings.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "socks5/messages.hpp"

namespace rustsocks::socks5 {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

bool is_incomplete(const Parse<Greeting>& parsed) {
  return std::holds_alternative<Incomplete>(parsed);
}

std::optional<core::Errc> error_of(const Parse<Greeting>& parsed) {
  if (const auto* error = std::get_if<core::Errc>(&parsed)) return *error;
  return std::nullopt;
}

TEST(ParseGreeting, ReadsTheOfferedMethodsInOrder) {
  const Bytes wire{5, 2, 0x02, 0x00};
  auto parsed = parse_greeting(wire);
  const auto* done = std::get_if<Complete<Greeting>>(&parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->message.methods, (std::vector<Method>{Method::UserPass, Method::NoAuth}));
  EXPECT_EQ(done->consumed, wire.size());
}

TEST(ParseGreeting, WaitsForEveryPrefixOfAGreeting) {
  const Bytes wire{5, 3, 0x00, 0x01, 0x02};
  for (std::size_t length = 0; length < wire.size(); ++length) {
    EXPECT_TRUE(is_incomplete(parse_greeting(std::span(wire).first(length))))
        << "prefix of " << length << " bytes";
  }
  EXPECT_TRUE(std::holds_alternative<Complete<Greeting>>(parse_greeting(wire)));
}

TEST(ParseGreeting, WaitsForAll255AdvertisedMethods) {
  Bytes wire{5, 255};
  std::vector<Method> offered;
  for (int code = 0; code < 255; ++code) {
    wire.push_back(static_cast<std::uint8_t>(code));
    offered.push_back(static_cast<Method>(code));
  }
  EXPECT_TRUE(is_incomplete(parse_greeting(std::span(wire).first(wire.size() - 1))));
  auto parsed = parse_greeting(wire);
  const auto* done = std::get_if<Complete<Greeting>>(&parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->consumed, kMaxGreetingSize);
  EXPECT_EQ(done->message.methods, offered);
}

TEST(ParseGreeting, LeavesAPipelinedRequestUnconsumed) {
  const Bytes greeting{5, 1, 0x00};
  const Bytes request{5, 1, 0, 1, 10, 0, 0, 1, 0x1F, 0x90};
  Bytes joined = greeting;
  joined.insert(joined.end(), request.begin(), request.end());

  auto parsed = parse_greeting(joined);
  const auto* done = std::get_if<Complete<Greeting>>(&parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->consumed, greeting.size());
  EXPECT_EQ(done->message.methods, std::vector<Method>{Method::NoAuth});

  auto rest = parse_request(std::span(joined).subspan(done->consumed));
  const auto* next = std::get_if<Complete<Request>>(&rest);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->consumed, request.size());
  EXPECT_EQ(next->message.target, (Target{Ipv4{{10, 0, 0, 1}}, 8080}));
}

TEST(ParseGreeting, LeavesBytesAfterAFullMethodListEvenIfTheyLookLikeMethods) {
  const Bytes wire{5, 1, 0x02, 0x00, 0x01};
  auto parsed = parse_greeting(wire);
  const auto* done = std::get_if<Complete<Greeting>>(&parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->consumed, 3U);
  EXPECT_EQ(done->message.methods, std::vector<Method>{Method::UserPass});
}

TEST(ParseGreeting, RejectsSocks4AsBadVersion) {
  // SOCKS4 CONNECT 127.0.0.1:80, user "", as sent by curl --socks4.
  const Bytes wire{4, 1, 0x00, 0x50, 127, 0, 0, 1, 0};
  EXPECT_EQ(error_of(parse_greeting(wire)), core::Errc::BadVersion);
}

TEST(ParseGreeting, RejectsAnHttpRequestAsBadVersion) {
  const Bytes wire = bytes_of("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
  EXPECT_EQ(error_of(parse_greeting(wire)), core::Errc::BadVersion);
}

TEST(ParseGreeting, RejectsAnyOtherVersionFromTheFirstByteAlone) {
  for (int first = 0; first < 256; ++first) {
    if (first == kVersion) continue;
    const Bytes wire{static_cast<std::uint8_t>(first)};
    EXPECT_EQ(error_of(parse_greeting(wire)), core::Errc::BadVersion) << "first byte " << first;
  }
}

TEST(ParseGreeting, RejectsAnEmptyMethodList) {
  EXPECT_EQ(error_of(parse_greeting(Bytes{5, 0})), core::Errc::NoMethods);
  EXPECT_EQ(error_of(parse_greeting(Bytes{5, 0, 0x00, 0x02})), core::Errc::NoMethods);
}

TEST(ParseGreeting, KeepsUnknownMethodCodesAsTheirRawValue) {
  const Bytes wire{5, 4, 0x03, 0x80, 0xFE, 0xFF};
  auto parsed = parse_greeting(wire);
  const auto* done = std::get_if<Complete<Greeting>>(&parsed);
  ASSERT_NE(done, nullptr);
  ASSERT_EQ(done->message.methods.size(), 4U);
  EXPECT_EQ(static_cast<int>(done->message.methods[0]), 0x03);
  EXPECT_EQ(static_cast<int>(done->message.methods[1]), 0x80);
  EXPECT_EQ(static_cast<int>(done->message.methods[2]), 0xFE);
  EXPECT_EQ(done->message.methods[3], Method::NoAcceptable);
}

TEST(ParseGreeting, KeepsDuplicateMethods) {
  auto parsed = parse_greeting(Bytes{5, 3, 0x00, 0x00, 0x02});
  const auto* done = std::get_if<Complete<Greeting>>(&parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->message.methods,
            (std::vector<Method>{Method::NoAuth, Method::NoAuth, Method::UserPass}));
}

TEST(GreetingOffers, FindsOnlyTheMethodsTheClientListed) {
  const Greeting greeting{{Method::UserPass, static_cast<Method>(0x80)}};
  EXPECT_TRUE(greeting.offers(Method::UserPass));
  EXPECT_TRUE(greeting.offers(static_cast<Method>(0x80)));
  EXPECT_FALSE(greeting.offers(Method::NoAuth));
  EXPECT_FALSE(greeting.offers(Method::Gssapi));
  EXPECT_FALSE(greeting.offers(Method::NoAcceptable));
}

TEST(GreetingOffers, OffersNothingWhenEmpty) {
  const Greeting greeting;
  EXPECT_FALSE(greeting.offers(Method::NoAuth));
}

TEST(EncodeMethodSelection, WritesTheVersionAndTheChosenMethod) {
  EXPECT_EQ(encode_method_selection(Method::NoAuth), (std::array<std::uint8_t, 2>{0x05, 0x00}));
  EXPECT_EQ(encode_method_selection(Method::UserPass), (std::array<std::uint8_t, 2>{0x05, 0x02}));
  EXPECT_EQ(encode_method_selection(Method::Gssapi), (std::array<std::uint8_t, 2>{0x05, 0x01}));
}

TEST(EncodeMethodSelection, WritesNoAcceptableMethodsAs0xFF) {
  EXPECT_EQ(encode_method_selection(Method::NoAcceptable),
            (std::array<std::uint8_t, 2>{0x05, 0xFF}));
}

}  // namespace
}  // namespace rustsocks::socks5

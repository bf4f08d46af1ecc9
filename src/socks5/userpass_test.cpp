// Specification of parse_userpass, encode_userpass_status and to_string(UserPassRequest)
// (RFC 1929 §2): partial, joined and malformed sub-negotiations; the password never printed.
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

// VER ULEN UNAME PLEN PASSWD, with the lengths taken from the strings.
Bytes wire_of(std::string_view user, std::string_view password, std::uint8_t version = 1) {
  Bytes out{version, static_cast<std::uint8_t>(user.size())};
  out.insert(out.end(), user.begin(), user.end());
  out.push_back(static_cast<std::uint8_t>(password.size()));
  out.insert(out.end(), password.begin(), password.end());
  return out;
}

const Complete<UserPassRequest>* complete_of(const Parse<UserPassRequest>& parsed) {
  return std::get_if<Complete<UserPassRequest>>(&parsed);
}

std::optional<core::Errc> error_of(const Parse<UserPassRequest>& parsed) {
  if (const auto* error = std::get_if<core::Errc>(&parsed)) return *error;
  return std::nullopt;
}

bool is_incomplete(const Parse<UserPassRequest>& parsed) {
  return std::holds_alternative<Incomplete>(parsed);
}

TEST(ParseUserPass, ReadsUsernameAndPassword) {
  const auto wire = wire_of("alice", "s3cret");
  auto parsed = parse_userpass(wire);
  const auto* done = complete_of(parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->message.username, "alice");
  EXPECT_EQ(done->message.password, "s3cret");
  EXPECT_EQ(done->consumed, wire.size());
}

TEST(ParseUserPass, WaitsForEveryPrefix) {
  const auto wire = wire_of("bob", "pw");
  for (std::size_t length = 0; length < wire.size(); ++length) {
    EXPECT_TRUE(is_incomplete(parse_userpass(std::span(wire).first(length))))
        << "prefix of " << length << " bytes";
  }
  EXPECT_NE(complete_of(parse_userpass(wire)), nullptr);
}

TEST(ParseUserPass, AcceptsTheLongest255ByteFields) {
  const std::string user(255, 'u');
  const std::string password(255, 'p');
  const auto wire = wire_of(user, password);
  ASSERT_EQ(wire.size(), kMaxUserPassSize);
  EXPECT_TRUE(is_incomplete(parse_userpass(std::span(wire).first(wire.size() - 1))));
  auto parsed = parse_userpass(wire);
  const auto* done = complete_of(parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->message.username, user);
  EXPECT_EQ(done->message.password, password);
}

TEST(ParseUserPass, LeavesTheBytesThatFollowForTheNextMessage) {
  auto wire = wire_of("alice", "pw");
  const auto length = wire.size();
  const Bytes request{5, 1, 0, 1, 127, 0, 0, 1, 0, 80};
  wire.insert(wire.end(), request.begin(), request.end());
  auto parsed = parse_userpass(wire);
  const auto* done = complete_of(parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->consumed, length);
  EXPECT_EQ(done->message.password, "pw");
}

TEST(ParseUserPass, KeepsBinaryBytesIncludingNul) {
  const std::string user{"a\0b", 3};
  const std::string password{"\xff\x00\x01", 3};
  auto parsed = parse_userpass(wire_of(user, password));
  const auto* done = complete_of(parsed);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->message.username, user);
  EXPECT_EQ(done->message.password, password);
}

TEST(ParseUserPass, RejectsAnotherVersionOnTheFirstByte) {
  EXPECT_EQ(error_of(parse_userpass(Bytes{5})), core::Errc::BadSubnegotiationVersion);
  EXPECT_EQ(error_of(parse_userpass(wire_of("a", "b", 0))), core::Errc::BadSubnegotiationVersion);
  EXPECT_EQ(error_of(parse_userpass(wire_of("a", "b", 2))), core::Errc::BadSubnegotiationVersion);
}

TEST(ParseUserPass, RejectsAnEmptyUsername) {
  EXPECT_EQ(error_of(parse_userpass(Bytes{1, 0})), core::Errc::EmptyCredential);
  EXPECT_EQ(error_of(parse_userpass(wire_of("", "pw"))), core::Errc::EmptyCredential);
}

TEST(ParseUserPass, RejectsAnEmptyPassword) {
  EXPECT_EQ(error_of(parse_userpass(Bytes{1, 1, 'a', 0})), core::Errc::EmptyCredential);
}

TEST(ParseUserPass, NeverReadsPastTheEndOfATruncatedField) {
  // ULEN says 200 but only 3 bytes follow: wait, do not read beyond the span.
  const Bytes wire{1, 200, 'a', 'b', 'c'};
  EXPECT_TRUE(is_incomplete(parse_userpass(wire)));
  const Bytes short_password{1, 1, 'a', 200, 'x'};
  EXPECT_TRUE(is_incomplete(parse_userpass(short_password)));
}

TEST(EncodeUserPassStatus, SaysSuccessOrFailure) {
  EXPECT_EQ(encode_userpass_status(true), (std::array<std::uint8_t, 2>{1, 0}));
  EXPECT_EQ(encode_userpass_status(false), (std::array<std::uint8_t, 2>{1, 1}));
}

TEST(UserPassToString, ShowsTheUsernameButNeverThePassword) {
  const UserPassRequest request{"alice", "hunter2-secret"};
  const auto text = to_string(request);
  EXPECT_EQ(text, "user=alice");
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
}

TEST(UserPassToString, EscapesControlBytesOfTheUsername) {
  const UserPassRequest request{std::string{"ev\nil\0", 6}, "pw"};
  EXPECT_EQ(to_string(request), "user=ev\\x0ail\\x00");
}

}  // namespace
}  // namespace rustsocks::socks5

// Properties every SOCKS5 parser must hold on any input, checked on seeded random bytes: it never
// claims more bytes than it was given, its verdict only moves from Incomplete to a final answer as
// bytes arrive, and a valid message split anywhere parses once the rest arrives.
#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "socks5/messages.hpp"

namespace rustsocks::socks5 {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr int kRandomInputs = 10'000;

std::uint8_t random_byte(std::mt19937& rng) {
  return static_cast<std::uint8_t>(std::uniform_int_distribution<int>(0, 255)(rng));
}

// Mostly garbage, but often with a valid header so the fuzz reaches the address and method parsers.
Bytes random_input(std::mt19937& rng) {
  Bytes out(std::uniform_int_distribution<std::size_t>(0, kMaxRequestSize + 16)(rng));
  for (auto& byte : out) {
    byte = random_byte(rng);
  }
  std::bernoulli_distribution often(0.5);
  if (!out.empty() && often(rng)) out[0] = kVersion;
  if (out.size() > 1 && often(rng)) out[1] = static_cast<std::uint8_t>(rng() % 4);
  if (out.size() > 2 && often(rng)) out[2] = 0;
  if (out.size() > 3 && often(rng)) out[3] = std::array<std::uint8_t, 3>{1, 3, 4}[rng() % 3];
  if (out.size() > 4 && often(rng)) out[4] = static_cast<std::uint8_t>(rng() % 16);
  return out;
}

// What a parse said, comparable across calls.
struct Verdict {
  enum class Kind { Waiting, Done, Failed } kind = Kind::Waiting;
  std::size_t consumed = 0;
  core::Errc error = core::Errc::Ok;
  bool operator==(const Verdict&) const = default;
};

template <class Message>
Verdict verdict_of(const Parse<Message>& parsed) {
  if (const auto* done = std::get_if<Complete<Message>>(&parsed)) {
    return {Verdict::Kind::Done, done->consumed, {}};
  }
  if (const auto* error = std::get_if<core::Errc>(&parsed)) {
    return {Verdict::Kind::Failed, 0, *error};
  }
  return {};
}

// Feeds `in` one more byte at a time, as a socket might, and checks the framing contract: a parser
// stays Incomplete only while a message could still fit, then settles on one verdict for good, and
// a Complete message never claims more bytes than it was given.
template <class Parser>
testing::AssertionResult framing_holds(Parser parse, std::span<const std::uint8_t> in,
                                       std::size_t max_size) {
  Verdict settled;
  for (std::size_t length = 0; length <= in.size(); ++length) {
    const Verdict now = verdict_of(parse(in.first(length)));
    if (now.kind == Verdict::Kind::Done &&
        (now.consumed == 0 || now.consumed > length || now.consumed > max_size)) {
      return testing::AssertionFailure() << "consumed " << now.consumed << " of " << length;
    }
    if (now.kind == Verdict::Kind::Waiting && length >= max_size) {
      return testing::AssertionFailure() << "still Incomplete at " << length << " bytes";
    }
    if (settled.kind == Verdict::Kind::Waiting) {
      settled = now;
    } else if (now != settled) {
      return testing::AssertionFailure() << "verdict changed at " << length << " bytes";
    }
  }
  return testing::AssertionSuccess();
}

TEST(ParseGreetingProperty, NeverOverReadsAndSettlesOnceOnRandomBytes) {
  std::mt19937 rng(20240501);
  for (int i = 0; i < kRandomInputs; ++i) {
    const Bytes in = random_input(rng);
    ASSERT_TRUE(framing_holds(parse_greeting, in, kMaxGreetingSize)) << "random input #" << i;
  }
}

TEST(ParseRequestProperty, NeverOverReadsAndSettlesOnceOnRandomBytes) {
  std::mt19937 rng(20240502);
  for (int i = 0; i < kRandomInputs; ++i) {
    const Bytes in = random_input(rng);
    ASSERT_TRUE(framing_holds(parse_request, in, kMaxRequestSize)) << "random input #" << i;
  }
}

Greeting random_greeting(std::mt19937& rng) {
  Greeting greeting;
  greeting.methods.resize(std::uniform_int_distribution<std::size_t>(1, 255)(rng));
  for (auto& method : greeting.methods) {
    method = static_cast<Method>(random_byte(rng));
  }
  return greeting;
}

Bytes wire_of(const Greeting& greeting) {
  Bytes out{kVersion, static_cast<std::uint8_t>(greeting.methods.size())};
  for (auto method : greeting.methods) {
    out.push_back(static_cast<std::uint8_t>(method));
  }
  return out;
}

Request random_request(std::mt19937& rng) {
  Request request;
  request.command = static_cast<Command>(1 + rng() % 3);
  request.target.port = static_cast<std::uint16_t>(rng());
  switch (rng() % 3) {
    case 0: {
      Ipv4 ip;
      for (auto& byte : ip.bytes) {
        byte = random_byte(rng);
      }
      request.target.address = ip;
      break;
    }
    case 1: {
      Ipv6 ip;
      for (auto& byte : ip.bytes) {
        byte = random_byte(rng);
      }
      request.target.address = ip;
      break;
    }
    default: {
      std::string name(std::uniform_int_distribution<std::size_t>(1, 255)(rng), '\0');
      for (auto& c : name) {
        c = static_cast<char>(random_byte(rng));
      }
      request.target.address = Domain{name};
    }
  }
  return request;
}

// Written here rather than with encode_reply so the parser is checked against an independent
// encoding of RFC 1928 §4.
Bytes wire_of(const Request& request) {
  Bytes out{kVersion, static_cast<std::uint8_t>(request.command), 0};
  if (const auto* v4 = std::get_if<Ipv4>(&request.target.address)) {
    out.push_back(1);
    out.insert(out.end(), v4->bytes.begin(), v4->bytes.end());
  } else if (const auto* v6 = std::get_if<Ipv6>(&request.target.address)) {
    out.push_back(4);
    out.insert(out.end(), v6->bytes.begin(), v6->bytes.end());
  } else {
    const auto& name = std::get<Domain>(request.target.address).name;
    out.push_back(3);
    out.push_back(static_cast<std::uint8_t>(name.size()));
    out.insert(out.end(), name.begin(), name.end());
  }
  out.push_back(static_cast<std::uint8_t>(request.target.port >> 8U));
  out.push_back(static_cast<std::uint8_t>(request.target.port & 0xFFU));
  return out;
}

// Splits `wire` at every position: the first part must be Incomplete, and once the rest and a
// pipelined byte arrive the parser must return exactly the message sent.
template <class Message, class Parser, class SameAsSent>
testing::AssertionResult parses_split_anywhere(Parser parse, const Bytes& wire,
                                               SameAsSent same_as_sent) {
  for (std::size_t split = 0; split < wire.size(); ++split) {
    const auto middle = wire.begin() + static_cast<std::ptrdiff_t>(split);
    Bytes buffer(wire.begin(), middle);
    if (!std::holds_alternative<Incomplete>(parse(buffer))) {
      return testing::AssertionFailure() << "not Incomplete after " << split << " bytes";
    }
    buffer.insert(buffer.end(), middle, wire.end());
    buffer.push_back(kVersion);  // the next message, pipelined
    auto parsed = parse(buffer);
    const auto* done = std::get_if<Complete<Message>>(&parsed);
    if (done == nullptr || done->consumed != wire.size() || !same_as_sent(done->message)) {
      return testing::AssertionFailure() << "wrong message when split at " << split;
    }
  }
  return testing::AssertionSuccess();
}

constexpr int kValidMessages = 300;

TEST(ParseGreetingProperty, ParsesAValidGreetingSplitAtAnyPosition) {
  std::mt19937 rng(20240503);
  for (int i = 0; i < kValidMessages; ++i) {
    const Greeting sent = random_greeting(rng);
    auto same = [&](const Greeting& got) { return got.methods == sent.methods; };
    ASSERT_TRUE(parses_split_anywhere<Greeting>(parse_greeting, wire_of(sent), same))
        << sent.methods.size() << " methods";
  }
}

TEST(ParseRequestProperty, ParsesAValidRequestSplitAtAnyPosition) {
  std::mt19937 rng(20240504);
  for (int i = 0; i < kValidMessages; ++i) {
    const Request sent = random_request(rng);
    auto same = [&](const Request& got) {
      return got.command == sent.command && got.target == sent.target;
    };
    ASSERT_TRUE(parses_split_anywhere<Request>(parse_request, wire_of(sent), same))
        << to_string(sent.target);
  }
}

}  // namespace
}  // namespace rustsocks::socks5

// libFuzzer target for parse_request (RFC 1928 §4). Beyond "no crash, no over-read" it checks the
// framing contract: a Complete request consumed no more than it was given, re-encodes (the reply
// layout is the request layout) to exactly the consumed bytes, and prints without control bytes.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>

#include "socks5/messages.hpp"

namespace {

using rustsocks::socks5::Complete;
using rustsocks::socks5::Incomplete;
using rustsocks::socks5::Request;

void require(bool holds) {
  if (!holds) std::abort();
}

void check_complete(std::span<const std::uint8_t> in, const Complete<Request>& done) {
  namespace socks5 = rustsocks::socks5;
  require(done.consumed <= in.size());
  require(done.consumed <= socks5::kMaxRequestSize);
  // REP takes CMD's place, so a reply with the command's value must reproduce the request.
  const auto reply = static_cast<socks5::Reply>(done.message.command);
  const auto encoded = socks5::encode_reply(reply, done.message.target);
  require(encoded.size() == done.consumed);
  require(std::equal(encoded.begin(), encoded.end(), in.begin()));
  require(std::holds_alternative<Incomplete>(socks5::parse_request(in.first(done.consumed - 1))));
  for (char c : socks5::to_string(done.message.target)) {
    require(c > 0x20 && c < 0x7F);
  }
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer links against.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  auto parsed = rustsocks::socks5::parse_request(in);
  if (const auto* done = std::get_if<Complete<Request>>(&parsed)) {
    check_complete(in, *done);
  } else if (std::holds_alternative<Incomplete>(parsed)) {
    require(size < rustsocks::socks5::kMaxRequestSize);
  }
  return 0;
}

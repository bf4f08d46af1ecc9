// libFuzzer target for parse_greeting (RFC 1928 §3). Beyond "no crash, no over-read" it checks the
// framing contract: a Complete greeting consumed exactly VER NMETHODS METHODS, re-encodes to the
// same bytes, and an Incomplete one is shorter than the largest greeting.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>
#include <vector>

#include "socks5/messages.hpp"

namespace {

using rustsocks::socks5::Complete;
using rustsocks::socks5::Greeting;
using rustsocks::socks5::Incomplete;

void require(bool holds) {
  if (!holds) std::abort();
}

void check_complete(std::span<const std::uint8_t> in, const Complete<Greeting>& done) {
  namespace socks5 = rustsocks::socks5;
  require(done.consumed <= in.size());
  require(!done.message.methods.empty());
  require(done.consumed == 2 + done.message.methods.size());
  std::vector<std::uint8_t> encoded{socks5::kVersion,
                                    static_cast<std::uint8_t>(done.message.methods.size())};
  for (auto method : done.message.methods) {
    encoded.push_back(static_cast<std::uint8_t>(method));
    require(socks5::encode_method_selection(method)[1] == static_cast<std::uint8_t>(method));
  }
  require(std::equal(encoded.begin(), encoded.end(), in.begin()));
  require(done.message.offers(done.message.methods.front()));
  require(done.message.offers(done.message.methods.back()));
  // One byte fewer must still be waiting, never an error or another message.
  require(std::holds_alternative<Incomplete>(socks5::parse_greeting(in.first(done.consumed - 1))));
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer links against.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  auto parsed = rustsocks::socks5::parse_greeting(in);
  if (const auto* done = std::get_if<Complete<Greeting>>(&parsed)) {
    check_complete(in, *done);
  } else if (std::holds_alternative<Incomplete>(parsed)) {
    require(size < rustsocks::socks5::kMaxGreetingSize);
  }
  return 0;
}

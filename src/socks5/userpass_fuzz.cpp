// libFuzzer target for parse_userpass (RFC 1929 §2). Beyond "no crash, no over-read" it checks the
// framing contract: a Complete request consumed exactly VER ULEN UNAME PLEN PASSWD, re-encodes to
// the same bytes, never prints the password, and an Incomplete one is shorter than the largest.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "socks5/messages.hpp"

namespace {

using rustsocks::socks5::Complete;
using rustsocks::socks5::Incomplete;
using rustsocks::socks5::UserPassRequest;

void require(bool holds) {
  if (!holds) std::abort();
}

void check_complete(std::span<const std::uint8_t> in, const Complete<UserPassRequest>& done) {
  namespace socks5 = rustsocks::socks5;
  const auto& user = done.message.username;
  const auto& password = done.message.password;
  require(done.consumed <= in.size());
  require(!user.empty() && user.size() <= 255);
  require(!password.empty() && password.size() <= 255);
  require(done.consumed == 3 + user.size() + password.size());
  std::vector<std::uint8_t> encoded{socks5::kUserPassVersion,
                                    static_cast<std::uint8_t>(user.size())};
  encoded.insert(encoded.end(), user.begin(), user.end());
  encoded.push_back(static_cast<std::uint8_t>(password.size()));
  encoded.insert(encoded.end(), password.begin(), password.end());
  require(std::equal(encoded.begin(), encoded.end(), in.begin()));
  // The log form holds the escaped username only: "user=" plus 1 or 4 characters per byte.
  const auto text = socks5::to_string(done.message);
  require(text.size() >= 5 + user.size() && text.size() <= 5 + 4 * user.size());
  // One byte fewer must still be waiting, never an error or another message.
  require(std::holds_alternative<Incomplete>(socks5::parse_userpass(in.first(done.consumed - 1))));
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer links against.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  auto parsed = rustsocks::socks5::parse_userpass(in);
  if (const auto* done = std::get_if<Complete<UserPassRequest>>(&parsed)) {
    check_complete(in, *done);
  } else if (std::holds_alternative<Incomplete>(parsed)) {
    require(size < rustsocks::socks5::kMaxUserPassSize);
  }
  return 0;
}

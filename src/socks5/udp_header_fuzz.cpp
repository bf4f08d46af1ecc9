// libFuzzer target for parse_udp_header (RFC 1928 §7). Beyond "no crash, no over-read" it checks
// that a Complete header consumed no more than it was given, re-encodes to exactly the consumed
// bytes (when FRAG is 0: the encoder always writes FRAG 0), and that any shorter prefix is
// Incomplete.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>

#include "socks5/udp_header.hpp"

namespace {

using rustsocks::socks5::Complete;
using rustsocks::socks5::Incomplete;
using rustsocks::socks5::UdpHeader;

void require(bool holds) {
  if (!holds) std::abort();
}

void check_complete(std::span<const std::uint8_t> in, const Complete<UdpHeader>& done) {
  namespace socks5 = rustsocks::socks5;
  require(done.consumed <= in.size());
  require(done.consumed <= socks5::kMaxUdpHeaderSize);
  require(done.consumed == socks5::udp_header_size(done.message.target));
  require(
      std::holds_alternative<Incomplete>(socks5::parse_udp_header(in.first(done.consumed - 1))));
  if (done.message.frag != 0) return;
  std::array<std::uint8_t, socks5::kMaxUdpHeaderSize> out{};
  const auto written = socks5::encode_udp_header(done.message.target, out);
  require(written == done.consumed);
  require(std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(written), in.begin()));
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer links against.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  auto parsed = rustsocks::socks5::parse_udp_header(in);
  if (const auto* done = std::get_if<Complete<UdpHeader>>(&parsed)) {
    check_complete(in, *done);
  } else if (std::holds_alternative<Incomplete>(parsed)) {
    require(size < rustsocks::socks5::kMaxUdpHeaderSize);
  }
  return 0;
}

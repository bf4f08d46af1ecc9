#include <string>
#include <string_view>

#include "socks5/messages.hpp"

namespace rustsocks::socks5 {
namespace {

// Reads one LEN + bytes field of RFC 1929; nullopt means "needs more bytes".
std::optional<std::variant<std::string, core::Errc>> read_field(ByteReader& r) {
  auto length = r.u8();
  if (!length) return std::nullopt;
  if (*length == 0) return core::Errc::EmptyCredential;
  auto raw = r.bytes(*length);
  if (!raw) return std::nullopt;
  return std::string(raw->begin(), raw->end());
}

}  // namespace

Parse<UserPassRequest> parse_userpass(std::span<const std::uint8_t> in) {
  ByteReader r{in};
  auto version = r.u8();
  if (!version) return Incomplete{};
  if (*version != kUserPassVersion) return core::Errc::BadSubnegotiationVersion;
  auto username = read_field(r);
  if (!username) return Incomplete{};
  if (auto* error = std::get_if<core::Errc>(&*username)) return *error;
  auto password = read_field(r);
  if (!password) return Incomplete{};
  if (auto* error = std::get_if<core::Errc>(&*password)) return *error;
  UserPassRequest request{std::get<std::string>(std::move(*username)),
                          std::get<std::string>(std::move(*password))};
  return Complete<UserPassRequest>{std::move(request), r.consumed()};
}

std::array<std::uint8_t, 2> encode_userpass_status(bool ok) {
  return {kUserPassVersion, static_cast<std::uint8_t>(ok ? 0x00 : 0x01)};
}

std::string to_string(const UserPassRequest& request) {
  // Usernames are client bytes: escape anything that is not printable ASCII before it hits a log.
  std::string out = "user=";
  for (char c : request.username) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x21 && byte < 0x7F && c != '\\') {
      out.push_back(c);
    } else {
      constexpr std::string_view kHex = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[byte >> 4U]);
      out.push_back(kHex[byte & 0xFU]);
    }
  }
  return out;
}

}  // namespace rustsocks::socks5

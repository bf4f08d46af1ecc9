// SOCKS5 (RFC 1928) wire vocabulary: greetings, requests, replies, and their pure parsers/encoders.
// No I/O here; session/ feeds buffered bytes in and writes the encoded bytes out.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "socks5/parse.hpp"

namespace rustsocks::socks5 {

inline constexpr std::uint8_t kVersion = 5;

enum class Method : std::uint8_t {
  NoAuth = 0x00,
  Gssapi = 0x01,
  UserPass = 0x02,
  NoAcceptable = 0xFF,
};

enum class Command : std::uint8_t { Connect = 1, Bind = 2, UdpAssociate = 3 };

enum class Reply : std::uint8_t {
  Succeeded = 0x00,
  GeneralFailure = 0x01,
  NotAllowed = 0x02,
  NetworkUnreachable = 0x03,
  HostUnreachable = 0x04,
  ConnectionRefused = 0x05,
  TtlExpired = 0x06,
  CommandNotSupported = 0x07,
  AddressTypeNotSupported = 0x08,
};

struct Ipv4 {
  std::array<std::uint8_t, 4> bytes{};
  bool operator==(const Ipv4&) const = default;
};
struct Ipv6 {
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const Ipv6&) const = default;
};
struct Domain {
  std::string name;
  bool operator==(const Domain&) const = default;
};
using Address = std::variant<Ipv4, Ipv6, Domain>;

struct Target {
  Address address;
  std::uint16_t port = 0;
  bool operator==(const Target&) const = default;
};

// Printable form for logs: 1.2.3.4:80, [::1]:80, example.com:80 (domain bytes escaped).
std::string to_string(const Target& target);

// RFC 1928 §3:  +----+----------+----------+
//               |VER | NMETHODS | METHODS  |   1, 1, 1..255
//               +----+----------+----------+
struct Greeting {
  std::vector<Method> methods;  // as offered, unknown codes kept as their raw value
  bool offers(Method m) const;
};
Parse<Greeting> parse_greeting(std::span<const std::uint8_t> in);
inline constexpr std::size_t kMaxGreetingSize = 2 + 255;

// RFC 1928 §4:  +----+-----+-------+------+----------+----------+
//               |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
//               +----+-----+-------+------+----------+----------+
// Errors distinguish a bad command (reply 0x07) from a bad address type (0x08) so the caller
// can answer before closing. An unknown CMD is still parsed through so the reply can be sent.
struct Request {
  Command command = Command::Connect;
  Target target;
};
Parse<Request> parse_request(std::span<const std::uint8_t> in);
inline constexpr std::size_t kMaxRequestSize = 4 + 1 + 255 + 2;

// Encoders. method_selection: VER METHOD. reply: VER REP RSV ATYP BND.ADDR BND.PORT.
std::array<std::uint8_t, 2> encode_method_selection(Method method);
std::vector<std::uint8_t> encode_reply(Reply reply, const Target& bound);
// A reply for failures before an address exists: ATYP IPv4 0.0.0.0:0 as RFC 1928 allows.
std::vector<std::uint8_t> encode_failure(Reply reply);

}  // namespace rustsocks::socks5

// ---------------------------------------------------------------------------------------------
// RFC 1929 username/password sub-negotiation (method 0x02), read right after the method
// selection. Pure parser and encoder like the rest of this file; checking the credentials is
// auth/'s job.
namespace rustsocks::socks5 {

inline constexpr std::uint8_t kUserPassVersion = 1;

// RFC 1929 §2:  +----+------+----------+------+----------+
//               |VER | ULEN |  UNAME   | PLEN |  PASSWD  |
//               +----+------+----------+------+----------+
//               | 1  |  1   | 1 to 255 |  1   | 1 to 255 |
// Errors: VER != 1 -> BadSubnegotiationVersion (checked on the first byte); ULEN or PLEN of 0
// -> EmptyCredential. Names and passwords are raw bytes (no UTF-8 requirement), may hold NUL.
struct UserPassRequest {
  std::string username;
  std::string password;  // never printed: to_string() leaves it out
};
Parse<UserPassRequest> parse_userpass(std::span<const std::uint8_t> in);
inline constexpr std::size_t kMaxUserPassSize = 3 + 255 + 255;

// RFC 1929 §2 status reply: VER STATUS, 01 00 on success, 01 01 on failure (the server then
// closes the connection).
std::array<std::uint8_t, 2> encode_userpass_status(bool ok);

// Printable form for logs: `user=<escaped username>`. The password is never included, not even
// its length.
std::string to_string(const UserPassRequest& request);

}  // namespace rustsocks::socks5

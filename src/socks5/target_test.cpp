// Specification of to_string(Target): the printable form used in logs, with client-supplied domain
// bytes escaped.
#include <string>

#include <gtest/gtest.h>

#include "socks5/messages.hpp"

namespace rustsocks::socks5 {
namespace {

TEST(TargetToString, PrintsAnIpv4AddressAndPort) {
  EXPECT_EQ(to_string(Target{Ipv4{{1, 2, 3, 4}}, 80}), "1.2.3.4:80");
  EXPECT_EQ(to_string(Target{Ipv4{{255, 255, 255, 255}}, 65535}), "255.255.255.255:65535");
  EXPECT_EQ(to_string(Target{Ipv4{}, 0}), "0.0.0.0:0");
}

TEST(TargetToString, PrintsAnIpv6AddressInBrackets) {
  Ipv6 loopback;
  loopback.bytes[15] = 1;
  EXPECT_EQ(to_string(Target{loopback, 80}), "[::1]:80");
  Ipv6 documentation;
  documentation.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  EXPECT_EQ(to_string(Target{documentation, 443}), "[2001:db8::1]:443");
  EXPECT_EQ(to_string(Target{Ipv6{}, 0}), "[::]:0");
}

TEST(TargetToString, PrintsAnIpv4MappedIpv6AddressInBrackets) {
  Ipv6 mapped;
  mapped.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4};
  EXPECT_EQ(to_string(Target{mapped, 80}), "[::ffff:1.2.3.4]:80");
}

TEST(TargetToString, PrintsAPlainDomainVerbatim) {
  EXPECT_EQ(to_string(Target{Domain{"example.com"}, 443}), "example.com:443");
  EXPECT_EQ(to_string(Target{Domain{"xn--bcher-kva.example"}, 80}), "xn--bcher-kva.example:80");
}

TEST(TargetToString, EscapesControlBytesInADomain) {
  // A CR LF in a domain must not forge a second log line.
  EXPECT_EQ(to_string(Target{Domain{"evil\r\nINFO forged"}, 80}),
            "evil\\x0d\\x0aINFO\\x20forged:80");
  EXPECT_EQ(to_string(Target{Domain{std::string("a\0b", 3)}, 1}), "a\\x00b:1");
  EXPECT_EQ(to_string(Target{Domain{"\x1b[31m"}, 1}), "\\x1b[31m:1");
}

TEST(TargetToString, EscapesDeleteHighBytesAndTheBackslashItself) {
  EXPECT_EQ(to_string(Target{Domain{"\x7F"}, 1}), "\\x7f:1");
  EXPECT_EQ(to_string(Target{Domain{"\xC3\xA9"}, 1}), "\\xc3\\xa9:1");
  // Escaping the backslash keeps "\x41" in a domain distinguishable from an escaped byte.
  EXPECT_EQ(to_string(Target{Domain{"\\x41"}, 1}), "\\x5cx41:1");
}

}  // namespace
}  // namespace rustsocks::socks5

// Every spelling of an address reaches the rules as one normalised value.
#include "acl/address.hpp"

#include <gtest/gtest.h>

namespace rustsocks::acl {
namespace {

std::string ip_text(std::string_view text) {
  auto ip = parse_ip(text);
  return ip ? to_string(*ip) : "none";
}

TEST(ParseIp, AcceptsEveryInetAtonSpellingOfIpv4) {
  EXPECT_EQ(ip_text("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(ip_text("127.1"), "127.0.0.1");
  EXPECT_EQ(ip_text("127.0.1"), "127.0.0.1");
  EXPECT_EQ(ip_text("0x7f.1"), "127.0.0.1");
  EXPECT_EQ(ip_text("0X7F.0.0.1"), "127.0.0.1");
  EXPECT_EQ(ip_text("0177.0.0.1"), "127.0.0.1");
  EXPECT_EQ(ip_text("2130706433"), "127.0.0.1");
  EXPECT_EQ(ip_text("0x7f000001"), "127.0.0.1");
  EXPECT_EQ(ip_text("017700000001"), "127.0.0.1");
  EXPECT_EQ(ip_text("0"), "0.0.0.0");
  EXPECT_EQ(ip_text("169.254.43518"), "169.254.169.254");
}

TEST(ParseIp, RejectsWhatInetAtonRejects) {
  for (const char* bad : {"", "256.0.0.1", "1.2.3.4.5", "1..2", "1.2.3.", "08", "0x", "0x.1",
                          "1.0x100.1", "4294967296", "1.2.65536", "a.b.c.d", "example.com",
                          "127.0.0.1 x", "1.2.3.4/8", "[1.2.3.4]", ":::"}) {
    EXPECT_EQ(ip_text(bad), "none") << bad;
  }
}

TEST(ParseIp, ReducesMappedAndCompatibleIpv6ToIpv4) {
  EXPECT_EQ(ip_text("::ffff:127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(ip_text("::FFFF:7f00:1"), "127.0.0.1");
  EXPECT_EQ(ip_text("[::ffff:10.1.2.3]"), "10.1.2.3");
  EXPECT_EQ(ip_text("::127.0.0.1"), "127.0.0.1");
  EXPECT_FALSE(parse_ip("::ffff:127.0.0.1")->v6);
}

TEST(ParseIp, KeepsIpv6OwnAddresses) {
  EXPECT_EQ(ip_text("::1"), "::1");
  EXPECT_EQ(ip_text("::"), "::");
  EXPECT_EQ(ip_text("[fe80::1]"), "fe80::1");
  EXPECT_EQ(ip_text("2001:DB8::1"), "2001:db8::1");
  EXPECT_TRUE(parse_ip("::1")->v6);
}

TEST(ParseCidr, ClearsHostBitsAndReducesMappedNetworks) {
  EXPECT_EQ(to_string(*parse_cidr("10.1.2.3/8")), "10.0.0.0/8");
  EXPECT_EQ(to_string(*parse_cidr("fe80::1/10")), "fe80::/10");
  EXPECT_EQ(to_string(*parse_cidr("::ffff:10.0.0.0/104")), "10.0.0.0/8");
  EXPECT_EQ(to_string(*parse_cidr("1.2.3.4")), "1.2.3.4/32");
  EXPECT_EQ(to_string(*parse_cidr("127.1")), "127.0.0.1/32");
  EXPECT_EQ(to_string(*parse_cidr("0.0.0.0/0")), "0.0.0.0/0");
  for (const char* bad : {"10/8", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "x/8"}) {
    EXPECT_FALSE(parse_cidr(bad)) << bad;
  }
}

TEST(Cidr, ContainsOnlyItsOwnFamilyAndPrefix) {
  const auto net = *parse_cidr("10.0.0.0/8");
  EXPECT_TRUE(net.contains(*parse_ip("10.255.0.1")));
  EXPECT_FALSE(net.contains(*parse_ip("11.0.0.0")));
  EXPECT_TRUE(net.contains(*parse_ip("::ffff:10.0.0.1")));
  EXPECT_FALSE(parse_cidr("::/0")->contains(*parse_ip("10.0.0.1")));
  EXPECT_TRUE(parse_cidr("172.16.0.0/12")->contains(*parse_ip("172.31.255.255")));
  EXPECT_FALSE(parse_cidr("172.16.0.0/12")->contains(*parse_ip("172.32.0.0")));
  EXPECT_TRUE(net.covers(*parse_cidr("10.1.0.0/16")));
  EXPECT_FALSE(net.covers(*parse_cidr("0.0.0.0/0")));
}

TEST(NormalizeTarget, LowerCasesNamesAndDropsTheTrailingDot) {
  EXPECT_EQ(normalize_target("Example.COM.").name, "example.com");
  EXPECT_FALSE(normalize_target("Example.COM.").ip);
  EXPECT_EQ(normalize_target("example.com").name, "example.com");
}

TEST(NormalizeTarget, TurnsNumericNamesIntoAddresses) {
  for (const char* text :
       {"127.1", "127.0.0.1.", "0x7f.1", "2130706433", "::ffff:127.0.0.1", "[::ffff:127.0.0.1]"}) {
    const auto target = normalize_target(text);
    ASSERT_TRUE(target.ip) << text;
    EXPECT_EQ(to_string(*target.ip), "127.0.0.1") << text;
    EXPECT_TRUE(target.name.empty());
  }
}

}  // namespace
}  // namespace rustsocks::acl

// The session's ACL gate: which checks count a decision, what the log line says, and the
// re-check that terminate_on_reload uses. No sockets: addresses and endpoints only.
#include "session/acl_gate.hpp"

#include <gtest/gtest.h>

#include "acl/acl_metrics.hpp"

namespace rustsocks::session {
namespace {

std::shared_ptr<const acl::RuleSet> compile(std::string_view text) {
  auto loaded = acl::load_acl(text, "acl.toml");
  EXPECT_TRUE(loaded.file) << ::testing::PrintToString(loaded.errors);
  return std::make_shared<const acl::RuleSet>(std::move(*loaded.file), acl::Guard{});
}

constexpr std::string_view kRules = R"([[users]]
username = "alice"
[[users.rules]]
action = "allow"
description = "web"
destinations = ["example.com", "198.51.100.0/24"]
ports = ["443"]
[[users.rules]]
action = "block"
description = "no test net"
destinations = ["203.0.113.0/24"]
ports = ["*"]
priority = 200
[[clients]]
action = "allow"
sources = ["192.0.2.0/24"]
)";

socks5::Target domain(const char* name, std::uint16_t port) {
  return socks5::Target{socks5::Domain{name}, port};
}

tcp::endpoint endpoint(const char* address, std::uint16_t port) {
  return {asio::ip::make_address(address), port};
}

struct Counts {
  std::uint64_t allowed = acl::acl_metrics().allowed.value();
  std::uint64_t blocked = acl::acl_metrics().blocked.value();
  std::uint64_t new_allowed() const { return acl::acl_metrics().allowed.value() - allowed; }
  std::uint64_t new_blocked() const { return acl::acl_metrics().blocked.value() - blocked; }
};

TEST(AclGate, PassesEverythingWithoutAStore) {
  Counts before;
  AclGate gate(nullptr, asio::ip::make_address("203.0.113.1"));
  EXPECT_TRUE(gate.admits_client());
  EXPECT_TRUE(gate.check_request(domain("x.org", 1), acl::Command::Connect));
  EXPECT_TRUE(gate.check_address(endpoint("127.0.0.1", 1)));
  gate.connected(endpoint("127.0.0.1", 1));
  EXPECT_EQ(before.new_allowed() + before.new_blocked(), 0U);
}

TEST(AclGate, ClientCheckpointBlocksUnlistedClientsAndSaysWhy) {
  acl::AclStore store("unused", {});
  store.replace(compile(kRules));
  Counts before;
  AclGate stranger(&store, asio::ip::make_address("203.0.113.1"));
  EXPECT_FALSE(stranger.admits_client());
  EXPECT_EQ(stranger.blocked_reason(), "client blocked by ACL: no client rule matches");
  AclGate known(&store, asio::ip::make_address("::ffff:192.0.2.7"));
  EXPECT_TRUE(known.admits_client());
  EXPECT_EQ(before.new_blocked(), 1U);
}

TEST(AclGate, ANameIsDecidedOnEachCandidateAndCountedOnce) {
  acl::AclStore store("unused", {});
  store.replace(compile(kRules));
  Counts before;
  AclGate gate(&store, asio::ip::make_address("192.0.2.1"));
  gate.identify("alice", {});
  EXPECT_TRUE(gate.check_request(domain("Example.COM.", 443), acl::Command::Connect));
  EXPECT_FALSE(gate.check_address(endpoint("203.0.113.5", 443)));
  EXPECT_EQ(gate.blocked_reason(), "blocked by ACL: rule \"no test net\" (priority 200, line 8)");
  EXPECT_FALSE(gate.check_address(endpoint("127.0.0.1", 443)));  // the guard
  EXPECT_TRUE(gate.check_address(endpoint("93.184.216.34", 443)));
  EXPECT_EQ(before.new_blocked(), 0U);  // candidates are not decisions
  gate.connected(endpoint("93.184.216.34", 443));
  EXPECT_TRUE(gate.blocked_reason().empty());
  EXPECT_EQ(before.new_allowed(), 1U);
}

TEST(AclGate, ARefusedRequestIsCountedOnce) {
  acl::AclStore store("unused", {});
  store.replace(compile(kRules));
  Counts before;
  AclGate gate(&store, asio::ip::make_address("192.0.2.1"));
  gate.identify("bob", {});
  EXPECT_FALSE(gate.check_request(domain("example.com", 443), acl::Command::Connect));
  EXPECT_EQ(gate.blocked_reason(), "blocked by ACL: default policy (block)");
  EXPECT_EQ(before.new_blocked(), 1U);
  AclGate udp(&store, asio::ip::make_address("192.0.2.1"));
  udp.identify("alice", {});
  EXPECT_TRUE(udp.check_request(domain("example.com", 443), acl::Command::Udp));
  EXPECT_TRUE(udp.check_address(asio::ip::make_address("198.51.100.1"), 443, acl::Command::Udp));
  EXPECT_FALSE(udp.check_address(asio::ip::make_address("203.0.113.1"), 53, acl::Command::Udp));
  EXPECT_EQ(before.new_blocked(), 1U);  // a datagram check is not a decision by itself
  udp.refused();
  EXPECT_EQ(before.new_blocked(), 2U);
}

TEST(AclGate, StillAllowedReChecksTheConnectedAddressAgainstNewRules) {
  acl::AclStore store("unused", {});
  store.replace(compile(kRules));
  AclGate gate(&store, asio::ip::make_address("192.0.2.1"));
  gate.identify("alice", {});
  ASSERT_TRUE(gate.check_request(domain("example.com", 443), acl::Command::Connect));
  gate.connected(endpoint("198.51.100.9", 443));
  EXPECT_TRUE(gate.still_allowed(*store.current()));
  const auto stricter = compile(
      "[[users]]\nusername = \"alice\"\n[[users.rules]]\naction = \"block\"\n"
      "description = \"closed\"\ndestinations = [\"198.51.100.0/24\"]\nports = [\"*\"]\n");
  EXPECT_FALSE(gate.still_allowed(*stricter));
  EXPECT_EQ(gate.blocked_reason(),
            "terminated by ACL update: rule \"closed\" (priority 100, line 3)");
}

}  // namespace
}  // namespace rustsocks::session

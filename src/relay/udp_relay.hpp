// The data phase of a UDP ASSOCIATE (RFC 1928 §7): one relay socket carries both the client's
// datagrams (with the SOCKS UDP header) and the targets' datagrams (bare), told apart by source
// address AND port, so a client and a target on the same host work. Datagrams are read and sent
// in batches (recvmmsg/sendmmsg) through per-worker buffers; domain targets resolve off the loop
// through connect::Resolver with a short per-association cache. Ends when the TCP control
// connection closes (EOF or error) or after the idle timeout. docs/udp-and-bind.md has the rules.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

#include "connect/resolver.hpp"
#include "core/asio.hpp"
#include "socks5/messages.hpp"

namespace rustsocks::relay {

using udp = asio::ip::udp;

// The access-control hook (the session plugs the ACL in here, session/acl_gate.hpp): may
// `command` exchange data with address:port? Called for every UDP datagram's destination after
// DNS (Command::UdpAssociate; `name` is the domain the datagram named, empty for an address;
// false drops the datagram, counted as "blocked") and for BIND's incoming peer (Command::Bind;
// false closes that peer). Addresses are plain IPv4 (never IPv4-mapped IPv6). Runs on the
// session's worker thread, so it must be cheap and must not block.
using DestinationCheck = std::function<bool(const asio::ip::address& address, std::uint16_t port,
                                            socks5::Command, std::string_view name)>;

// Why a datagram was not relayed. Bounded: these are the metric's label values.
enum class Drop : std::uint8_t {
  Foreign,    // from neither the client nor a target the client sent to
  Malformed,  // client datagram with a truncated or invalid SOCKS UDP header
  Fragment,   // FRAG != 0 (no reassembly)
  TooLarge,   // DATA longer than udp_max_datagram_bytes
  Rate,       // over udp_rate_limit_pps
  Blocked,    // refused by the DestinationCheck
  Dns,        // the target's name did not resolve (or too many datagrams waited for DNS)
  Send,       // the kernel refused the send (buffer full, unreachable)
};
inline constexpr std::size_t kDropReasons = 8;
std::string_view drop_name(Drop reason);

struct UdpTraffic {
  std::uint64_t datagrams_up = 0;  // client -> targets
  std::uint64_t datagrams_down = 0;
  std::uint64_t bytes_up = 0;  // DATA bytes, headers not counted
  std::uint64_t bytes_down = 0;
  std::array<std::uint64_t, kDropReasons> dropped{};
  bool idle_timeout = false;
  error_code error;  // a relay socket failure, if that ended the association
  std::uint64_t dropped_total() const;
};

struct UdpOptions {
  std::size_t max_datagram = 65'507;  // DATA bytes, each way
  std::uint32_t rate = 0;             // datagrams/s, both ways together; 0 = no limit
  std::chrono::seconds idle{120};     // 0 = no idle timeout
  std::chrono::milliseconds dns_timeout{5'000};
  const DestinationCheck* check = nullptr;  // null = allow all
};

// Who the client is: its IP (the control connection's peer) and UDP port. Port 0 means "not
// known yet": the first valid datagram from that IP fixes it (RFC 1928 lets the client send
// 0.0.0.0:0 when it does not know its own address).
class ClientMatch {
 public:
  ClientMatch(asio::ip::address address, std::uint16_t port)
      : address_(std::move(address)), port_(port) {}
  bool accepts(const udp::endpoint& from) const {
    return from.address() == address_ && (port_ == 0 || from.port() == port_);
  }
  void learn(std::uint16_t port) {
    if (port_ == 0) port_ = port;
  }
  bool known() const { return port_ != 0; }
  udp::endpoint endpoint() const { return {address_, port_}; }

 private:
  asio::ip::address address_;
  std::uint16_t port_;
};

// Relays until `control` closes or the idle timeout; `socket` is open and bound (its family is
// the client's). Both sockets stay open; the caller closes them.
awaitable<UdpTraffic> relay_udp(tcp::socket& control, udp::socket& socket, ClientMatch client,
                                connect::Resolver& resolver, UdpOptions options);

// "1.2.3.4" for an IPv4-mapped IPv6 address, the address itself otherwise.
asio::ip::address unmapped(const asio::ip::address& address);

}  // namespace rustsocks::relay

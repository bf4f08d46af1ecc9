// Private to relay/: one UDP association's state and its datagram handling, split from
// udp_relay.cpp (the coroutines) to keep both files short. See udp_relay.hpp for the rules.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/socket.h>

#include "relay/datagram_rate.hpp"
#include "relay/udp_relay.hpp"
#include "socks5/udp_header.hpp"

namespace rustsocks::relay::detail {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kBatch = 32;                             // datagrams per recvmmsg/sendmmsg
constexpr std::size_t kHeadroom = socks5::kUdpHeaderSizeIpv6;  // room to prepend a reply header
constexpr std::size_t kSlot = kHeadroom + 65'536;              // any datagram fits whole
constexpr int kBatchesPerWake = 4;  // then go back to the reactor so other sessions get a turn
constexpr std::size_t kMaxTargets = 1024;  // destinations whose replies are let through
constexpr std::size_t kMaxNames = 64;      // DNS cache entries per association
constexpr auto kNameTtl = std::chrono::seconds(30);
constexpr auto kFailedNameTtl = std::chrono::seconds(5);
constexpr std::size_t kMaxPending = 32;  // datagrams waiting for DNS

// One batch's buffers, one instance per worker thread. A pump uses them only between a wake-up
// and its next co_await, so every association of the worker shares them (no per-association or
// per-datagram allocation).
struct Batch {
  std::array<mmsghdr, kBatch> in{};
  std::array<iovec, kBatch> in_iov{};
  std::array<sockaddr_storage, kBatch> from{};
  std::array<mmsghdr, kBatch> out{};
  std::array<iovec, kBatch> out_iov{};
  std::array<sockaddr_storage, kBatch> to{};
  std::array<bool, kBatch> out_up{};  // direction and DATA length, to undo the counters when a
  std::array<std::size_t, kBatch> out_payload{};  // send fails
  std::size_t out_count = 0;
  std::vector<std::uint8_t> bytes = std::vector<std::uint8_t>(kBatch * kSlot);
};

// This thread's batch buffers, allocated on first use.
Batch& batch();

class Association {
 public:
  Association(udp::socket& socket, ClientMatch client, connect::Resolver& resolver,
              UdpOptions options)
      : socket_(socket),
        other_(socket.get_executor()),
        other_opened_(socket.get_executor()),
        client_(std::move(client)),
        resolver_(resolver),
        options_(std::move(options)),
        rate_(options.rate) {
    error_code ignored;
    main_v6_ = socket.local_endpoint(ignored).address().is_v6();
    socket_.non_blocking(true, ignored);
    other_opened_.expires_at(Clock::time_point::max());
  }

  // Coroutines (udp_relay.cpp).
  awaitable<void> pump_main();
  awaitable<void> pump_other();
  awaitable<void> watch_idle();
  void publish();  // adds what moved since the last call to the metrics
  void close_other() {
    error_code ignored;
    other_.close(ignored);
  }

  const UdpTraffic& traffic() const { return traffic_; }

 private:
  struct Pending {
    std::string name;
    std::uint16_t port = 0;
    std::vector<std::uint8_t> payload;
  };
  struct Name {
    std::string name;
    std::optional<asio::ip::address> address;
    Clock::time_point expires;
  };

  static int receive(udp::socket& socket, Batch& b);
  void handle(Batch& b, int count, bool main);
  void from_client(std::uint8_t* data, std::size_t size, const udp::endpoint& from,
                   Clock::time_point now, Batch& b);
  void from_target(std::uint8_t* data, std::size_t size, const udp::endpoint& from,
                   Clock::time_point now, Batch& b);
  // name: the domain the client's datagram named (empty for an address), for the check.
  void send_up(const udp::endpoint& to, const std::uint8_t* data, std::size_t size, Batch* b,
               std::string_view name = {});
  void queue(Batch& b, const udp::endpoint& to, const std::uint8_t* data, std::size_t size,
             std::size_t payload, bool up);
  void flush(Batch& b);
  bool open_other(bool v6);
  awaitable<void> resolve_pending();
  const Name* find_name(const std::string& name, Clock::time_point now) const;
  void store_name(const std::string& name, const connect::Resolved& resolved);
  bool is_target(const udp::endpoint& from) const;
  void remember(const udp::endpoint& to);
  void drop(Drop reason) { ++traffic_.dropped[static_cast<std::size_t>(reason)]; }

  UdpTraffic traffic_;
  udp::socket& socket_;
  udp::socket other_;  // the other address family, opened on the first target that needs it
  asio::steady_timer other_opened_;  // cancelled when other_ opens, waking pump_other
  ClientMatch client_;
  connect::Resolver& resolver_;
  UdpOptions options_;
  DatagramRate rate_;
  bool main_v6_ = false;
  std::vector<udp::endpoint> targets_;
  std::vector<Name> names_;
  std::vector<Pending> pending_;
  UdpTraffic published_;
};

}  // namespace rustsocks::relay::detail

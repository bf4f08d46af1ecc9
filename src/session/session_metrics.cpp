#include "session/session_metrics.hpp"

#include <array>
#include <atomic>

namespace rustsocks::session {
namespace {

constexpr auto kCommands =
    std::to_array<std::string_view>({"connect", "bind", "udp_associate", "none", "other"});
constexpr auto kReplies = std::to_array<std::string_view>(
    {"succeeded", "general_failure", "not_allowed", "network_unreachable", "host_unreachable",
     "connection_refused", "ttl_expired", "command_not_supported", "address_type_not_supported",
     "auth_failed", "no_acceptable_method", "none", "other"});

template <std::size_t N>
std::size_t index_of(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i + 1 < N; ++i) {
    if (names[i] == name) return i;
  }
  return N - 1;  // "other"
}

metrics::Counter& session_counter(std::size_t command, std::size_t reply) {
  using Slots =
      std::array<std::array<std::atomic<metrics::Counter*>, kReplies.size()>, kCommands.size()>;
  static Slots slots{};
  auto& slot = slots[command][reply];
  auto* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {  // registration is idempotent: racing threads get the same counter
    counter = &metrics::registry().counter(
        "rustsocks_sessions_total", "Sessions by SOCKS command and reply, counted when they end",
        {{"command", std::string(kCommands[command])}, {"reply", std::string(kReplies[reply])}});
    slot.store(counter, std::memory_order_release);
  }
  return *counter;
}

}  // namespace

const char* command_name(socks5::Command command) {
  switch (command) {
    case socks5::Command::Connect:
      return "connect";
    case socks5::Command::Bind:
      return "bind";
    case socks5::Command::UdpAssociate:
      return "udp_associate";
  }
  return "other";
}

metrics::Counter& SessionMetrics::sessions(std::string_view command, std::string_view reply) {
  return session_counter(index_of(kCommands, command), index_of(kReplies, reply));
}

SessionMetrics& session_metrics() {
  auto& r = metrics::registry();
  static SessionMetrics metrics{
      .handshake = r.histogram("rustsocks_handshake_duration_seconds",
                               "Time from accept to a complete SOCKS handshake (authentication "
                               "included)",
                               metrics::duration_buckets()),
      .upstream_connect = r.histogram("rustsocks_upstream_connect_duration_seconds",
                                      "Time to resolve and connect to a target (successful dials)",
                                      metrics::duration_buckets()),
      .dns_failures = r.counter("rustsocks_dns_failures_total",
                                "Target names that could not be resolved (failure or timeout)"),
      .bytes_up = r.counter("rustsocks_bytes_total",
                            "Bytes relayed, counted when a session ends (up: client to target)",
                            {{"direction", "up"}}),
      .bytes_down = r.counter("rustsocks_bytes_total",
                              "Bytes relayed, counted when a session ends (up: client to target)",
                              {{"direction", "down"}}),
      .client_refused =
          r.counter("rustsocks_connections_rejected_total",
                    "Connections closed without service, by reason", {{"reason", "client_auth"}}),
  };
  return metrics;
}

}  // namespace rustsocks::session

namespace rustsocks::session {

void register_session_metrics() {
  (void)session_metrics().sessions("connect", "succeeded");
}

}  // namespace rustsocks::session

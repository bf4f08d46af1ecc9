// UDP ASSOCIATE (RFC 1928 §7): one UDP relay socket per association, of the client's family and
// bound to relay_address(), so the reply carries a real address and port (never 0.0.0.0). The
// client is the control connection's peer IP; its UDP port is DST.PORT when the request named
// both an address and a port, else it is learnt from the first valid datagram. The datagrams
// themselves are relay::relay_udp's. docs/udp-and-bind.md.
#include "core/errc.hpp"
#include "metrics/registry.hpp"
#include "session/commands.hpp"
#include "session/reply_for.hpp"

namespace rustsocks::session {
namespace {

struct AssociationMetrics {
  metrics::Counter& started = metrics::registry().counter(
      "rustsocks_udp_associations_total", "UDP ASSOCIATE requests that got a relay socket");
  metrics::Gauge& active =
      metrics::registry().gauge("rustsocks_udp_associations", "UDP associations open now");
};

AssociationMetrics& association_metrics() {
  static AssociationMetrics instance;
  return instance;
}

// DST.PORT when the request named the client's address and port, else 0 (learn it).
std::uint16_t client_port_hint(const socks5::Target& target) {
  if (target.port == 0) return 0;
  if (const auto* v4 = std::get_if<socks5::Ipv4>(&target.address)) {
    return *v4 == socks5::Ipv4{} ? 0 : target.port;
  }
  if (const auto* v6 = std::get_if<socks5::Ipv6>(&target.address)) {
    return *v6 == socks5::Ipv6{} ? 0 : target.port;
  }
  return 0;  // a name says nothing about the client's own address
}

}  // namespace

awaitable<void> run_udp_associate(tcp::socket& client, const socks5::Request& request,
                                  Services& services, AclGate& gate, SessionRecord& record) {
  const auto& server = services.config.server;
  relay::udp::socket socket(client.get_executor());
  const relay::udp::endpoint where{relay_address(client, server), 0};
  error_code ec;
  socket.open(where.protocol(), ec);
  if (!ec) socket.bind(where, ec);
  const auto bound = socket.local_endpoint(ec);
  if (ec) {
    co_return co_await refuse(client, socks5::Reply::GeneralFailure, ec, record);
  }
  auto& metrics = association_metrics();
  metrics.started.inc();
  metrics.active.add(1);
  struct Active {  // leaves the gauge on every path, also when the frame is destroyed
    metrics::Gauge& gauge;
    ~Active() { gauge.add(-1); }
  } active{metrics.active};
  const tcp::endpoint reported{bound.address(), bound.port()};
  if (auto sent = co_await send_reply(client, socks5::Reply::Succeeded, to_target(reported))) {
    record.reason = sent.message();
    co_return;
  }
  record.reply = reply_name(socks5::Reply::Succeeded);
  const relay::ClientMatch match{relay::unmapped(client.remote_endpoint(ec).address()),
                                 client_port_hint(request.target)};
  // Each datagram's destination: the embedder's hook, then the ACL (the current snapshot, so a
  // reload applies to the next datagram).
  const relay::DestinationCheck check = [&services, &gate](
                                            const asio::ip::address& address, std::uint16_t port,
                                            socks5::Command command, std::string_view name) {
    if (services.destination_check != nullptr &&
        !(*services.destination_check)(address, port, command, name)) {
      return false;
    }
    return gate.check_address(address, port, acl::Command::Udp, name);
  };
  const bool checked = services.destination_check != nullptr || gate.enabled();
  const relay::UdpOptions options{.max_datagram = server.udp_max_datagram,
                                  .rate = server.udp_rate_limit,
                                  .idle = server.udp_idle_timeout,
                                  .dns_timeout = server.dns_timeout,
                                  .check = checked ? &check : nullptr};
  auto traffic = co_await relay::relay_udp(client, socket, match, services.resolver, options);
  record.up = traffic.bytes_up;
  record.down = traffic.bytes_down;
  record.datagrams_up = traffic.datagrams_up;
  record.datagrams_down = traffic.datagrams_down;
  record.datagrams_dropped = traffic.dropped_total();
  if (traffic.idle_timeout) {
    record.reason = "udp idle timeout";
  } else if (traffic.error) {
    record.reason = traffic.error.message();
  }
}

}  // namespace rustsocks::session

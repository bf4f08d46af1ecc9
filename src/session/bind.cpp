// BIND (RFC 1928 §4): the client asks the proxy to accept one connection for it (active FTP and
// the like). Listen on an ephemeral port of relay_address(), send the first reply with it, accept
// one peer, send the second reply with the peer's address, then relay as CONNECT does.
// A peer from an address other than DST.ADDR (when the request named one), or one the
// ACL (or the DestinationCheck) refuses, is closed and logged, and the wait goes on until the
// deadline: a stray connection (a port scan) must not end the client's session.
// docs/udp-and-bind.md.
#include <algorithm>
#include <optional>
#include <vector>

#include "core/errc.hpp"
#include "core/log.hpp"
#include "metrics/registry.hpp"
#include "session/commands.hpp"
#include "session/reply_for.hpp"

namespace rustsocks::session {
namespace {

using namespace asio::experimental::awaitable_operators;

metrics::Counter& refused_peers() {
  return metrics::registry().counter(
      "rustsocks_bind_refused_peers_total",
      "BIND: incoming connections closed because they came from another address than the "
      "request named, or the access check refused them");
}

bool is_unspecified(const socks5::Address& address) {
  if (const auto* v4 = std::get_if<socks5::Ipv4>(&address)) return *v4 == socks5::Ipv4{};
  if (const auto* v6 = std::get_if<socks5::Ipv6>(&address)) return *v6 == socks5::Ipv6{};
  return false;
}

struct Expected {
  error_code error;                          // the name in DST.ADDR did not resolve
  std::vector<asio::ip::address> addresses;  // empty = any peer
};

// The peer addresses DST.ADDR allows: none named (0.0.0.0 or ::) allows any; a name allows each
// address it resolves to.
awaitable<Expected> expected_peers(const socks5::Target& target, Services& services) {
  Expected out;
  if (is_unspecified(target.address)) co_return out;
  if (const auto* v4 = std::get_if<socks5::Ipv4>(&target.address)) {
    out.addresses.emplace_back(asio::ip::address_v4(v4->bytes));
    co_return out;
  }
  if (const auto* v6 = std::get_if<socks5::Ipv6>(&target.address)) {
    out.addresses.emplace_back(relay::unmapped(asio::ip::address_v6(v6->bytes)));
    co_return out;
  }
  std::string name = std::get<socks5::Domain>(target.address).name;
  error_code not_literal;
  auto literal = asio::ip::make_address(name, not_literal);
  if (!not_literal) {
    out.addresses.push_back(relay::unmapped(literal));
    co_return out;
  }
  auto resolved =
      co_await services.resolver.resolve(name, target.port, services.config.server.dns_timeout);
  out.error = resolved.error;
  for (const auto& endpoint : resolved.endpoints) {
    out.addresses.push_back(relay::unmapped(endpoint.address()));
  }
  co_return out;
}

// Completes when the client closes its control connection (EOF or error). Bytes the client sends
// early stay queued for the relay, and the wait goes on until it is cancelled.
awaitable<void> client_gone(tcp::socket& client) {
  auto [ec] = co_await client.async_wait(tcp::socket::wait_read, kNoThrow);
  if (ec) co_return;
  std::array<std::uint8_t, 1> peek{};
  error_code read_error;
  auto n = client.receive(asio::buffer(peek), tcp::socket::message_peek, read_error);
  if (read_error || n == 0) co_return;
  asio::steady_timer forever(client.get_executor(), std::chrono::steady_clock::time_point::max());
  co_await forever.async_wait(kNoThrow);
}

struct Incoming {
  error_code error;  // timed_out, or operation_aborted when the client went away
  tcp::socket socket;
};

bool peer_allowed(const tcp::endpoint& peer, const Expected& expected, const Services& services,
                  AclGate& gate, std::string_view name) {
  const auto address = relay::unmapped(peer.address());
  if (!expected.addresses.empty() && std::find(expected.addresses.begin(), expected.addresses.end(),
                                               address) == expected.addresses.end()) {
    return false;
  }
  if (services.destination_check != nullptr &&
      !(*services.destination_check)(address, peer.port(), socks5::Command::Bind, name)) {
    return false;
  }
  return gate.check_address(address, peer.port(), acl::Command::Bind, name);
}

awaitable<Incoming> accept_peer(tcp::socket& client, tcp::acceptor& acceptor,
                                const Expected& expected, Services& services, AclGate& gate,
                                std::string_view name, const SessionRecord& record) {
  asio::steady_timer deadline(co_await asio::this_coro::executor,
                              services.config.server.bind_accept_timeout);
  for (;;) {
    auto first = co_await (acceptor.async_accept(kNoThrow) || client_gone(client) ||
                           deadline.async_wait(kNoThrow));
    if (first.index() == 1) {
      co_return Incoming{asio::error::operation_aborted, tcp::socket(client.get_executor())};
    }
    if (first.index() == 2) {
      co_return Incoming{asio::error::timed_out, tcp::socket(client.get_executor())};
    }
    auto [ec, peer] = std::get<0>(std::move(first));
    if (ec) co_return Incoming{ec, tcp::socket(client.get_executor())};
    error_code ignored;
    const auto from = peer.remote_endpoint(ignored);
    if (peer_allowed(from, expected, services, gate, name)) {
      co_return Incoming{{}, std::move(peer)};
    }
    refused_peers().inc();
    core::log_event(
        spdlog::level::warn, "bind_peer_refused",
        {core::text_field("client", record.client), core::text_field("peer", endpoint_text(from)),
         core::text_field("expected", record.target)});
    peer.close(ignored);
  }
}

}  // namespace

awaitable<std::optional<tcp::socket>> run_bind(tcp::socket& client, InputBuffer& buffer,
                                               const socks5::Request& request, Services& services,
                                               AclGate& gate, SessionRecord& record) {
  auto expected = co_await expected_peers(request.target, services);
  if (expected.error) {
    co_await refuse(client, reply_for(expected.error), expected.error, record);
    co_return std::nullopt;
  }
  tcp::acceptor acceptor(client.get_executor());
  const tcp::endpoint where{relay_address(client, services.config.server), 0};
  error_code ec;
  acceptor.open(where.protocol(), ec);
  if (!ec) acceptor.bind(where, ec);
  if (!ec) acceptor.listen(1, ec);
  const auto bound = acceptor.local_endpoint(ec);
  if (ec) {
    co_await refuse(client, socks5::Reply::GeneralFailure, ec, record);
    co_return std::nullopt;
  }
  if (auto sent = co_await send_reply(client, socks5::Reply::Succeeded, to_target(bound))) {
    record.reason = sent.message();
    co_return std::nullopt;
  }
  const auto* domain = std::get_if<socks5::Domain>(&request.target.address);
  const std::string_view name = domain != nullptr ? std::string_view(domain->name) : "";
  auto incoming = co_await accept_peer(client, acceptor, expected, services, gate, name, record);
  acceptor.close(ec);  // exactly one connection
  if (incoming.error == asio::error::operation_aborted) {
    record.reason = "client closed while waiting for the BIND peer";
    co_return std::nullopt;
  }
  if (incoming.error) {
    co_await refuse(client, reply_for(incoming.error), incoming.error, record);
    co_return std::nullopt;
  }
  auto& peer = incoming.socket;
  gate.connected(peer.remote_endpoint(ec), acl::Command::Bind, name);
  peer.set_option(tcp::no_delay(true), ec);
  if (auto sent = co_await send_reply(client, socks5::Reply::Succeeded,
                                      to_target(peer.remote_endpoint(ec)))) {
    record.reason = sent.message();
    co_return std::nullopt;
  }
  record.reply = reply_name(socks5::Reply::Succeeded);
  if (auto sent = co_await forward_pipelined(buffer, peer, record)) {
    record.reason = sent.message();
    co_return std::nullopt;
  }
  co_return std::move(peer);
}

}  // namespace rustsocks::session

// Private to session/: what runs after a successful handshake, one function per SOCKS command,
// and the helpers they share. session.cpp dispatches on the request's command.
#pragma once

#include <optional>

#include "core/asio.hpp"
#include "session/acl_gate.hpp"
#include "session/handshake.hpp"
#include "session/session.hpp"

namespace rustsocks::session {

// CONNECT (session.cpp): dial -> success reply -> pipelined bytes; returns the connected
// upstream for session.cpp's relay, or nullopt once it has answered a failure (recorded).
awaitable<std::optional<tcp::socket>> run_connect(tcp::socket& client, InputBuffer& buffer,
                                                  const socks5::Request& request,
                                                  Services& services, AclGate& gate,
                                                  SessionRecord& record);

// BIND (bind.cpp, RFC 1928 §4): listen -> first reply -> one accepted peer (from DST.ADDR when
// it is not 0.0.0.0 or ::) -> second reply -> pipelined bytes; returns the peer for
// session.cpp's relay, or nullopt once it has answered a failure or the client left (recorded).
// Each incoming peer also passes the ACL (gate) and Services::destination_check.
awaitable<std::optional<tcp::socket>> run_bind(tcp::socket& client, InputBuffer& buffer,
                                               const socks5::Request& request, Services& services,
                                               AclGate& gate, SessionRecord& record);

// UDP ASSOCIATE (udp_associate.cpp, RFC 1928 §7): relay socket -> reply -> relay_udp until the
// control connection closes or the association idles out.
// Every datagram's destination passes the ACL (gate) and Services::destination_check.
awaitable<void> run_udp_associate(tcp::socket& client, const socks5::Request& request,
                                  Services& services, AclGate& gate, SessionRecord& record);

// Sends the bytes the client pipelined behind its request before the relay starts.
awaitable<error_code> forward_pipelined(InputBuffer& buffer, tcp::socket& upstream,
                                        SessionRecord& record);

// Relays client <-> upstream as CONNECT does (splice, idle watch) and records the traffic.
// Replies 0x02 (not allowed by ruleset) with the gate's reason.
awaitable<void> refuse_by_acl(tcp::socket& client, const AclGate& gate, SessionRecord& record);

// The address BIND listeners and UDP relay sockets bind to and report: [server]
// external_address when it is set and of the client's family, else the address the client
// reached us on (IPv4-mapped IPv6 shown as IPv4).
asio::ip::address relay_address(const tcp::socket& client, const config::Server& server);

// Sends a failure reply and records it.
awaitable<void> refuse(tcp::socket& client, socks5::Reply reply, const error_code& why,
                       SessionRecord& record);

}  // namespace rustsocks::session

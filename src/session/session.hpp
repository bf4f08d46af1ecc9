// One client connection from accept to close: handshake -> the command's steps (CONNECT: dial ->
// reply -> relay; BIND: bind.cpp; UDP ASSOCIATE: udp_associate.cpp) -> record. This is the only
// place that knows the order of the steps.
#pragma once

#include <cstdint>
#include <string>

#include "acl/acl_store.hpp"
#include "config/config.hpp"
#include "connect/resolver.hpp"
#include "core/asio.hpp"
#include "relay/idle_watch.hpp"
#include "relay/pipe_pool.hpp"
#include "relay/udp_relay.hpp"
#include "session/authenticator.hpp"
#include "session/live_sessions.hpp"

namespace rustsocks::session {

// Worker-owned services; they outlive the worker's io_context::run(), so sessions hold references.
struct Services {
  const config::Config& config;
  connect::Resolver& resolver;
  relay::PipePool& pipes;
  LiveSessions& live;
  Authenticator& auth;
  relay::IdleWatch& idle;
  // An extra check of UDP datagram destinations and BIND peers (relay/udp_relay.hpp), on top of
  // the ACL; a seam for tests and embedders. Null = none.
  const relay::DestinationCheck* destination_check = nullptr;
  acl::AclStore* acl = nullptr;  // null when [acl] is disabled
};

// What one session did; logged once when it ends.
struct SessionRecord {
  std::string client;
  std::string user = "-";
  std::string target = "-";
  std::string reply = "none";
  std::string reason = "closed";
  std::string command = "none";  // command_name(): connect, bind, udp_associate once read
  std::uint64_t up = 0;
  std::uint64_t down = 0;
  // UDP ASSOCIATE only: datagrams each way and datagrams dropped (up/down hold DATA bytes).
  std::uint64_t datagrams_up = 0;
  std::uint64_t datagrams_down = 0;
  std::uint64_t datagrams_dropped = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

// Owns the socket (coroutine lifetime rule: never take it by reference into co_spawn). `peer` is
// the client's address as accept() returned it (no getpeername per session). The socket inherits
// TCP_NODELAY from the listener (bind_listener sets it there once).
awaitable<void> serve(tcp::socket client, tcp::endpoint peer, Services services);

}  // namespace rustsocks::session

// A session's view of the ACL: the client checkpoint right after accept, the request checkpoint
// after authentication, and the check of every address about to be dialled. Each decision takes
// the current snapshot (one snapshot per decision) and remembers what blocked, for the session's
// log line. rustsocks_acl_decisions_total{action} counts one decision per session: a refusal
// (admits_client, check_request, refused) or a connection (connected). With no store (ACL
// disabled) everything passes and nothing is counted.
//
// BIND and UDP ASSOCIATE use the same gate, on what really exchanges data rather than on the
// request's DST (for BIND usually 0.0.0.0:0, "any peer"; for UDP the client's own address hint;
// the guard would block both). BIND: check_address(peer.address(), peer.port(), Command::Bind,
// DST's name) for each incoming peer, then connected(peer, Command::Bind, name). UDP ASSOCIATE:
// check_address(destination, port, Command::Udp, name) for every datagram (name: the domain the
// datagram named, its resolved address as `destination`).
// check_address() does not count, so the caller calls refused() or connected() once for what it
// does with the answer (nothing per datagram).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "acl/acl_store.hpp"
#include "core/asio.hpp"
#include "socks5/messages.hpp"

namespace rustsocks::session {

acl::Ip to_acl_ip(const asio::ip::address& address);
acl::Command to_acl_command(socks5::Command command);

class AclGate {
 public:
  AclGate(acl::AclStore* store, const asio::ip::address& client);

  bool enabled() const { return store_ != nullptr; }
  // Client checkpoint: before any SOCKS byte or PAM call.
  bool admits_client();
  // Who is asking, once authenticated: the user (or anonymous_user) and its NSS groups.
  void identify(std::string user, std::vector<std::string> groups) {
    if (!state_) return;
    state_->user = std::move(user);
    state_->groups = std::move(groups);
  }
  // Request checkpoint. A name may be undecided until its addresses are known (true then:
  // check_address() decides each one).
  bool check_request(const socks5::Target& target, acl::Command command);
  // One address about to be used: a dial candidate (with the requested name), a UDP datagram's
  // destination, BIND's incoming peer. Uses the name and command of the last check_request().
  bool check_address(const tcp::endpoint& endpoint);
  bool check_address(const asio::ip::address& address, std::uint16_t port, acl::Command command,
                     std::string_view name = {});
  // After a successful dial: the connection is allowed (counted once) and remembered for
  // terminate_on_reload.
  void connected(const tcp::endpoint& upstream);
  // The same for BIND's accepted peer (no check_request ran): remembers the command and the
  // name the request expected the peer under, for terminate_on_reload.
  void connected(const tcp::endpoint& peer, acl::Command command, std::string_view name);
  // The request is refused because check_address() blocked every address (counted once).
  void refused();
  // terminate_on_reload: whether the connected session is still allowed by `rules`; sets
  // blocked_reason() when not.
  bool still_allowed(const acl::RuleSet& rules);

  // "blocked by ACL: rule \"...\" (priority 100, line 12)"; empty when nothing blocked.
  const std::string& blocked_reason() const;

 private:
  bool decide(const acl::RuleSet& rules, const acl::Query& query, bool count_block);
  acl::Query query() const;

  // Only with the ACL enabled: the gate lives in every session's coroutine frame for the whole
  // tunnel, so with the ACL off it is two pointers (docs/performance.md: memory per idle tunnel).
  struct State {
    acl::Ip client;
    std::string user;
    std::vector<std::string> groups;
    acl::Target target;
    std::uint16_t port = 0;
    acl::Command command = acl::Command::Connect;
    std::string blocked;
  };
  acl::AclStore* store_;
  std::unique_ptr<State> state_;
};

}  // namespace rustsocks::session

#include "session/acl_gate.hpp"

#include "acl/acl_metrics.hpp"

namespace rustsocks::session {

acl::Ip to_acl_ip(const asio::ip::address& address) {
  if (address.is_v4()) return acl::ipv4(address.to_v4().to_uint());
  return acl::ipv6(address.to_v6().to_bytes());
}

acl::Command to_acl_command(socks5::Command command) {
  switch (command) {
    case socks5::Command::Bind:
      return acl::Command::Bind;
    case socks5::Command::UdpAssociate:
      return acl::Command::Udp;
    case socks5::Command::Connect:
      break;
  }
  return acl::Command::Connect;
}

AclGate::AclGate(acl::AclStore* store, const asio::ip::address& client)
    : store_(store), state_(store != nullptr ? std::make_unique<State>() : nullptr) {
  if (state_) state_->client = to_acl_ip(client);
}

const std::string& AclGate::blocked_reason() const {
  static const std::string kNone;
  return state_ ? state_->blocked : kNone;
}

bool AclGate::admits_client() {
  if (store_ == nullptr) return true;
  const auto rules = store_->current();
  const auto decision = rules->check_client(state_->client);
  if (decision.allowed()) return true;
  acl::acl_metrics().blocked.inc();
  state_->blocked = "client blocked by ACL: " + acl::describe(decision);
  return false;
}

acl::Query AclGate::query() const {
  acl::Query q;
  q.user = state_->user;
  q.groups = state_->groups;
  q.client = state_->client;
  q.target = state_->target;
  q.port = state_->port;
  q.command = state_->command;
  return q;
}

bool AclGate::decide(const acl::RuleSet& rules, const acl::Query& query, bool count_block) {
  const auto decision = rules.evaluate(query);
  if (decision.verdict != acl::Verdict::Block) return true;
  if (count_block) acl::acl_metrics().blocked.inc();
  state_->blocked = "blocked by ACL: " + acl::describe(decision);
  return false;
}

void AclGate::refused() {
  if (store_ != nullptr) acl::acl_metrics().blocked.inc();
}

bool AclGate::check_request(const socks5::Target& target, acl::Command command) {
  if (store_ == nullptr) return true;
  if (const auto* domain = std::get_if<socks5::Domain>(&target.address)) {
    state_->target = acl::normalize_target(domain->name);
  } else if (const auto* v4 = std::get_if<socks5::Ipv4>(&target.address)) {
    state_->target = acl::Target{to_acl_ip(asio::ip::address_v4(v4->bytes)), {}};
  } else {
    state_->target = acl::Target{
        to_acl_ip(asio::ip::address_v6(std::get<socks5::Ipv6>(target.address).bytes)), {}};
  }
  state_->port = target.port;
  state_->command = command;
  return decide(*store_->current(), query(), true);
}

bool AclGate::check_address(const tcp::endpoint& endpoint) {
  if (store_ == nullptr) return true;
  return check_address(endpoint.address(), endpoint.port(), state_->command, state_->target.name);
}

bool AclGate::check_address(const asio::ip::address& address, std::uint16_t port,
                            acl::Command command, std::string_view name) {
  if (store_ == nullptr) return true;
  auto q = query();
  q.target.name = std::string(name);
  q.target.ip = to_acl_ip(address);
  q.port = port;
  q.command = command;
  return decide(*store_->current(), q, false);
}

void AclGate::connected(const tcp::endpoint& upstream) {
  if (store_ == nullptr) return;
  state_->target.ip = to_acl_ip(upstream.address());
  state_->port = upstream.port();
  state_->blocked.clear();  // a dropped candidate does not describe a session that connected
  acl::acl_metrics().allowed.inc();
}

void AclGate::connected(const tcp::endpoint& peer, acl::Command command, std::string_view name) {
  if (store_ == nullptr) return;
  state_->command = command;
  state_->target.name = std::string(name);
  connected(peer);
}

bool AclGate::still_allowed(const acl::RuleSet& rules) {
  const auto decision = rules.evaluate(query());
  if (decision.allowed()) return true;
  state_->blocked = "terminated by ACL update: " + acl::describe(decision);
  return false;
}

}  // namespace rustsocks::session

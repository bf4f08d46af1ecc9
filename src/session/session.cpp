#include "session/session.hpp"

#include <optional>

#include "connect/dialer.hpp"
#include "core/errc.hpp"
#include "core/log.hpp"
#include "relay/relay.hpp"
#include "session/acl_gate.hpp"
#include "session/commands.hpp"
#include "session/handshake.hpp"
#include "session/reply_for.hpp"
#include "session/session_metrics.hpp"

namespace rustsocks::session {
namespace {

using namespace asio::experimental::awaitable_operators;

connect::DialTarget dial_target(const socks5::Target& target) {
  connect::DialTarget out;
  out.port = target.port;
  if (const auto* domain = std::get_if<socks5::Domain>(&target.address)) {
    out.host = domain->name;
    // A name that is an IP literal ("127.0.0.1" sent as ATYP 3) is dialled as that address.
    error_code literal_error;
    (void)asio::ip::make_address(out.host, literal_error);
    out.is_name = static_cast<bool>(literal_error);
    if (!out.is_name) return out;
    if (!out.host.empty() && out.host.back() == '.') out.host.pop_back();
    return out;
  }
  if (const auto* v4 = std::get_if<socks5::Ipv4>(&target.address)) {
    out.host = asio::ip::address_v4(v4->bytes).to_string();
  } else {
    out.host = asio::ip::address_v6(std::get<socks5::Ipv6>(target.address).bytes).to_string();
  }
  return out;
}

void log_record(const SessionRecord& record) {
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - record.start);
  std::vector<core::Field> fields{core::text_field("client", record.client),
                                  core::text_field("user", record.user),
                                  core::text_field("command", record.command),
                                  core::text_field("target", record.target),
                                  core::text_field("reply", record.reply),
                                  core::number_field("up", record.up, "bytes_up"),
                                  core::number_field("down", record.down, "bytes_down")};
  if (record.command == "udp_associate") {
    fields.push_back(core::number_field("datagrams_up", record.datagrams_up));
    fields.push_back(core::number_field("datagrams_down", record.datagrams_down));
    fields.push_back(core::number_field("dropped", record.datagrams_dropped));
  }
  fields.push_back(core::number_field("duration_ms", static_cast<std::uint64_t>(elapsed.count())));
  fields.push_back(core::text_field("reason", record.reason));
  core::log_event(spdlog::level::info, "session_end", fields);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Once per session, at its end: the hot path never touches a shared counter.
void count_session(const SessionRecord& record) {
  auto& metrics = session_metrics();
  metrics.sessions(record.command, record.reply).inc();
  if (record.up > 0) metrics.bytes_up.inc(record.up);
  if (record.down > 0) metrics.bytes_down.inc(record.down);
}

awaitable<Handshake> handshake_within(tcp::socket& client, InputBuffer& buffer, Authenticator& auth,
                                      const asio::ip::address& peer,
                                      std::chrono::milliseconds limit) {
  asio::steady_timer timer(co_await asio::this_coro::executor, limit);
  auto first = co_await (run_handshake(client, buffer, auth, peer) || timer.async_wait(kNoThrow));
  if (first.index() == 1) co_return Handshake{core::Errc::HandshakeTimeout, {}, false, false, {}};
  co_return std::get<0>(std::move(first));
}

// The ACL's user: the authenticated name, or anonymous_user when SOCKS gives no username.
std::string acl_user(const config::Config& config, const Verdict& identity) {
  const auto method = config.auth.socks_method;
  if (method == config::SocksMethod::None || method == config::SocksMethod::PamAddress) {
    return config.acl.anonymous_user;
  }
  return identity.user;
}

awaitable<void> run(tcp::socket& client, const asio::ip::address& peer, Services& services,
                    SessionRecord& record, LiveSessions::Handle live) {
  const auto& server = services.config.server;
  AclGate gate(services.acl, peer);
  if (!gate.admits_client()) {  // before any SOCKS byte or PAM call: closed without a byte
    record.reason = gate.blocked_reason();
    co_return;
  }
  if (services.auth.client_tier()) {
    // Before any SOCKS byte: a refused client is closed without a single byte sent.
    auto verdict = co_await services.auth.check_client(peer);
    if (!verdict.ok) {
      record.reason = error_code(core::Errc::ClientRefused).message();
      session_metrics().client_refused.inc();
      co_return;
    }
  }
  InputBuffer buffer;
  auto shake =
      co_await handshake_within(client, buffer, services.auth, peer, server.handshake_timeout);
  if (shake.identity.ok) record.user = shake.identity.user;
  if (shake.has_request) record.command = command_name(shake.request.command);
  if (shake.error) {
    record.reason = shake.error.message();
    if (shake.error == core::Errc::AuthenticationFailed) {
      record.reply = "auth_failed";  // RFC 1929 status 01 01, not a SOCKS reply
    } else if (shake.error == core::Errc::NoAcceptableMethod ||
               shake.error == core::Errc::NoMethods) {
      record.reply = "no_acceptable_method";  // 05 FF
    } else if (shake.replied && shake.error.category() == core::error_category()) {
      record.reply = reply_name(reply_for(shake.error));
    }
    if (shake.error == core::Errc::NotAllowed) {
      record.target = socks5::to_string(shake.request.target);
    }
    co_return;
  }
  auto& metrics = session_metrics();
  metrics.handshake.observe(seconds_since(record.start));
  record.target = socks5::to_string(shake.request.target);
  gate.identify(acl_user(services.config, shake.identity), shake.identity.groups);
  // CONNECT is checked here (and each dial candidate in run_connect). BIND's DST is usually
  // 0.0.0.0:0 ("any peer") and UDP's the client's own address hint: the ACL decides on BIND's
  // incoming peer and on each datagram's destination instead (bind.cpp, udp_associate.cpp).
  if (shake.request.command == socks5::Command::Connect &&
      !gate.check_request(shake.request.target, acl::Command::Connect)) {
    co_await refuse_by_acl(client, gate, record);
    co_return;
  }
  // The command's steps up to the success reply (their coroutine frames end there, so an idle
  // tunnel holds only this frame and the relay's), then the TCP relay for CONNECT and BIND.
  std::optional<tcp::socket> upstream;
  switch (shake.request.command) {
    case socks5::Command::Connect:
      upstream = co_await run_connect(client, buffer, shake.request, services, gate, record);
      break;
    case socks5::Command::Bind:
      upstream = co_await run_bind(client, buffer, shake.request, services, gate, record);
      break;
    case socks5::Command::UdpAssociate:
      co_await run_udp_associate(client, shake.request, services, gate, record);
      co_return;
  }
  if (!upstream) co_return;
  buffer.release();
  live->upstream = &*upstream;
  if (gate.enabled()) live->acl = &gate;  // terminate_on_reload re-checks it
  auto traffic =
      co_await relay::relay(client, *upstream, &services.pipes,
                            relay::RelayOptions{.splice = server.splice, .idle = &services.idle});
  live->upstream = nullptr;
  live->acl = nullptr;
  record.up += traffic.up;
  record.down += traffic.down;
  if (!gate.blocked_reason().empty()) {
    record.reason = gate.blocked_reason();  // closed by terminate_on_reload
  } else if (traffic.idle_timeout) {
    record.reason = "idle timeout";
  } else if (traffic.error) {
    record.reason = traffic.error.message();
  }
}

}  // namespace

// Sends the bytes the client pipelined behind its request before the relay starts.
awaitable<error_code> forward_pipelined(InputBuffer& buffer, tcp::socket& upstream,
                                        SessionRecord& record) {
  auto pending = buffer.data();
  if (pending.empty()) co_return error_code{};
  auto [ec, n] =
      co_await asio::async_write(upstream, asio::buffer(pending.data(), pending.size()), kNoThrow);
  record.up += n;
  co_return ec;
}

awaitable<void> refuse_by_acl(tcp::socket& client, const AclGate& gate, SessionRecord& record) {
  record.reply = reply_name(socks5::Reply::NotAllowed);
  record.reason = gate.blocked_reason();
  co_await send_reply(client, socks5::Reply::NotAllowed, socks5::Target{socks5::Ipv4{}, 0});
}

awaitable<std::optional<tcp::socket>> run_connect(tcp::socket& client, InputBuffer& buffer,
                                                  const socks5::Request& request,
                                                  Services& services, AclGate& gate,
                                                  SessionRecord& record) {
  const auto& server = services.config.server;
  connect::DialOptions options{.dns_timeout = server.dns_timeout,
                               .connect_timeout = server.connect_timeout};
  if (gate.enabled()) {
    auto admit = [&gate](const tcp::endpoint& candidate) { return gate.check_address(candidate); };
    options.admit = admit;
  }
  auto& metrics = session_metrics();
  const auto dial_start = std::chrono::steady_clock::now();
  auto dialed = co_await connect::dial(services.resolver, dial_target(request.target), options);
  if (dialed.error == core::Errc::NotAllowed) {  // the ACL dropped every resolved address
    gate.refused();
    co_await refuse_by_acl(client, gate, record);
    co_return std::nullopt;
  }
  if (dialed.error == core::Errc::DnsFailure || dialed.error == core::Errc::DnsTimeout) {
    metrics.dns_failures.inc();
  }
  if (dialed.error) {
    co_await refuse(client, reply_for(dialed.error), dialed.error, record);
    co_return std::nullopt;
  }
  metrics.upstream_connect.observe(seconds_since(dial_start));
  auto& upstream = dialed.socket;
  error_code ignored;
  gate.connected(dialed.endpoint);
  upstream.set_option(tcp::no_delay(true), ignored);
  auto local = upstream.local_endpoint(ignored);
  if (auto ec = co_await send_reply(client, socks5::Reply::Succeeded, to_target(local))) {
    record.reason = ec.message();
    co_return std::nullopt;
  }
  record.reply = reply_name(socks5::Reply::Succeeded);
  if (auto ec = co_await forward_pipelined(buffer, upstream, record)) {
    record.reason = ec.message();
    co_return std::nullopt;
  }
  co_return std::move(upstream);
}

asio::ip::address relay_address(const tcp::socket& client, const config::Server& server) {
  error_code ec;
  auto local = relay::unmapped(client.local_endpoint(ec).address());
  if (!server.external_address.empty()) {
    auto external = asio::ip::make_address(server.external_address, ec);
    if (!ec && external.is_v6() == local.is_v6()) return external;
  }
  return local;
}

awaitable<void> refuse(tcp::socket& client, socks5::Reply reply, const error_code& why,
                       SessionRecord& record) {
  record.reply = reply_name(reply);
  record.reason = why.message();
  co_await send_reply(client, reply, socks5::Target{socks5::Ipv4{}, 0});
}

awaitable<void> serve(tcp::socket client, tcp::endpoint peer, Services services) {
  SessionRecord record;
  record.client = endpoint_text(peer);
  struct Registration {  // leaves the live table on every path, also when the frame is destroyed
    LiveSessions& live;
    LiveSessions::Handle handle;
    ~Registration() { live.remove(handle); }
  } registration{services.live, services.live.add(&client)};
  co_await run(client, peer.address(), services, record, registration.handle);
  log_record(record);
  count_session(record);
}

}  // namespace rustsocks::session

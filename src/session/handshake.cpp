#include "session/handshake.hpp"

#include <algorithm>
#include <cstring>

#include "core/errc.hpp"
#include "session/reply_for.hpp"

namespace rustsocks::session {
namespace {

// Parses what is buffered; reads more on Incomplete (never more than the buffer holds) and
// consumes the message on Complete.
template <class Message, class Parser>
awaitable<std::variant<Message, error_code>> read_message(tcp::socket& client, InputBuffer& buffer,
                                                          Parser parse, std::size_t max_size) {
  for (;;) {
    auto parsed = parse(buffer.data());
    if (auto* error = std::get_if<core::Errc>(&parsed)) co_return error_code(*error);
    if (auto* complete = std::get_if<socks5::Complete<Message>>(&parsed)) {
      buffer.begin += complete->consumed;
      co_return std::move(complete->message);
    }
    if (buffer.end - buffer.begin >= max_size) co_return error_code(core::Errc::MessageTooLarge);
    if (buffer.begin > 0) {  // compact so a whole message always fits
      std::memmove(buffer.bytes.data(), buffer.bytes.data() + buffer.begin,
                   buffer.end - buffer.begin);
      buffer.end -= buffer.begin;
      buffer.begin = 0;
    }
    auto room = asio::buffer(buffer.bytes.data() + buffer.end, buffer.bytes.size() - buffer.end);
    auto [ec, n] = co_await client.async_read_some(room, kNoThrow);
    if (ec) co_return ec;
    buffer.end += n;
  }
}

awaitable<error_code> send_bytes(tcp::socket& client, std::span<const std::uint8_t> bytes) {
  auto [ec, n] =
      co_await asio::async_write(client, asio::buffer(bytes.data(), bytes.size()), kNoThrow);
  co_return ec;
}

}  // namespace

socks5::Target to_target(const tcp::endpoint& endpoint) {
  socks5::Target target;
  target.port = endpoint.port();
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  if (address.is_v4()) {
    target.address = socks5::Ipv4{address.to_v4().to_bytes()};
  } else {
    target.address = socks5::Ipv6{address.to_v6().to_bytes()};
  }
  return target;
}

awaitable<error_code> send_reply(tcp::socket& client, socks5::Reply reply,
                                 const socks5::Target& bound) {
  auto bytes = socks5::encode_reply(reply, bound);
  co_return co_await send_bytes(client, bytes);
}

namespace {

// RFC 1929 sub-negotiation: read, verify, answer 01 00 or 01 01.
awaitable<Handshake> authenticate_userpass(tcp::socket& client, InputBuffer& buffer,
                                           Authenticator& auth, const asio::ip::address& peer) {
  Handshake out;
  auto credentials = co_await read_message<socks5::UserPassRequest>(
      client, buffer, socks5::parse_userpass, socks5::kMaxUserPassSize);
  if (auto* error = std::get_if<error_code>(&credentials)) {
    out.error = *error;
    if (error->category() == core::error_category()) {
      co_await send_bytes(client, socks5::encode_userpass_status(false));
      out.replied = true;
    }
    co_return out;
  }
  auto& request = std::get<socks5::UserPassRequest>(credentials);
  out.identity = co_await auth.check_credentials(std::move(request.username),
                                                 std::move(request.password), peer);
  co_await send_bytes(client, socks5::encode_userpass_status(out.identity.ok));
  if (!out.identity.ok) {
    out.error = core::Errc::AuthenticationFailed;
    out.replied = true;
  }
  co_return out;
}

}  // namespace

awaitable<Handshake> run_handshake(tcp::socket& client, InputBuffer& buffer, Authenticator& auth,
                                   const asio::ip::address& peer) {
  Handshake out;
  auto greeting = co_await read_message<socks5::Greeting>(client, buffer, socks5::parse_greeting,
                                                          socks5::kMaxGreetingSize);
  if (auto* error = std::get_if<error_code>(&greeting)) {
    out.error = *error;
    if (*error == core::Errc::NoMethods) {
      co_await send_bytes(client, socks5::encode_method_selection(socks5::Method::NoAcceptable));
      out.replied = true;
    }
    co_return out;
  }
  auto method = auth.socks_method();
  if (!std::get<socks5::Greeting>(greeting).offers(method)) {
    co_await send_bytes(client, socks5::encode_method_selection(socks5::Method::NoAcceptable));
    out.error = core::Errc::NoAcceptableMethod;
    out.replied = true;
    co_return out;
  }
  if (auto ec = co_await send_bytes(client, socks5::encode_method_selection(method))) {
    out.error = ec;
    co_return out;
  }
  if (method == socks5::Method::UserPass) {
    out = co_await authenticate_userpass(client, buffer, auth, peer);
    if (out.error) co_return out;
  } else {
    out.identity.ok = true;
  }
  auto request = co_await read_message<socks5::Request>(client, buffer, socks5::parse_request,
                                                        socks5::kMaxRequestSize);
  if (auto* error = std::get_if<error_code>(&request)) {
    out.error = *error;
    if (error->category() == core::error_category()) {
      // A SOCKS5 client that sent a request we cannot serve gets a reply naming why.
      co_await send_bytes(client, socks5::encode_failure(reply_for(*error)));
      out.replied = true;
    }
    co_return out;
  }
  out.request = std::move(std::get<socks5::Request>(request));
  out.has_request = true;
  if (auth.address_check_after_request()) {
    out.identity = co_await auth.check_address(peer);
    if (!out.identity.ok) {
      out.error = core::Errc::NotAllowed;
      co_await send_bytes(client, socks5::encode_failure(socks5::Reply::NotAllowed));
      out.replied = true;
      co_return out;
    }
  }
  co_return out;
}

}  // namespace rustsocks::session

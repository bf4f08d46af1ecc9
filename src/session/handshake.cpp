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

awaitable<Handshake> run_handshake(tcp::socket& client, InputBuffer& buffer) {
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
  const auto& offered = std::get<socks5::Greeting>(greeting);
  if (!offered.offers(socks5::Method::NoAuth)) {
    co_await send_bytes(client, socks5::encode_method_selection(socks5::Method::NoAcceptable));
    out.error = core::Errc::NoAcceptableMethod;
    out.replied = true;
    co_return out;
  }
  if (auto ec =
          co_await send_bytes(client, socks5::encode_method_selection(socks5::Method::NoAuth))) {
    out.error = ec;
    co_return out;
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
  if (out.request.command != socks5::Command::Connect) {
    out.error = core::Errc::CommandNotSupported;
    co_await send_bytes(client, socks5::encode_failure(socks5::Reply::CommandNotSupported));
    out.replied = true;
  }
  co_return out;
}

}  // namespace rustsocks::session

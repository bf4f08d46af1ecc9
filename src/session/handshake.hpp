// The SOCKS5 handshake on a live socket: greeting, method selection, request. The only place
// where the pure socks5/ parsers meet I/O. Bytes a client pipelines after its request stay in
// the buffer for the relay.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "core/asio.hpp"
#include "socks5/messages.hpp"

namespace rustsocks::session {

struct InputBuffer {
  std::array<std::uint8_t, 512> bytes{};  // > the largest message (262 bytes)
  std::size_t begin = 0;
  std::size_t end = 0;
  std::span<const std::uint8_t> data() const { return {bytes.data() + begin, end - begin}; }
};

struct Handshake {
  error_code error;  // empty on success
  socks5::Request request;
  bool replied = false;  // a reply (05 FF or a failure reply) was already sent
};

// Runs greeting -> method selection (no-auth) -> request. On a request the server cannot serve
// (bad command, address type) it sends the matching failure reply itself.
awaitable<Handshake> run_handshake(tcp::socket& client, InputBuffer& buffer);

awaitable<error_code> send_reply(tcp::socket& client, socks5::Reply reply,
                                 const socks5::Target& bound);

socks5::Target to_target(const tcp::endpoint& endpoint);

}  // namespace rustsocks::session

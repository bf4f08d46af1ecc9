// The SOCKS5 handshake on a live socket: greeting, method selection, request. The only place
// where the pure socks5/ parsers meet I/O. Bytes a client pipelines after its request stay in
// the buffer for the relay.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/asio.hpp"
#include "session/authenticator.hpp"
#include "socks5/messages.hpp"

namespace rustsocks::session {

// Handshake input: heap bytes sized for the largest message (RFC 1929's 513), released before
// the relay so an idle tunnel does not carry it.
struct InputBuffer {
  std::vector<std::uint8_t> bytes = std::vector<std::uint8_t>(1024);
  std::size_t begin = 0;
  std::size_t end = 0;
  std::span<const std::uint8_t> data() const { return {bytes.data() + begin, end - begin}; }
  void release() {
    bytes = {};
    begin = end = 0;
  }
};

struct Handshake {
  error_code error;  // empty on success
  socks5::Request request;
  bool has_request = false;  // `request` was read (it may still have been refused)
  bool replied = false;      // a reply (05 FF or a failure reply) was already sent
  Verdict identity;          // who the client is once authenticated
};

// Runs greeting -> method selection (the one configured method) -> RFC 1929 when it is 0x02 ->
// request -> the pam.address check when that is the SOCKS method. On a request the server
// cannot serve (bad command, address type, refused address) it sends the matching reply itself.
awaitable<Handshake> run_handshake(tcp::socket& client, InputBuffer& buffer, Authenticator& auth,
                                   const asio::ip::address& peer);

awaitable<error_code> send_reply(tcp::socket& client, socks5::Reply reply,
                                 const socks5::Target& bound);

socks5::Target to_target(const tcp::endpoint& endpoint);

}  // namespace rustsocks::session

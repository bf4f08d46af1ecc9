// Opens the upstream TCP connection for a CONNECT: resolves a domain off the loop, then races the
// candidate addresses Happy-Eyeballs style (RFC 8305: families interleaved, a new attempt every
// attempt_delay or as soon as one fails, first success wins, the rest are closed). Sockets are
// never bound to a local port before connect (the kernel picks the port at connect time).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <variant>

#include "connect/resolver.hpp"
#include "core/asio.hpp"

namespace rustsocks::connect {

struct DialOptions {
  std::chrono::milliseconds dns_timeout{5'000};
  std::chrono::milliseconds connect_timeout{5'000};  // whole dial, all candidates
  std::chrono::milliseconds attempt_delay{250};      // RFC 8305 "Connection Attempt Delay"
  // Called for every candidate address before it is dialled (the ACL): false drops it, so a
  // disallowed address is never connected to. When it drops every candidate, dial() fails with
  // Errc::NotAllowed. Empty = every candidate.
  std::function<bool(const tcp::endpoint&)> admit{};
};

struct DialTarget {
  std::string host;  // a domain name or an IP literal
  std::uint16_t port = 0;
  bool is_name = false;  // true: resolve host; false: host is an IP literal
};

struct Dialed {
  error_code error;  // the most telling failure when no candidate connected
  tcp::socket socket;
  tcp::endpoint endpoint{};  // the candidate that connected
};

awaitable<Dialed> dial(Resolver& resolver, DialTarget target, DialOptions options);

// Connects to the given candidates in order with the race above (one candidate: a plain
// non-blocking connect, see connect_single); exposed for tests.
awaitable<Dialed> race_connect(std::vector<tcp::endpoint> candidates, DialOptions options);

}  // namespace rustsocks::connect

// Name resolution off the event loop: getaddrinfo runs on a core::BlockingPool (its own or a
// shared one) and the result is posted back to the caller's executor. The caller waits at most
// `timeout`; a late answer is dropped. (Asio's own resolver runs one lookup at a time per
// io_context and cannot abandon a getaddrinfo in progress, so a slow name would stall every session
// of a worker.)
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "core/blocking_pool.hpp"

namespace rustsocks::connect {

struct Resolved {
  error_code error;  // DnsFailure, DnsTimeout, or empty
  std::vector<tcp::endpoint> endpoints;
};

class Resolver {
 public:
  // Owns a pool of `threads` lookups with at most `max_queue` waiting.
  explicit Resolver(unsigned threads = 4, std::size_t max_queue = 4096);
  // Uses a shared pool, which must outlive this resolver.
  explicit Resolver(core::BlockingPool& pool);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  Resolver(Resolver&&) = delete;
  Resolver& operator=(Resolver&&) = delete;

  // Resolves host (a name, never a literal: callers handle literals) for TCP. DnsTimeout when
  // the answer takes longer than `timeout` or the pool's queue is full; DnsFailure when the name
  // does not resolve.
  awaitable<Resolved> resolve(std::string host, std::uint16_t port,
                              std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<core::BlockingPool> owned_;
  core::BlockingPool& pool_;
};

// Orders resolved addresses for Happy Eyeballs (RFC 8305 §4): alternate families, starting with
// the family of the first address returned.
std::vector<tcp::endpoint> interleave_families(const std::vector<tcp::endpoint>& endpoints);

}  // namespace rustsocks::connect

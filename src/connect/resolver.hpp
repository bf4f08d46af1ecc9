// Name resolution off the event loop: getaddrinfo runs on a small shared thread pool and the
// result is posted back to the caller's executor. The caller waits at most `timeout`; a late
// answer is dropped. (Asio's own resolver runs one lookup at a time per io_context and cannot
// abandon a getaddrinfo in progress, so a slow name would stall every session of a worker.)
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/asio.hpp"

namespace rustsocks::connect {

struct Resolved {
  error_code error;  // DnsFailure, DnsTimeout, or empty
  std::vector<tcp::endpoint> endpoints;
};

class Resolver {
 public:
  explicit Resolver(unsigned threads = 4, std::size_t max_queue = 4096);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Resolves host (a name, never a literal: callers handle literals) for TCP.
  awaitable<Resolved> resolve(std::string host, std::uint16_t port,
                              std::chrono::milliseconds timeout);

 private:
  void enqueue(std::function<void()> job);
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::size_t max_queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Orders resolved addresses for Happy Eyeballs (RFC 8305 §4): alternate families, starting with
// the family of the first address returned.
std::vector<tcp::endpoint> interleave_families(const std::vector<tcp::endpoint>& endpoints);

}  // namespace rustsocks::connect

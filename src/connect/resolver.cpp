#include "connect/resolver.hpp"

#include <cstring>
#include <utility>

#include <netdb.h>
#include <sys/socket.h>

#include "core/errc.hpp"

namespace rustsocks::connect {
namespace {

Resolved lookup(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  Resolved out;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &list) != 0 || list == nullptr) {
    out.error = core::Errc::DnsFailure;
    return out;
  }
  for (auto* ai = list; ai != nullptr; ai = ai->ai_next) {
    tcp::endpoint ep;
    if (ai->ai_addrlen > ep.capacity()) continue;
    std::memcpy(ep.data(), ai->ai_addr, ai->ai_addrlen);
    ep.resize(ai->ai_addrlen);
    ep.port(port);
    bool duplicate = false;
    for (const auto& seen : out.endpoints) {
      duplicate = duplicate || seen == ep;
    }
    if (!duplicate) out.endpoints.push_back(ep);
  }
  ::freeaddrinfo(list);
  if (out.endpoints.empty()) out.error = core::Errc::DnsFailure;
  return out;
}

}  // namespace

Resolver::Resolver(unsigned threads, std::size_t max_queue)
    : owned_(std::make_unique<core::BlockingPool>(
          core::BlockingPool::Options{.threads = threads, .max_queue = max_queue})),
      pool_(*owned_) {}

Resolver::Resolver(core::BlockingPool& pool) : pool_(pool) {}

// Joins the owned pool's threads; a lookup still running finishes first and its answer is dropped.
Resolver::~Resolver() = default;

awaitable<Resolved> Resolver::resolve(std::string host, std::uint16_t port,
                                      std::chrono::milliseconds timeout) {
  // A named job, not a temporary inside the co_await: GCC 12 destroys such a temporary twice.
  auto job = [host = std::move(host), port] { return lookup(host, port); };
  auto answer = co_await pool_.run(std::move(job), timeout);
  if (!answer) {
    Resolved timed_out;
    timed_out.error = core::Errc::DnsTimeout;
    co_return timed_out;
  }
  co_return std::move(*answer);
}

std::vector<tcp::endpoint> interleave_families(const std::vector<tcp::endpoint>& endpoints) {
  if (endpoints.empty()) return {};
  bool first_v6 = endpoints.front().address().is_v6();
  std::vector<tcp::endpoint> preferred;
  std::vector<tcp::endpoint> other;
  for (const auto& ep : endpoints) {
    (ep.address().is_v6() == first_v6 ? preferred : other).push_back(ep);
  }
  std::vector<tcp::endpoint> out;
  out.reserve(endpoints.size());
  for (std::size_t i = 0; i < std::max(preferred.size(), other.size()); ++i) {
    if (i < preferred.size()) out.push_back(preferred[i]);
    if (i < other.size()) out.push_back(other[i]);
  }
  return out;
}

}  // namespace rustsocks::connect

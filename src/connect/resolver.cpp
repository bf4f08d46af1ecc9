#include "connect/resolver.hpp"

#include <cstring>
#include <memory>

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
    for (const auto& seen : out.endpoints)
      duplicate = duplicate || seen == ep;
    if (!duplicate) out.endpoints.push_back(ep);
  }
  ::freeaddrinfo(list);
  if (out.endpoints.empty()) out.error = core::Errc::DnsFailure;
  return out;
}

// Shared between the waiting coroutine and the pool thread; the timer is only touched on the
// caller's executor (the completion is posted there).
struct Pending {
  explicit Pending(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  bool done = false;
  Resolved result;
};

}  // namespace

Resolver::Resolver(unsigned threads, std::size_t max_queue) : max_queue_(max_queue) {
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([this] { run(); });
}

Resolver::~Resolver() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_)
    thread.join();
}

void Resolver::enqueue(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (jobs_.size() >= max_queue_) return;  // overloaded: the caller times out
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void Resolver::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

awaitable<Resolved> Resolver::resolve(std::string host, std::uint16_t port,
                                      std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  auto pending = std::make_shared<Pending>(executor);
  pending->timer.expires_after(timeout);
  auto job = [pending, executor, host = std::move(host), port] {
    auto result = lookup(host, port);
    asio::post(executor, [pending, result = std::move(result)]() mutable {
      pending->result = std::move(result);
      pending->done = true;
      pending->timer.cancel();
    });
  };
  enqueue(std::move(job));
  (void)co_await pending->timer.async_wait(kNoThrow);  // cancelled by the answer or expired
  if (!pending->done) {
    Resolved timed_out;
    timed_out.error = core::Errc::DnsTimeout;
    co_return timed_out;
  }
  co_return std::move(pending->result);
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

// Brute-force guard: N failed logins from one client IP within a window lock that IP out of
// authentication for a while. Shared by all workers (one mutex; touched once per login attempt,
// never on the relay path). The table is bounded: expired entries are purged as it fills.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace rustsocks::auth {

class Lockout {
 public:
  using Clock = std::chrono::steady_clock;
  struct Policy {
    bool enabled = true;
    unsigned max_failures = 5;
    std::chrono::seconds window{60};
    std::chrono::seconds duration{300};
    std::size_t max_tracked = 100'000;  // distinct IPs remembered at once
  };

  explicit Lockout(Policy policy) : policy_(policy) {}

  // True while `ip` is locked out: the caller refuses without checking credentials.
  bool locked(const std::string& ip, Clock::time_point now);
  // Records a failure; returns true exactly when this failure starts a lockout (log and count
  // it once).
  bool record_failure(const std::string& ip, Clock::time_point now);
  // A success forgets the IP's earlier failures.
  void record_success(const std::string& ip, Clock::time_point now);
  std::size_t tracked() const;

 private:
  struct Entry {
    std::deque<Clock::time_point> failures;
    Clock::time_point locked_until{};
  };
  void purge(Clock::time_point now);

  Policy policy_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace rustsocks::auth

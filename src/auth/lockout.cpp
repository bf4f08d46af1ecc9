#include "auth/lockout.hpp"

namespace rustsocks::auth {

bool Lockout::locked(const std::string& ip, Clock::time_point now) {
  if (!policy_.enabled) return false;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(ip);
  return it != entries_.end() && now < it->second.locked_until;
}

bool Lockout::record_failure(const std::string& ip, Clock::time_point now) {
  if (!policy_.enabled) return false;
  std::lock_guard lock(mutex_);
  if (entries_.size() >= policy_.max_tracked && entries_.find(ip) == entries_.end()) purge(now);
  if (entries_.size() >= policy_.max_tracked && entries_.find(ip) == entries_.end()) {
    return false;  // table full of live lockouts: the failure delay still applies
  }
  auto& entry = entries_[ip];
  if (now < entry.locked_until) return false;  // already locked: counted once
  entry.failures.push_back(now);
  while (!entry.failures.empty() && now - entry.failures.front() >= policy_.window) {
    entry.failures.pop_front();
  }
  if (entry.failures.size() < policy_.max_failures) return false;
  entry.failures.clear();
  entry.locked_until = now + policy_.duration;
  return true;
}

void Lockout::record_success(const std::string& ip, Clock::time_point now) {
  if (!policy_.enabled) return;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(ip);
  if (it != entries_.end() && it->second.locked_until <= now) entries_.erase(it);
}

std::size_t Lockout::tracked() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void Lockout::purge(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto& entry = it->second;
    bool stale = entry.failures.empty() || now - entry.failures.back() >= policy_.window;
    if (now >= entry.locked_until && stale) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace rustsocks::auth

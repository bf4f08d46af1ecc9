// NSS group lists of logged-in users, remembered for a short time so a client that logs in again
// and again does not cost an NSS lookup (files, or LDAP/AD through SSSD) every time. Shared by
// all workers: one mutex, touched once per successful login. Bounded; the TTL is the login
// cache's.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace rustsocks::session {

class GroupCache {
 public:
  using Clock = std::chrono::steady_clock;
  GroupCache(Clock::duration ttl, std::size_t max_entries = 4096)
      : ttl_(ttl), max_entries_(max_entries) {}

  std::optional<std::vector<std::string>> find(const std::string& user, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(user);
    if (it == entries_.end() || now >= it->second.expires) return std::nullopt;
    return it->second.groups;
  }

  void insert(const std::string& user, std::vector<std::string> groups, Clock::time_point now) {
    if (ttl_ == Clock::duration::zero()) return;
    std::lock_guard lock(mutex_);
    if (entries_.size() >= max_entries_) {
      std::erase_if(entries_, [now](const auto& entry) { return now >= entry.second.expires; });
      if (entries_.size() >= max_entries_) entries_.clear();  // bounded, at worst a cold start
    }
    entries_[user] = Entry{std::move(groups), now + ttl_};
  }

 private:
  struct Entry {
    std::vector<std::string> groups;
    Clock::time_point expires;
  };
  Clock::duration ttl_;
  std::size_t max_entries_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace rustsocks::session

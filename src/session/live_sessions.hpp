// The sessions alive on one worker, so shutdown can close whatever outlives the drain grace and an
// ACL reload can close the sessions its new rules block.
// One instance per worker thread; not thread-safe by design.
#pragma once

#include <list>

#include "acl/rule_set.hpp"
#include "core/asio.hpp"
#include "session/acl_gate.hpp"

namespace rustsocks::session {

class LiveSessions {
 public:
  struct Entry {
    tcp::socket* client = nullptr;
    tcp::socket* upstream = nullptr;
    AclGate* acl = nullptr;  // set once connected, when the ACL is enabled
  };
  using Handle = std::list<Entry>::iterator;

  Handle add(tcp::socket* client) {
    return entries_.insert(entries_.end(), Entry{client, nullptr});
  }
  void remove(Handle handle) { entries_.erase(handle); }
  std::size_t size() const { return entries_.size(); }

  // Wakes every live session with EOF and cancels its pending operations; each then ends and
  // logs its record as usual.
  void abort_all() {
    for (auto& entry : entries_)
      abort(entry);
  }

  // terminate_on_reload: closes the connected sessions that `rules` block (each logs why).
  // Returns how many were closed.
  std::size_t abort_blocked(const acl::RuleSet& rules) {
    std::size_t closed = 0;
    for (auto& entry : entries_) {
      if (entry.acl == nullptr || entry.acl->still_allowed(rules)) continue;
      abort(entry);
      ++closed;
    }
    return closed;
  }

 private:
  static void abort(Entry& entry) {
    for (auto* socket : {entry.client, entry.upstream}) {
      if (socket == nullptr) continue;
      error_code ignored;
      socket->shutdown(tcp::socket::shutdown_both, ignored);
      socket->cancel(ignored);
    }
  }
  std::list<Entry> entries_;
};

}  // namespace rustsocks::session

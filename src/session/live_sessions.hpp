// The sessions alive on one worker, so shutdown can close whatever outlives the drain grace.
// One instance per worker thread; not thread-safe by design.
#pragma once

#include <list>

#include "core/asio.hpp"

namespace rustsocks::session {

class LiveSessions {
 public:
  struct Entry {
    tcp::socket* client = nullptr;
    tcp::socket* upstream = nullptr;
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
    for (auto& entry : entries_) {
      for (auto* socket : {entry.client, entry.upstream}) {
        if (socket == nullptr) continue;
        error_code ignored;
        socket->shutdown(tcp::socket::shutdown_both, ignored);
        socket->cancel(ignored);
      }
    }
  }

 private:
  std::list<Entry> entries_;
};

}  // namespace rustsocks::session

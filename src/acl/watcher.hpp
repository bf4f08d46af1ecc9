// Reloads the ACL file when it changes: inotify on the file's directory (so an editor's
// write-then-rename and a Kubernetes ConfigMap's `..data` symlink swap are seen, which a watch on
// the file itself would miss) and on the directory the file really lives in when it is a
// symlink. Events are debounced, and a reload whose bytes did not change is skipped. Runs on the
// control io_context; the reload itself is AclStore::reload (parse and compile on that thread).
#pragma once

#include <chrono>
#include <map>
#include <span>
#include <string>

#include "acl/acl_store.hpp"
#include "core/asio.hpp"

namespace rustsocks::acl {

class AclWatcher {
 public:
  AclWatcher(asio::io_context& control, AclStore& store,
             std::chrono::milliseconds debounce = std::chrono::milliseconds(100));
  AclWatcher(const AclWatcher&) = delete;
  AclWatcher& operator=(const AclWatcher&) = delete;

  // Throws boost::system::system_error when inotify cannot be set up.
  void start();
  void stop();  // on the control thread

 private:
  awaitable<void> read_events();
  awaitable<void> reload_soon();
  void watch_directories();
  bool relevant(std::string_view name) const;
  // Whether a batch of inotify events names the file, its real name or `..data`.
  bool touches_file(std::span<const char> events) const;

  AclStore& store_;
  std::chrono::milliseconds debounce_;
  asio::posix::stream_descriptor inotify_;
  asio::steady_timer timer_;
  std::map<std::string, int> watches_;  // directory -> watch descriptor
  std::string file_name_;               // basename of the configured path
  std::string real_name_;               // basename of the resolved path
  bool pending_ = false;
};

}  // namespace rustsocks::acl

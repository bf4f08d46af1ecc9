#include "acl/watcher.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include <spdlog/spdlog.h>

#include <sys/inotify.h>

namespace rustsocks::acl {
namespace {

constexpr std::uint32_t kEvents =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_ATTRIB | IN_MODIFY;

std::filesystem::path real_path(const std::string& path) {
  std::error_code ec;
  auto resolved = std::filesystem::canonical(path, ec);
  return ec ? std::filesystem::path(path) : resolved;
}

}  // namespace

AclWatcher::AclWatcher(asio::io_context& control, AclStore& store,
                       std::chrono::milliseconds debounce)
    : store_(store), debounce_(debounce), inotify_(control), timer_(control) {}

void AclWatcher::start() {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    throw boost::system::system_error(error_code(errno, boost::system::system_category()),
                                      "inotify_init1");
  }
  inotify_.assign(fd);
  file_name_ = std::filesystem::path(store_.path()).filename().string();
  watch_directories();
  asio::co_spawn(inotify_.get_executor(), read_events(), asio::detached);
  spdlog::info("acl: watching {} for changes", store_.path());
}

void AclWatcher::stop() {
  error_code ignored;
  timer_.cancel();
  inotify_.close(ignored);
}

void AclWatcher::watch_directories() {
  const auto configured = std::filesystem::path(store_.path()).parent_path().string();
  const auto resolved = real_path(store_.path());
  real_name_ = resolved.filename().string();
  const auto real_dir = resolved.parent_path().string();
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (it->first == configured || it->first == real_dir) {
      ++it;
      continue;
    }
    ::inotify_rm_watch(inotify_.native_handle(), it->second);
    it = watches_.erase(it);
  }
  for (const auto& dir : {configured, real_dir}) {
    if (watches_.count(dir) != 0) continue;
    const int wd = ::inotify_add_watch(inotify_.native_handle(), dir.c_str(), kEvents);
    if (wd < 0) {
      spdlog::warn("acl: cannot watch {}: {}", dir, std::strerror(errno));
      continue;
    }
    watches_[dir] = wd;
  }
}

bool AclWatcher::relevant(std::string_view name) const {
  return name == file_name_ || name == real_name_ || name == "..data";
}

bool AclWatcher::touches_file(std::span<const char> events) const {
  // Every header is copied out: the bytes need not be aligned for inotify_event.
  bool touched = false;
  for (std::size_t at = 0; at + sizeof(inotify_event) <= events.size();) {
    inotify_event header{};
    std::memcpy(&header, events.data() + at, sizeof header);
    const char* name = events.data() + at + sizeof header;
    const std::size_t room = std::min<std::size_t>(header.len, events.size() - at - sizeof header);
    touched = touched || relevant(std::string_view(name, ::strnlen(name, room)));
    at += sizeof header + header.len;
  }
  return touched;
}

awaitable<void> AclWatcher::read_events() {
  std::vector<char> buffer(16UL * 1024);
  for (;;) {
    auto [ec, n] = co_await inotify_.async_read_some(asio::buffer(buffer), kNoThrow);
    if (ec) co_return;  // closed by stop()
    if (touches_file(std::span<const char>(buffer.data(), n)) && !pending_) {
      pending_ = true;
      asio::co_spawn(inotify_.get_executor(), reload_soon(), asio::detached);
    }
  }
}

awaitable<void> AclWatcher::reload_soon() {
  // Editors and ConfigMap updates make several events in a row: wait for them to settle.
  timer_.expires_after(debounce_);
  auto [ec] = co_await timer_.async_wait(kNoThrow);
  pending_ = false;
  if (ec || !inotify_.is_open()) co_return;
  store_.reload("file changed", true);
  watch_directories();  // a symlink swap may have moved the real file to another directory
}

}  // namespace rustsocks::acl

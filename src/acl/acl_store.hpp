// The live ACL: an immutable RuleSet behind an atomic shared_ptr. Reloads (inotify watcher,
// SIGHUP, POST /api/acl/reload) read, parse and compile on the caller's thread (the control
// thread, never a worker), then swap: a decision sees the old rules or the new, never a mix.
// A broken file keeps the current rules. rustsocks_acl_reload_total{result} counts outcomes.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "acl/rule_set.hpp"

namespace rustsocks::acl {

// An ACL file compiled, or why not. Pure: used by the store and by reload validation.
struct Compiled {
  std::shared_ptr<const RuleSet> rules;  // null when errors is not empty
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};
Compiled compile_acl(std::string_view toml_text, std::string_view source_name, const Guard& guard);

struct ReloadResult {
  bool ok = false;
  bool unchanged = false;  // only_if_changed and the file's bytes were those already tried
  std::vector<std::string> errors{};
  std::vector<std::string> warnings{};
  std::size_t rules = 0;  // rules now in force
  std::chrono::microseconds took{0};
};

class AclStore {
 public:
  // path: the ACL file (absolute); guard: see Guard. Nothing is loaded yet.
  AclStore(std::string path, Guard guard);
  AclStore(const AclStore&) = delete;
  AclStore& operator=(const AclStore&) = delete;

  // Loads at start-up: throws std::runtime_error with every error when the file does not load.
  void load_initial();
  // Reads, compiles and swaps; on failure keeps the current rules. Logged and counted.
  // Serialised: concurrent callers run one after the other. only_if_changed skips a file whose
  // bytes equal the last attempt's (the watcher's debounce of duplicate events).
  ReloadResult reload(std::string_view trigger, bool only_if_changed = false);

  std::shared_ptr<const RuleSet> current() const { return rules_.load(std::memory_order_acquire); }
  void replace(std::shared_ptr<const RuleSet> next);
  // Called after each successful swap, on the reloading thread (e.g. to re-check live sessions).
  void on_replace(std::function<void(const std::shared_ptr<const RuleSet>&)> callback) {
    on_replace_ = std::move(callback);
  }
  const std::string& path() const { return path_; }
  const Guard& guard() const { return guard_; }

 private:
  std::string path_;
  Guard guard_;
  std::atomic<std::shared_ptr<const RuleSet>> rules_;
  std::mutex reload_mutex_;
  std::string last_text_;
  std::function<void(const std::shared_ptr<const RuleSet>&)> on_replace_;
};

// Reads a whole file of at most 16 MiB; nullopt with `problem` set otherwise.
std::optional<std::string> read_file(const std::string& path, std::string& problem);

}  // namespace rustsocks::acl

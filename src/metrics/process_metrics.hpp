// Standard process metrics (the names client_golang and prometheus-cpp use), read from Linux
// /proc and getrlimit/getrusage at each scrape by a collector on the registry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "metrics/registry.hpp"

namespace rustsocks::metrics {

// Adds the collector; call once per registry. It renders process_cpu_seconds_total,
// process_open_fds, process_max_fds, process_resident_memory_bytes,
// process_virtual_memory_bytes and process_start_time_seconds; a value that cannot be read is
// left out rather than reported as 0.
void register_process_metrics(Registry& registry);

// Open descriptors (/proc/self/fd) and the soft RLIMIT_NOFILE; nullopt when unreadable.
std::optional<std::int64_t> open_fds();
std::optional<std::uint64_t> max_fds();

// The collector itself: appends those families to `out`.
void append_process_metrics(std::string& out);

}  // namespace rustsocks::metrics

// A PAM worker: a process forked by the monitor that runs one PAM transaction at a time, reading
// request frames from its socket and writing one reply frame for each.
#pragma once

#include <sys/types.h>

#include "core/unique_fd.hpp"
#include "pam_monitor/monitor.hpp"

namespace rustsocks::pam_monitor {

struct SpawnedWorker {
  pid_t pid = -1;
  core::UniqueFd fd;  // the monitor's end of the worker's socket
};

// Forks a worker (call from the single-threaded monitor). The child keeps only its socket and
// stdio, dies with the monitor, and exits when its socket closes. Returns pid -1 and no fd when
// socketpair or fork fails.
SpawnedWorker spawn_pam_worker(const MonitorOptions& options);

}  // namespace rustsocks::pam_monitor

// The privilege-separated PAM monitor (pam.md §3.3). Started as root before the privilege drop
// and before any thread exists, it stays root and does nothing but PAM transactions for the
// configured services: frames (auth/pam_wire.hpp) arrive on one SOCK_SEQPACKET channel per server
// worker and are handed to a small pool of single-threaded PAM worker processes, so one slow PAM
// stack does not hold up everyone. The server side of a channel is auth::PamChannel.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

#include "core/unique_fd.hpp"

namespace rustsocks::pam_monitor {

struct MonitorOptions {
  std::vector<std::string> services;  // the only PAM services a request may name
  unsigned workers = 4;               // PAM worker processes (each one transaction at a time)
  bool verbose = false;               // replies carry PAM's own text (never a password)
};

struct MonitorHandle {
  pid_t pid = -1;
  std::vector<core::UniqueFd> channels;  // one per server worker: wrap each in an auth::PamChannel
};

// Forks the monitor and returns the server's ends of `channels` channels; throws
// std::system_error when a socketpair or the fork fails (start-up only). The child never returns:
// PR_SET_PDEATHSIG(SIGKILL) with a getppid check (it dies with the server), every descriptor but
// its channels and stdio closed, SIGINT/SIGTERM/SIGPIPE ignored (a terminal's Ctrl-C goes to the
// whole process group; the monitor leaves when the server closes the channels), no core dumps.
// It forks options.workers PAM workers, restarts one that dies (with a back-off when one keeps
// dying), routes each request to an idle worker (FIFO queue while all are busy), refuses services
// outside options.services and empty passwords without calling PAM, and wipes password bytes
// (explicit_bzero) after use. Its own log lines go to stderr.
MonitorHandle start_monitor(const MonitorOptions& options, unsigned channels);

// Shutdown and tests: closes the channels (the monitor exits and takes its workers with it),
// waits up to `grace`, then SIGKILLs and reaps it. True when it exited on its own with status 0.
bool stop_monitor(MonitorHandle& handle,
                  std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

}  // namespace rustsocks::pam_monitor

// Process hygiene for the forked PAM monitor and its workers: tie the child's life to its parent,
// keep only the descriptors it needs, and keep terminal signals and core dumps away from it.
#pragma once

#include <span>
#include <string>

#include <sys/types.h>

namespace rustsocks::pam_monitor {

// PR_SET_PDEATHSIG(SIGKILL), then _exit(0) if `parent` is already gone (it may have died before
// the prctl). Linux sends the signal when the thread that forked exits, so fork from the thread
// that lives as long as the process (start_monitor is called before any thread exists).
void die_with_parent(pid_t parent);

// Closes every descriptor except 0, 1, 2 and `keep`.
void close_fds_except(std::span<const int> keep);

// Ignores SIGINT, SIGTERM (sent to the whole foreground process group by a terminal or a shell;
// the monitor must outlive the server's drain and leaves when its channels close) and SIGPIPE;
// unblocks everything else and turns off core dumps and ptrace by non-root (PR_SET_DUMPABLE 0),
// since the process holds passwords.
void harden_child();

// Status text for logs: "exit 1", "signal 9 (Killed)".
std::string describe_status(int status);

}  // namespace rustsocks::pam_monitor

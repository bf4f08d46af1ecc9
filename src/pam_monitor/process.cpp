#include "pam_monitor/process.hpp"

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstring>
#include <vector>

#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rustsocks::pam_monitor {

void die_with_parent(pid_t parent) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): prctl's C interface
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(0);
}

void close_fds_except(std::span<const int> keep) {
  std::vector<int> sorted(keep.begin(), keep.end());
  std::sort(sorted.begin(), sorted.end());
  unsigned next = 3;
  for (int fd : sorted) {
    if (fd < 3) continue;
    const auto kept = static_cast<unsigned>(fd);
    if (kept > next) ::close_range(next, kept - 1, 0);
    next = std::max(next, kept + 1);
  }
  ::close_range(next, UINT_MAX, 0);
}

void harden_child() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  for (int signal : {SIGINT, SIGTERM, SIGPIPE}) {
    ::sigaction(signal, &ignore, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
  ::prctl(PR_SET_DUMPABLE, 0);  // NOLINT(cppcoreguidelines-pro-type-vararg): prctl's C interface
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const char* name = ::sigdescr_np(WTERMSIG(status));
    return "signal " + std::to_string(WTERMSIG(status)) + " (" + (name != nullptr ? name : "?") +
           ")";
  }
  return "exit " + std::to_string(WEXITSTATUS(status));
}

}  // namespace rustsocks::pam_monitor

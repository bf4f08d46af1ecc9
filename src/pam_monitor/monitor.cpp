#include "pam_monitor/monitor.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <memory>
#include <system_error>
#include <thread>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pam_monitor/process.hpp"
#include "pam_monitor/router.hpp"

namespace rustsocks::pam_monitor {
namespace {

// The parent's log sink may be a file whose descriptor the child closes: log to stderr instead.
void log_to_stderr() {
  const auto level = spdlog::default_logger()->level();
  auto logger = std::make_shared<spdlog::logger>("pam_monitor",
                                                 std::make_shared<spdlog::sinks::stderr_sink_st>());
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] [pam monitor %P] %v");
  logger->set_level(level);
  spdlog::set_default_logger(std::move(logger));
}

[[noreturn]] void run_monitor(const MonitorOptions& options, pid_t server,
                              std::vector<core::UniqueFd> channels) {
  try {
    die_with_parent(server);
    harden_child();
    std::vector<int> keep;
    keep.reserve(channels.size());
    for (const auto& channel : channels) {
      keep.push_back(channel.get());
    }
    close_fds_except(keep);
    log_to_stderr();
    Router(options, std::move(channels)).run();
    ::_exit(0);
  } catch (...) {
    ::_exit(1);
  }
}

std::system_error system_failure(const char* what) {
  return {errno, std::generic_category(), what};
}

}  // namespace

MonitorHandle start_monitor(const MonitorOptions& options, unsigned channels) {
  std::vector<core::UniqueFd> server_ends;
  std::vector<core::UniqueFd> monitor_ends;
  for (unsigned i = 0; i < channels; ++i) {
    std::array<int, 2> fds{-1, -1};
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds.data()) != 0) {
      throw system_failure("PAM monitor: socketpair");
    }
    server_ends.emplace_back(fds[0]);
    monitor_ends.emplace_back(fds[1]);
  }
  spdlog::default_logger()->flush();
  std::fflush(nullptr);  // or the child would write out the parent's buffered output again
  const pid_t server = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw system_failure("PAM monitor: fork");
  if (pid == 0) run_monitor(options, server, std::move(monitor_ends));
  spdlog::info("PAM monitor started: pid {}, {} PAM worker(s), {} channel(s)", pid, options.workers,
               channels);
  return MonitorHandle{pid, std::move(server_ends)};
}

bool stop_monitor(MonitorHandle& handle, std::chrono::milliseconds grace) {
  handle.channels.clear();
  if (handle.pid <= 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  pid_t done = 0;
  while ((done = ::waitpid(handle.pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (done == 0) {
    ::kill(handle.pid, SIGKILL);
    ::waitpid(handle.pid, &status, 0);
  }
  handle.pid = -1;
  return done > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace rustsocks::pam_monitor

#include "pam_monitor/pam_worker.hpp"

#include <array>
#include <cerrno>

#include <security/pam_appl.h>

#include <sys/socket.h>
#include <unistd.h>

#include "auth/pam_wire.hpp"
#include "pam_monitor/process.hpp"
#include "pam_monitor/screen.hpp"
#include "pam_monitor/transaction.hpp"

namespace rustsocks::pam_monitor {
namespace {

// The reply to one frame. The frame and the decoded password are wiped before returning.
auth::PamReply answer(std::span<std::uint8_t> frame, const MonitorOptions& options) {
  auto request = auth::decode_request(frame);
  const auto id = auth::peek_request_id(frame).value_or(0);
  auth::wipe(frame);
  if (!request) {
    return auth::PamReply{.id = id,
                          .pam_code = PAM_SYSTEM_ERR,
                          .stage = auth::kStageMonitor,
                          .message = "malformed request"};
  }
  auto reply = screen(*request, options.services);
  if (!reply) reply = run_transaction(*request, options.verbose);
  auth::wipe(request->password);
  return *reply;
}

[[noreturn]] void serve(int fd, const MonitorOptions& options) {
  std::array<std::uint8_t, auth::kMaxRequestSize + 1> buffer{};
  for (;;) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(0);  // the monitor closed our socket or died
    const auto reply =
        auth::encode(answer(std::span(buffer.data(), static_cast<std::size_t>(n)), options));
    if (::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(reply.size())) {
      ::_exit(1);
    }
  }
}

}  // namespace

SpawnedWorker spawn_pam_worker(const MonitorOptions& options) {
  std::array<int, 2> fds{-1, -1};
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds.data()) != 0) return {};
  core::UniqueFd monitor_end(fds[0]);
  core::UniqueFd worker_end(fds[1]);
  const pid_t monitor = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return {};
  if (pid == 0) {
    die_with_parent(monitor);
    const std::array keep{worker_end.get()};
    close_fds_except(keep);
    serve(worker_end.get(), options);
  }
  return SpawnedWorker{pid, std::move(monitor_end)};
}

}  // namespace rustsocks::pam_monitor

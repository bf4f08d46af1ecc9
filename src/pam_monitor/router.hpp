// The PAM monitor's event loop: one poll() over the server channels and the PAM workers' sockets.
// A request is decoded and screened, queued (FIFO) and handed to an idle worker; the worker's
// reply goes back to the channel the request came from. A dead worker's request is answered
// PAM_ABORT (the server fails it closed) and the worker is restarted. Single-threaded, monitor
// only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "auth/pam_wire.hpp"
#include "core/unique_fd.hpp"
#include "pam_monitor/monitor.hpp"

namespace rustsocks::pam_monitor {

class Router {
 public:
  Router(const MonitorOptions& options, std::vector<core::UniqueFd> channels);
  ~Router();  // kills and reaps the workers, wipes queued requests
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;
  Router(Router&&) = delete;
  Router& operator=(Router&&) = delete;

  // Serves until every channel is closed.
  void run();

 private:
  using Clock = std::chrono::steady_clock;
  struct Job {
    std::size_t channel = 0;
    std::uint32_t id = 0;
    std::vector<std::uint8_t> frame;  // holds the password until sent, then wiped
  };
  struct Slot {
    pid_t pid = -1;
    core::UniqueFd fd;
    std::optional<std::pair<std::size_t, std::uint32_t>> serving;  // (channel, id) in flight
    Clock::time_point started{};
    Clock::time_point restart_at{};
    std::chrono::milliseconds backoff{0};
  };

  bool any_channel_open() const;
  // One poll() over every channel and worker socket, then the reads it calls for. False when
  // poll itself fails (other than EINTR).
  bool poll_once();
  void start_due_workers();
  void dispatch();
  int poll_timeout() const;
  void read_channel(std::size_t channel);
  void accept_frame(std::size_t channel, std::span<const std::uint8_t> frame);
  void read_worker(Slot& slot);
  void retire(Slot& slot, std::string_view why);
  void close_channel(std::size_t channel);
  void send_reply(std::size_t channel, const auth::PamReply& reply);

  const MonitorOptions& options_;
  std::vector<core::UniqueFd> channels_;  // an invalid fd: that channel is closed
  std::vector<Slot> slots_;
  std::deque<Job> queue_;
};

}  // namespace rustsocks::pam_monitor

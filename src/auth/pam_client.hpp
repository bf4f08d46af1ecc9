// Server side of PAM: each worker thread owns one PamChannel, its own SOCK_SEQPACKET socket to the
// root PAM monitor (pam_monitor/). authenticate() sends one framed request (auth/pam_wire.hpp)
// and waits for the answer on the worker's event loop, so PAM never blocks a worker; concurrent
// calls share the socket and are matched by request id. Everything fails closed: a dead monitor,
// a timeout or a malformed answer is never a success.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "auth/pam_wire.hpp"
#include "core/asio.hpp"
#include "core/unique_fd.hpp"

namespace rustsocks::auth {

enum class PamVerdict {
  Success,      // pam_authenticate and pam_acct_mgmt both returned PAM_SUCCESS
  Denied,       // PAM (or the monitor's own checks) said no
  Unavailable,  // no verdict: monitor gone, timeout, worker died, monitor overloaded
};

struct PamOutcome {
  PamVerdict verdict = PamVerdict::Unavailable;
  int pam_code = 0;  // PAM's code; PAM_SYSTEM_ERR when there was no verdict
  std::uint8_t stage =
      kStageMonitor;  // where it was decided: kStageAuth, kStageAccount, or not PAM
  std::chrono::microseconds duration{0};
  std::string message;  // for logs (PAM's text when the monitor is verbose); never a password
};

// The verdict a monitor reply stands for: Success needs PAM_SUCCESS at the account stage.
PamOutcome outcome_for(const PamReply& reply);

// PAM_RHOST text for a client address: numeric, no brackets, no scope id, and IPv4-mapped IPv6
// (what a dual-stack socket reports) as dotted IPv4, because pam_access rules on IPv4 addresses
// do not match "::ffff:a.b.c.d" (pam.md §4).
std::string normalise_rhost(const asio::ip::address& address);

class PamChannel {
 public:
  // `fd` is this worker's end of a monitor channel (MonitorHandle::channels). `timeout` bounds
  // every authenticate() call, queueing in the monitor included.
  PamChannel(asio::any_io_executor executor, core::UniqueFd fd, std::chrono::milliseconds timeout);
  ~PamChannel();
  PamChannel(const PamChannel&) = delete;
  PamChannel& operator=(const PamChannel&) = delete;
  PamChannel(PamChannel&&) = delete;
  PamChannel& operator=(PamChannel&&) = delete;

  // Call on the channel's executor only. request.id is assigned here; the password copy is wiped
  // once sent. Never throws for I/O; a dead monitor (logged once) or a timeout gives Unavailable.
  awaitable<PamOutcome> authenticate(PamRequest request);

  // False once the monitor's end is closed (it died or exited) or after close(). Thread-safe.
  bool alive() const;
  // For shutdown: pending calls finish as Unavailable; the monitor sees the channel close.
  void close();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace rustsocks::auth

#include "auth/pam_client.hpp"

#include <array>
#include <atomic>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <security/pam_appl.h>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include "core/log.hpp"

namespace rustsocks::auth {
namespace {

using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
using SeqPacket = asio::generic::seq_packet_protocol;
constexpr auto kTimeoutLogInterval = std::chrono::seconds(10);

// One authenticate() call waiting for its answer. It lives on the caller's coroutine frame; the
// reader fills `reply` (or sets `gone`) and cancels the timer to wake the caller.
struct Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  std::optional<PamReply> reply;
  bool gone = false;
};

std::chrono::microseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

PamOutcome unavailable(std::string why, Clock::time_point started) {
  return PamOutcome{PamVerdict::Unavailable, PAM_SYSTEM_ERR, kStageMonitor, since(started),
                    std::move(why)};
}

}  // namespace

struct PamChannel::State {
  State(asio::any_io_executor ex, core::UniqueFd fd, std::chrono::milliseconds limit)
      : executor(std::move(ex)), socket(executor), timeout(limit) {
    error_code ec;
    socket.assign(SeqPacket(AF_UNIX, 0), fd.get(), ec);
    if (ec) {
      alive = false;
      spdlog::error("pam: cannot use the monitor channel ({}); PAM authentication fails closed",
                    ec.message());
      return;
    }
    fd.release();  // the socket owns it now
  }

  std::uint32_t allocate_id() {
    std::uint32_t id = 0;
    do {
      id = next_id++;
    } while (id == 0 || waiters.contains(id));
    return id;
  }

  void deliver(PamReply reply) {
    auto found = waiters.find(reply.id);
    if (found == waiters.end()) return;  // its caller timed out already
    found->second->reply = std::move(reply);
    found->second->timer.cancel();
  }

  void shut(bool logged, std::string_view why) {
    if (!alive) return;
    alive = false;
    if (logged) {
      spdlog::error("pam: monitor channel closed ({}); PAM authentication fails closed",
                    core::printable(why));
    }
    for (auto& [id, waiter] : waiters) {
      waiter->gone = true;
      waiter->timer.cancel();
    }
    error_code ignored;
    socket.close(ignored);
  }

  void log_timeout() {
    ++timeouts_since_log;
    const auto now = Clock::now();
    if (last_timeout_log != Clock::time_point{} && now - last_timeout_log < kTimeoutLogInterval) {
      return;
    }
    spdlog::warn("pam: {} request(s) got no answer from the monitor within {} ms (failed closed)",
                 timeouts_since_log, timeout.count());
    last_timeout_log = now;
    timeouts_since_log = 0;
  }

  static awaitable<void> read_replies(std::shared_ptr<State> self) {
    std::array<std::uint8_t, kMaxReplySize + 1> buffer{};
    for (;;) {
      asio::socket_base::message_flags flags = 0;
      auto [ec, n] = co_await self->socket.async_receive(asio::buffer(buffer), flags, kNoThrow);
      if (ec || n == 0) {
        self->shut(true, ec ? ec.message() : "end of file");
        co_return;
      }
      auto reply = decode_reply(std::span<const std::uint8_t>(buffer.data(), n));
      if (!reply || (flags & MSG_TRUNC) != 0) {
        spdlog::warn("pam: ignored a malformed reply from the monitor ({} bytes)", n);
        continue;
      }
      self->deliver(std::move(*reply));
    }
  }

  asio::any_io_executor executor;
  SeqPacket::socket socket;
  std::chrono::milliseconds timeout;
  std::unordered_map<std::uint32_t, Waiter*> waiters;
  std::uint32_t next_id = 1;
  std::atomic<bool> alive{true};  // read by the API's health check on the control thread
  Clock::time_point last_timeout_log{};
  std::uint64_t timeouts_since_log = 0;
};

namespace {

// Keeps the waiter registered exactly as long as the call's frame exists, even if the frame is
// destroyed while suspended (io_context shutdown).
class Registration {
 public:
  Registration(std::unordered_map<std::uint32_t, Waiter*>& waiters, std::uint32_t id,
               Waiter& waiter)
      : waiters_(waiters), id_(id) {
    waiters_.emplace(id, &waiter);
  }
  ~Registration() { waiters_.erase(id_); }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  Registration(Registration&&) = delete;
  Registration& operator=(Registration&&) = delete;

 private:
  std::unordered_map<std::uint32_t, Waiter*>& waiters_;
  std::uint32_t id_;
};

}  // namespace

PamOutcome outcome_for(const PamReply& reply) {
  PamOutcome out;
  out.pam_code = reply.pam_code;
  out.stage = reply.stage;
  out.message = reply.message;
  if (reply.stage == kStageAccount && reply.pam_code == PAM_SUCCESS) {
    out.verdict = PamVerdict::Success;
  } else if (reply.stage == kStageMonitor &&
             (reply.pam_code == PAM_ABORT || reply.pam_code == PAM_TRY_AGAIN)) {
    out.verdict = PamVerdict::Unavailable;  // the monitor had no verdict to give
  } else {
    out.verdict = PamVerdict::Denied;
  }
  return out;
}

std::string normalise_rhost(const asio::ip::address& address) {
  if (!address.is_v6()) return address.to_string();
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  v6.scope_id(0);
  return v6.to_string();
}

PamChannel::PamChannel(asio::any_io_executor executor, core::UniqueFd fd,
                       std::chrono::milliseconds timeout)
    : state_(std::make_shared<State>(std::move(executor), std::move(fd), timeout)) {
  if (state_->alive) asio::co_spawn(state_->executor, State::read_replies(state_), asio::detached);
}

PamChannel::~PamChannel() {
  try {
    close();
  } catch (...) {  // only a failed log line can throw here; nothing more to do
  }
}

bool PamChannel::alive() const {
  return state_->alive;
}

void PamChannel::close() {
  state_->shut(false, "closed");
}

awaitable<PamOutcome> PamChannel::authenticate(PamRequest request) {
  const auto state = state_;  // the channel may be destroyed while this call waits
  const auto started = Clock::now();
  if (!state->alive) {
    wipe(request.password);
    co_return unavailable("PAM monitor unavailable", started);
  }
  request.id = state->allocate_id();
  auto frame = encode(request);
  wipe(request.password);
  if (frame.empty()) {
    co_return PamOutcome{PamVerdict::Denied, PAM_SYSTEM_ERR, kStageMonitor, since(started),
                         "request does not fit the PAM frame"};
  }
  Waiter waiter(state->executor);
  waiter.timer.expires_after(state->timeout);
  Registration registration(state->waiters, request.id, waiter);
  // The timeout covers the send too: a monitor that stopped reading fills the socket.
  auto first = co_await (state->socket.async_send(asio::buffer(frame), 0, kNoThrow) ||
                         waiter.timer.async_wait(kNoThrow));
  wipe(frame);
  const bool sent = first.index() == 0;
  const error_code send_error = sent ? std::get<0>(std::get<0>(first)) : error_code{};
  if (send_error && send_error != asio::error::operation_aborted && !waiter.gone) {
    state->shut(true, send_error.message());
  }
  // The answer may already be here: the reader runs while the send completes.
  if (sent && !send_error && !waiter.reply && !waiter.gone) {
    co_await waiter.timer.async_wait(kNoThrow);
  }
  if (waiter.reply) {
    auto outcome = outcome_for(*waiter.reply);
    outcome.duration = since(started);
    co_return outcome;
  }
  if (waiter.gone || send_error) co_return unavailable("PAM monitor unavailable", started);
  if (Clock::now() < waiter.timer.expiry()) co_return unavailable("cancelled", started);
  state->log_timeout();
  co_return unavailable("PAM monitor did not answer in time", started);
}

}  // namespace rustsocks::auth

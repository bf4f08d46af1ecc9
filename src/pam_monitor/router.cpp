#include "pam_monitor/router.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <system_error>

#include <security/pam_appl.h>
#include <spdlog/spdlog.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "core/log.hpp"
#include "pam_monitor/pam_worker.hpp"
#include "pam_monitor/process.hpp"
#include "pam_monitor/screen.hpp"

namespace rustsocks::pam_monitor {
namespace {

using namespace std::chrono_literals;
constexpr std::size_t kMaxQueued = 4096;
constexpr int kFramesPerWakeup = 64;
constexpr std::chrono::milliseconds kFirstBackoff = 100ms;
constexpr std::chrono::milliseconds kMaxBackoff = 5000ms;
constexpr auto kHealthyAfter = 1s;  // a worker that lived this long restarts without delay

bool would_block() {
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

auth::PamReply monitor_reply(std::uint32_t id, int code, std::string message) {
  return auth::PamReply{
      .id = id, .pam_code = code, .stage = auth::kStageMonitor, .message = std::move(message)};
}

}  // namespace

Router::Router(const MonitorOptions& options, std::vector<core::UniqueFd> channels)
    : options_(options), channels_(std::move(channels)), slots_(std::max(1U, options.workers)) {}

Router::~Router() {
  for (auto& slot : slots_) {
    if (slot.pid <= 0) continue;
    slot.fd.reset();
    ::kill(slot.pid, SIGKILL);
    ::waitpid(slot.pid, nullptr, 0);
  }
  for (auto& job : queue_) {
    auth::wipe(job.frame);
  }
}

void Router::run() {
  while (any_channel_open()) {
    start_due_workers();
    dispatch();
    if (!poll_once()) return;
  }
}

bool Router::poll_once() {
  std::vector<pollfd> fds;
  fds.reserve(channels_.size() + slots_.size());
  for (const auto& channel : channels_) {
    fds.push_back(pollfd{channel.valid() ? channel.get() : -1, POLLIN, 0});  // -1: skipped
  }
  for (const auto& slot : slots_) {
    fds.push_back(pollfd{slot.fd.valid() ? slot.fd.get() : -1, POLLIN, 0});
  }
  if (::poll(fds.data(), fds.size(), poll_timeout()) < 0) {
    if (errno == EINTR) return true;
    spdlog::critical("poll failed: {}", std::generic_category().message(errno));
    return false;
  }
  for (std::size_t i = 0; i < channels_.size(); ++i) {
    if (fds[i].revents != 0) read_channel(i);
  }
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (fds[channels_.size() + i].revents != 0) read_worker(slots_[i]);
  }
  return true;
}

bool Router::any_channel_open() const {
  return std::any_of(channels_.begin(), channels_.end(), [](const auto& fd) { return fd.valid(); });
}

void Router::start_due_workers() {
  const auto now = Clock::now();
  for (auto& slot : slots_) {
    if (slot.fd.valid() || now < slot.restart_at) continue;
    auto spawned = spawn_pam_worker(options_);
    slot.started = now;
    if (spawned.pid < 0) {
      spdlog::error("cannot start a PAM worker: {}", std::generic_category().message(errno));
      slot.backoff = std::clamp(slot.backoff * 2, kFirstBackoff, kMaxBackoff);
      slot.restart_at = now + slot.backoff;
      continue;
    }
    slot.pid = spawned.pid;
    slot.fd = std::move(spawned.fd);
  }
}

void Router::dispatch() {
  for (auto& slot : slots_) {
    if (queue_.empty()) return;
    if (!slot.fd.valid() || slot.serving) continue;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    // An idle worker's socket is empty, so this does not block.
    const ssize_t sent =
        ::send(slot.fd.get(), job.frame.data(), job.frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent != static_cast<ssize_t>(job.frame.size())) {
      queue_.push_front(std::move(job));  // not taken: the next worker gets it
      retire(slot, "it did not take a request");
      continue;
    }
    auth::wipe(job.frame);
    slot.serving.emplace(job.channel, job.id);
  }
}

int Router::poll_timeout() const {
  std::optional<Clock::time_point> next;
  for (const auto& slot : slots_) {
    if (!slot.fd.valid()) next = next ? std::min(*next, slot.restart_at) : slot.restart_at;
  }
  if (!next) return -1;
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, kMaxBackoff.count()));
}

void Router::read_channel(std::size_t channel) {
  std::array<std::uint8_t, auth::kMaxRequestSize + 1> buffer{};
  for (int frames = 0; frames < kFramesPerWakeup && channels_[channel].valid(); ++frames) {
    const ssize_t n = ::recv(channels_[channel].get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && would_block()) break;
    if (n <= 0) {
      close_channel(channel);  // the server closed it or exited
      break;
    }
    const std::span<std::uint8_t> frame(buffer.data(), static_cast<std::size_t>(n));
    accept_frame(channel, frame);
    auth::wipe(frame);
  }
}

void Router::accept_frame(std::size_t channel, std::span<const std::uint8_t> frame) {
  auto request = auth::decode_request(frame);
  if (!request) {
    spdlog::warn("malformed request on channel {} ({} bytes)", channel, frame.size());
    if (auto id = auth::peek_request_id(frame)) {
      send_reply(channel, monitor_reply(*id, PAM_SYSTEM_ERR, "malformed request"));
    }
    return;
  }
  auto refusal = screen(*request, options_.services);
  auth::wipe(request->password);
  if (refusal) {
    if (refusal->pam_code == PAM_SERVICE_ERR) {
      spdlog::warn("refused PAM service \"{}\": not in the configuration",
                   core::printable(request->service));
    }
    send_reply(channel, *refusal);
    return;
  }
  if (queue_.size() >= kMaxQueued) {
    send_reply(channel, monitor_reply(request->id, PAM_TRY_AGAIN, "PAM monitor overloaded"));
    return;
  }
  queue_.push_back(Job{channel, request->id, {frame.begin(), frame.end()}});
}

void Router::read_worker(Slot& slot) {
  std::array<std::uint8_t, auth::kMaxReplySize + 1> buffer{};
  const ssize_t n = ::recv(slot.fd.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
  if (n < 0 && (errno == EINTR || would_block())) return;
  if (n <= 0) {
    retire(slot, "its socket closed");
    return;
  }
  auto reply = auth::decode_reply(std::span(buffer.data(), static_cast<std::size_t>(n)));
  if (!reply || !slot.serving || reply->id != slot.serving->second) {
    retire(slot, "it sent an unexpected reply");
    return;
  }
  const auto channel = slot.serving->first;
  slot.serving.reset();
  slot.backoff = 0ms;
  send_reply(channel, *reply);
}

void Router::retire(Slot& slot, std::string_view why) {
  slot.fd.reset();
  int status = 0;
  ::kill(slot.pid, SIGKILL);  // harmless if it already exited: it is a zombie until reaped
  ::waitpid(slot.pid, &status, 0);
  spdlog::warn("PAM worker {} stopped ({}; {}); restarting it", slot.pid, describe_status(status),
               why);
  slot.pid = -1;
  if (slot.serving) {
    send_reply(slot.serving->first, monitor_reply(slot.serving->second, PAM_ABORT,
                                                  "PAM worker died during the transaction"));
    slot.serving.reset();
  }
  const auto now = Clock::now();
  const bool healthy = now - slot.started >= kHealthyAfter;
  slot.backoff = healthy ? 0ms : std::clamp(slot.backoff * 2, kFirstBackoff, kMaxBackoff);
  slot.restart_at = now + slot.backoff;
}

void Router::close_channel(std::size_t channel) {
  channels_[channel].reset();
  for (auto& job : queue_) {
    if (job.channel == channel) auth::wipe(job.frame);
  }
  std::erase_if(queue_, [channel](const Job& job) { return job.channel == channel; });
  spdlog::debug("channel {} closed", channel);
}

void Router::send_reply(std::size_t channel, const auth::PamReply& reply) {
  if (channel >= channels_.size() || !channels_[channel].valid()) return;  // the caller left
  const auto frame = auth::encode(reply);
  const ssize_t sent =
      ::send(channels_[channel].get(), frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent == static_cast<ssize_t>(frame.size())) return;
  if (sent < 0 && would_block()) {
    spdlog::warn("channel {} is full; dropped a reply (the request times out)", channel);
    return;
  }
  close_channel(channel);
}

}  // namespace rustsocks::pam_monitor

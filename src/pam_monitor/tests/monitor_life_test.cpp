// The monitor as a process: its workers die and come back, it dies with the server, it leaves
// when the server closes its channels, it ignores terminal signals, it keeps no stray
// descriptors, and its worker pool serves requests side by side.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>

#include <gtest/gtest.h>
#include <security/pam_appl.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pam_sandbox.hpp"

namespace rustsocks::pam_monitor::testing {
namespace {

using namespace std::chrono_literals;
using auth::PamOutcome;
using auth::PamVerdict;

class PamMonitorLife : public PamMonitorTest {
 protected:
  auth::PamRequest good() { return username_request("rs-user", "alice", "secret"); }
  auth::PamRequest slow() { return username_request("rs-slow", "alice", "secret"); }

  // Starts `request` on channel 0 without waiting; the outcome lands in `out`.
  void begin(auth::PamRequest request, std::optional<PamOutcome>& out) {
    asio::co_spawn(
        io_,
        [this, request, &out]() -> awaitable<void> {
          out = co_await channels_[0]->authenticate(request);
        },
        asio::detached);
  }

  std::vector<pid_t> workers(std::size_t expected) {
    std::vector<pid_t> found;
    eventually([&] { return (found = children_of(monitor_.pid)).size() == expected; });
    return found;
  }

  // True once a worker is inside a transaction of rs-slow (pam_exec's sleep is its child).
  bool slow_transaction_running() {
    for (pid_t worker : children_of(monitor_.pid)) {
      if (!children_of(worker).empty()) return true;
    }
    return false;
  }
};

TEST_F(PamMonitorLife, AKilledWorkerIsRestartedAndTheNextRequestWorks) {
  start({.services = {}, .workers = 1, .verbose = false});
  ASSERT_EQ(authenticate(good()).verdict, PamVerdict::Success);
  auto before = workers(1);
  ASSERT_EQ(before.size(), 1U);
  ASSERT_EQ(::kill(before[0], SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return process_gone(before[0]); }));
  EXPECT_EQ(authenticate(good()).verdict, PamVerdict::Success);
  auto after = workers(1);
  ASSERT_EQ(after.size(), 1U);
  EXPECT_NE(after[0], before[0]);
}

TEST_F(PamMonitorLife, AWorkerDyingMidTransactionFailsOnlyThatRequest) {
  start({.services = {}, .workers = 1, .verbose = false});
  std::optional<PamOutcome> interrupted;
  begin(slow(), interrupted);
  ASSERT_TRUE(run_until([&] { return slow_transaction_running(); }));
  ASSERT_EQ(::kill(workers(1).at(0), SIGKILL), 0);
  ASSERT_TRUE(run_until([&] { return interrupted.has_value(); }, 800ms));
  EXPECT_EQ(interrupted->verdict, PamVerdict::Unavailable);
  EXPECT_EQ(interrupted->pam_code, PAM_ABORT);
  EXPECT_EQ(authenticate(good()).verdict, PamVerdict::Success);
}

TEST_F(PamMonitorLife, AKilledMonitorIsNoticedAtOnceAndEverythingFailsClosed) {
  start({.services = {}, .workers = 2, .verbose = false});
  ASSERT_EQ(authenticate(good()).verdict, PamVerdict::Success);
  auto pool = workers(2);
  std::optional<PamOutcome> pending;
  begin(slow(), pending);
  ASSERT_TRUE(run_until([&] { return slow_transaction_running(); }));
  ASSERT_EQ(::kill(monitor_.pid, SIGKILL), 0);
  ASSERT_TRUE(run_until([&] { return pending.has_value(); }, 800ms));
  EXPECT_EQ(pending->verdict, PamVerdict::Unavailable);
  EXPECT_FALSE(channels_[0]->alive());
  auto after = authenticate(good());
  EXPECT_EQ(after.verdict, PamVerdict::Unavailable);
  EXPECT_LT(after.duration, 100ms);
  for (pid_t worker : pool)
    EXPECT_TRUE(eventually([&] { return process_gone(worker); })) << worker;
}

TEST_F(PamMonitorLife, TheMonitorDiesWithTheServer) {
  int report[2] = {-1, -1};
  ASSERT_EQ(::pipe(report), 0);
  const pid_t server = ::fork();
  ASSERT_GE(server, 0);
  if (server == 0) {  // a stand-in server: starts a monitor, reports its pid, waits to be killed
    auto handle =
        start_monitor({.services = sandbox_services(), .workers = 1, .verbose = false}, 1);
    (void)!::write(report[1], &handle.pid, sizeof handle.pid);
    ::pause();
    ::_exit(0);
  }
  pid_t monitor = -1;
  ASSERT_EQ(::read(report[0], &monitor, sizeof monitor), static_cast<ssize_t>(sizeof monitor));
  ::close(report[0]);
  ::close(report[1]);
  std::vector<pid_t> pool;
  ASSERT_TRUE(eventually([&] { return (pool = children_of(monitor)).size() == 1; }));
  ::kill(server, SIGKILL);
  ::waitpid(server, nullptr, 0);
  EXPECT_TRUE(eventually([&] { return process_gone(monitor); }));
  EXPECT_TRUE(eventually([&] { return process_gone(pool[0]); }));
}

TEST_F(PamMonitorLife, TheMonitorLeavesWhenTheServerClosesItsChannels) {
  start({.services = {}, .workers = 2, .verbose = false}, 2);
  ASSERT_EQ(authenticate(good(), 1).verdict, PamVerdict::Success);
  auto pool = workers(2);
  channels_.clear();
  EXPECT_TRUE(stop_monitor(monitor_));  // it exited on its own, with status 0
  for (pid_t worker : pool)
    EXPECT_TRUE(eventually([&] { return process_gone(worker); })) << worker;
}

TEST_F(PamMonitorLife, TerminalSignalsDoNotStopTheMonitorOrItsWorkers) {
  start({.services = {}, .workers = 1, .verbose = false});
  auto pool = workers(1);
  ASSERT_EQ(pool.size(), 1U);
  for (pid_t pid : {monitor_.pid, pool[0]}) {
    for (int signal : {SIGINT, SIGTERM, SIGPIPE})
      ASSERT_EQ(::kill(pid, signal), 0);
  }
  EXPECT_EQ(authenticate(good()).verdict, PamVerdict::Success);
  EXPECT_FALSE(process_gone(monitor_.pid));
  EXPECT_EQ(children_of(monitor_.pid), pool);
}

std::vector<std::string> open_files(pid_t pid) {
  std::vector<std::string> targets;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    targets.push_back(std::filesystem::read_symlink(entry.path(), ec).string());
  }
  return targets;
}

TEST_F(PamMonitorLife, TheMonitorAndItsWorkersKeepNoStrayDescriptors) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to list a non-dumpable process's descriptors";
  int stray[2] = {-1, -1};
  ASSERT_EQ(::pipe(stray), 0);  // inheritable: the monitor must close it itself
  const auto stray_name =
      std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(stray[0]));
  start({.services = {}, .workers = 1, .verbose = false}, 2);
  ::close(stray[0]);
  ::close(stray[1]);
  // A worker counts as a child from fork() on, before it has closed what it inherited: one answered
  // request means it is in its serving loop, which is the steady state this test inspects.
  ASSERT_EQ(authenticate(good()).verdict, PamVerdict::Success);
  auto pool = workers(1);
  ASSERT_EQ(pool.size(), 1U);
  auto monitor_files = open_files(monitor_.pid);
  auto worker_files = open_files(pool[0]);
  EXPECT_EQ(monitor_files.size(), 3U + 2U + 1U);  // stdio, two channels, one worker socket
  EXPECT_EQ(worker_files.size(), 3U + 1U);        // stdio, its socket
  for (const auto& files : {monitor_files, worker_files}) {
    EXPECT_EQ(std::count(files.begin(), files.end(), stray_name.string()), 0);
  }
}

TEST_F(PamMonitorLife, FiftyConcurrentAuthenticationsAllComplete) {
  start({.services = {}, .workers = 4, .verbose = false}, 2);
  constexpr std::size_t kCalls = 50;
  std::vector<std::optional<PamOutcome>> outcomes(kCalls);
  for (std::size_t i = 0; i < kCalls; ++i) {
    asio::co_spawn(
        io_,
        [this, i, &outcomes]() -> awaitable<void> {
          auto request = username_request("rs-user", "alice", i % 3 == 0 ? "wrong" : "secret");
          outcomes[i] = co_await channels_[i % 2]->authenticate(request);
        },
        asio::detached);
  }
  ASSERT_TRUE(run_until([&] {
    return std::all_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o; });
  }));
  for (std::size_t i = 0; i < kCalls; ++i) {
    EXPECT_EQ(outcomes[i]->verdict, i % 3 == 0 ? PamVerdict::Denied : PamVerdict::Success) << i;
  }
}

TEST_F(PamMonitorLife, ASlowStackDoesNotHoldUpOthersWhileAWorkerIsFree) {
  start({.services = {}, .workers = 2, .verbose = false});
  std::optional<PamOutcome> slow_one;
  std::optional<PamOutcome> fast_one;
  begin(slow(), slow_one);
  ASSERT_TRUE(run_until([&] { return slow_transaction_running(); }));
  begin(good(), fast_one);
  ASSERT_TRUE(run_until([&] { return fast_one.has_value(); }));
  EXPECT_FALSE(slow_one.has_value());
  EXPECT_EQ(fast_one->verdict, PamVerdict::Success);
  EXPECT_LT(fast_one->duration, 500ms);
  ASSERT_TRUE(run_until([&] { return slow_one.has_value(); }));
  EXPECT_EQ(slow_one->verdict, PamVerdict::Success);
  EXPECT_GE(slow_one->duration, 900ms);
}

// The control for the test above: with one worker the fast request waits in the queue.
TEST_F(PamMonitorLife, WithOneWorkerRequestsWaitTheirTurn) {
  start({.services = {}, .workers = 1, .verbose = false});
  std::optional<PamOutcome> slow_one;
  std::optional<PamOutcome> fast_one;
  begin(slow(), slow_one);
  ASSERT_TRUE(run_until([&] { return slow_transaction_running(); }));
  begin(good(), fast_one);
  ASSERT_TRUE(run_until([&] { return fast_one.has_value() && slow_one.has_value(); }));
  EXPECT_EQ(fast_one->verdict, PamVerdict::Success);
  EXPECT_GE(fast_one->duration, 500ms);
}

}  // namespace
}  // namespace rustsocks::pam_monitor::testing

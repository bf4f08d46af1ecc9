// Specification of BlockingPool::run: off-loop execution, resumption on the caller's executor,
// timeout, overload, and safety of late results (run under ASan).
#include "core/blocking_pool.hpp"

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "support/loopback.hpp"

namespace rustsocks::core {
namespace {

using namespace std::chrono_literals;
using testing::run_bounded;

// A gate a job waits on until the test opens it (copyable, as jobs must be).
struct Gate {
  std::shared_ptr<std::promise<void>> opener = std::make_shared<std::promise<void>>();
  std::shared_future<void> opened = opener->get_future().share();
  void open() const { opener->set_value(); }
  void wait() const { opened.wait(); }
};

// Runs a job that blocks until `gate` opens, after announcing that a pool thread has taken it.
std::shared_future<void> occupy(BlockingPool& pool, asio::io_context& io, const Gate& gate) {
  auto taken = std::make_shared<std::promise<void>>();
  auto started = taken->get_future().share();
  asio::co_spawn(io,
                 pool.run(
                     [gate, taken] {
                       taken->set_value();
                       gate.wait();
                       return 0;
                     },
                     60s),
                 asio::detached);
  return started;
}

TEST(BlockingPool, RunsTheJobOnAPoolThreadAndResumesOnTheCallersThread) {
  asio::io_context io;
  BlockingPool pool({.threads = 2});
  const auto caller = std::this_thread::get_id();
  auto job_thread = std::make_shared<std::thread::id>();
  auto op = [&]() -> awaitable<std::pair<std::optional<int>, std::thread::id>> {
    auto job = [job_thread] {
      *job_thread = std::this_thread::get_id();
      return 42;
    };
    auto answer = co_await pool.run(std::move(job), 5s);
    co_return std::pair{answer, std::this_thread::get_id()};
  };
  auto [answer, resumed_on] = run_bounded(io, op());
  EXPECT_EQ(answer, 42);
  EXPECT_NE(*job_thread, caller);
  EXPECT_EQ(resumed_on, caller);
}

TEST(BlockingPool, GivesUpAfterTheTimeoutAndDropsTheLateResult) {
  asio::io_context io;
  Gate gate;
  auto finished = std::make_shared<std::atomic<bool>>(false);
  {
    BlockingPool pool({.threads = 1});
    auto started = std::chrono::steady_clock::now();
    auto answer = run_bounded(io, pool.run(
                                      [gate, finished] {
                                        gate.wait();
                                        finished->store(true);
                                        return std::string(1000, 'x');  // heap: ASan sees misuse
                                      },
                                      100ms));
    EXPECT_FALSE(answer.has_value());
    EXPECT_GE(std::chrono::steady_clock::now() - started, 100ms);
    gate.open();  // the job finishes after its caller has gone
  }               // joins the pool thread
  EXPECT_TRUE(finished->load());
  io.restart();
  EXPECT_EQ(io.poll(), 0U);  // nothing was posted back for the abandoned call
}

TEST(BlockingPool, RefusesAtOnceWhenTheQueueIsFull) {
  asio::io_context io;
  BlockingPool pool({.threads = 1, .max_queue = 1});
  Gate gate;
  auto taken = occupy(pool, io, gate);
  while (taken.wait_for(0ms) != std::future_status::ready) {
    io.run_one_for(10ms);
  }
  asio::co_spawn(io, pool.run([] { return 1; }, 60s), asio::detached);  // fills the queue
  io.run_for(20ms);
  auto started = std::chrono::steady_clock::now();
  auto answer = run_bounded(io, pool.run([] { return 2; }, 10s));
  EXPECT_FALSE(answer.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  gate.open();
}

TEST(BlockingPool, SkipsAJobWhoseCallerGaveUpWhileItWaitedInTheQueue) {
  asio::io_context io;
  BlockingPool pool({.threads = 1});
  Gate gate;
  auto taken = occupy(pool, io, gate);
  while (taken.wait_for(0ms) != std::future_status::ready) {
    io.run_one_for(10ms);
  }
  auto ran = std::make_shared<std::atomic<int>>(0);
  auto skipped = run_bounded(io, pool.run([ran] { return ++*ran; }, 50ms));
  EXPECT_FALSE(skipped.has_value());
  gate.open();
  // FIFO on one thread: once this answers, the abandoned job has been dequeued.
  EXPECT_EQ(run_bounded(io, pool.run([] { return 7; }, 10s)), 7);
  EXPECT_EQ(ran->load(), 0);
}

TEST(BlockingPool, ReturnsNothingWhenTheJobThrows) {
  asio::io_context io;
  BlockingPool pool({.threads = 1});
  auto answer = run_bounded(
      io, pool.run([]() -> int { throw std::runtime_error("job failed on purpose"); }, 5s));
  EXPECT_FALSE(answer.has_value());
}

TEST(BlockingPool, ACancelledWaitReturnsNothingAndTheLateResultIsDropped) {
  using namespace asio::experimental::awaitable_operators;
  asio::io_context io;
  Gate gate;
  BlockingPool pool({.threads = 1});
  auto op = [&]() -> awaitable<bool> {
    asio::steady_timer deadline(co_await asio::this_coro::executor, 50ms);
    auto job = [gate] { return (gate.wait(), 5); };
    auto first = co_await (pool.run(std::move(job), 60s) || deadline.async_wait(kNoThrow));
    co_return first.index() == 1;
  };
  EXPECT_TRUE(run_bounded(io, op()));
  gate.open();
  EXPECT_EQ(run_bounded(io, pool.run([] { return 8; }, 10s)), 8);
}

TEST(BlockingPool, SurvivesTheCallersLoopBeingDestroyedWhileItWaits) {
  BlockingPool pool({.threads = 1});
  Gate gate;
  auto taken = std::make_shared<std::promise<void>>();
  auto started = taken->get_future();
  {
    asio::io_context io;
    asio::co_spawn(io,
                   pool.run(
                       [gate, taken] {
                         taken->set_value();
                         gate.wait();
                         return std::string(1000, 'y');
                       },
                       60s),
                   asio::detached);
    while (started.wait_for(0ms) != std::future_status::ready) {
      io.run_one_for(10ms);
    }
  }  // the waiting coroutine's frame is destroyed with its loop
  gate.open();
}

TEST(BlockingPool, ManyCallersEachGetTheirOwnResult) {
  asio::io_context io;
  BlockingPool pool({.threads = 4});
  constexpr int kCallers = 200;
  std::atomic<int> correct = 0;
  // Parameters, not captures: the coroutine runs after the lambda object is gone.
  auto call = [](BlockingPool& shared, std::atomic<int>& tally, int i) -> awaitable<void> {
    auto job = [i] { return i * 2; };
    auto answer = co_await shared.run(std::move(job), 10s);
    if (answer == i * 2) ++tally;
  };
  for (int i = 0; i < kCallers; ++i) {
    asio::co_spawn(io, call(pool, correct, i), asio::detached);
  }
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (correct.load() < kCallers && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(10ms);
  }
  EXPECT_EQ(correct.load(), kCallers);
}

}  // namespace
}  // namespace rustsocks::core

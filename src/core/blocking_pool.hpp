// A fixed pool of threads for blocking work (getaddrinfo, crypt(3)) so it never runs on a worker's
// event loop. A coroutine co_awaits run(job, timeout): the job runs on a pool thread, its result
// is posted back to the coroutine's own executor, and the coroutine gives up after `timeout`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/asio.hpp"

namespace rustsocks::core {

class BlockingPool {
 public:
  struct Options {
    unsigned threads = 4;
    std::size_t max_queue = 4096;  // jobs waiting for a thread; more are refused at once
  };
  explicit BlockingPool(Options options);
  // Drops the jobs still queued and joins the threads (a running job finishes first). Destroy the
  // pool before the io_contexts it answers to: a job finishing during shutdown posts to them.
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;
  BlockingPool(BlockingPool&&) = delete;
  BlockingPool& operator=(BlockingPool&&) = delete;

  // Runs `job` on a pool thread and resumes the caller on its own executor with the result.
  // nullopt when the queue is full (at once), when `timeout` passes first, when the caller's
  // wait is cancelled, or when the job throws (logged). The job may outlive the call: after a
  // timeout it still runs and its result is dropped, so it must own what it uses (capture by
  // value, or reference services that outlive the pool), never the caller's locals.
  // GCC 12 trap (measured): a lambda temporary inside a co_await expression is destroyed twice
  // when it captures anything with a destructor. Name the job first:
  //   auto job = [host = std::move(host)] { return lookup(host); };
  //   auto answer = co_await pool.run(std::move(job), timeout);
  template <class Job, class R = std::invoke_result_t<Job&>>
  awaitable<std::optional<R>> run(Job job, std::chrono::milliseconds timeout);

 private:
  // Shared by the waiting coroutine and the pool thread. `abandoned` is set under `mutex` when
  // the coroutine stops waiting (or its frame is destroyed); from then on nobody touches `timer`,
  // which lives in that frame, and the result is dropped.
  template <class R>
  struct Call {
    std::mutex mutex;
    bool abandoned = false;
    std::optional<R> result;
    asio::steady_timer* timer = nullptr;
  };
  template <class R>
  struct Abandon {  // RAII: runs however the waiting coroutine ends
    explicit Abandon(std::shared_ptr<Call<R>> shared) : call(std::move(shared)) {}
    ~Abandon() {
      std::lock_guard lock(call->mutex);
      call->abandoned = true;
      call->timer = nullptr;
    }
    Abandon(const Abandon&) = delete;
    Abandon& operator=(const Abandon&) = delete;
    Abandon(Abandon&&) = delete;
    Abandon& operator=(Abandon&&) = delete;
    std::shared_ptr<Call<R>> call;
  };

  bool enqueue(std::function<void()> task);  // false when full or stopping
  void work();
  static void report_exception(std::exception_ptr error) noexcept;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::size_t max_queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

template <class Job, class R>
awaitable<std::optional<R>> BlockingPool::run(Job job, std::chrono::milliseconds timeout) {
  static_assert(std::is_copy_constructible_v<Job>, "jobs are stored in std::function");
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, timeout);
  auto call = std::make_shared<Call<R>>();
  call->timer = &timer;
  const Abandon<R> abandon(call);
  auto task = [call, executor, job = std::move(job)]() mutable {
    {
      std::lock_guard lock(call->mutex);
      if (call->abandoned) return;  // the caller gave up while the job was queued: skip the work
    }
    std::optional<R> result;
    try {
      result.emplace(job());
    } catch (...) {
      report_exception(std::current_exception());
    }
    // Posting under the lock: once the caller has abandoned the call (it and its loop may be
    // gone), no post can start.
    std::lock_guard lock(call->mutex);
    if (call->abandoned) return;
    asio::post(executor, [call, result = std::move(result)]() mutable {
      std::lock_guard relock(call->mutex);
      if (call->abandoned) return;
      call->result = std::move(result);
      call->timer->cancel();  // wakes the caller before its deadline
    });
  };
  if (!enqueue(std::move(task))) co_return std::nullopt;
  (void)co_await timer.async_wait(kNoThrow);  // cancelled by the answer, expired, or aborted
  std::lock_guard lock(call->mutex);
  call->abandoned = true;  // a late answer is dropped from here on
  co_return std::move(call->result);
}

}  // namespace rustsocks::core

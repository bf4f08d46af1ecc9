#include "core/blocking_pool.hpp"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

namespace rustsocks::core {

BlockingPool::BlockingPool(Options options) : max_queue_(options.max_queue) {
  const unsigned count = std::max(options.threads, 1U);
  threads_.reserve(count);
  for (unsigned i = 0; i < count; ++i) {
    threads_.emplace_back([this] { work(); });
  }
}

BlockingPool::~BlockingPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) {
    thread.join();
  }
  // Jobs still queued are destroyed here without running; their callers time out.
}

bool BlockingPool::enqueue(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || tasks_.size() >= max_queue_) return false;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void BlockingPool::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void BlockingPool::report_exception(std::exception_ptr error) noexcept {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const std::exception& e) {
    spdlog::error("blocking job failed: {}", e.what());
  } catch (...) {
    spdlog::error("blocking job failed with a non-standard exception");
  }
}

}  // namespace rustsocks::core

#include "relay/pipe_pool.hpp"

#include <algorithm>
#include <array>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

namespace rustsocks::relay {
namespace {

constexpr std::size_t kDefaultPipeCapacity = 64 * 1024;  // the kernel's default: 16 pages
constexpr std::size_t kUnlimitedBudget = 64UL << 20U;    // per pool, when the kernel sets no limit

}  // namespace

Pipe::Pipe(Pipe&& other) noexcept
    : read_end(std::move(other.read_end)),
      write_end(std::move(other.write_end)),
      owner_(other.owner_),
      capacity_(other.capacity_) {
  other.owner_ = nullptr;
  other.capacity_ = 0;
}

Pipe& Pipe::operator=(Pipe&& other) noexcept {
  if (this != &other) {
    give_back();
    read_end = std::move(other.read_end);
    write_end = std::move(other.write_end);
    owner_ = other.owner_;
    capacity_ = other.capacity_;
    other.owner_ = nullptr;
    other.capacity_ = 0;
  }
  return *this;
}

Pipe::~Pipe() {
  give_back();
}

void Pipe::give_back() {
  if (owner_ != nullptr) owner_->accounted_ -= capacity_;
  owner_ = nullptr;
  capacity_ = 0;
}

std::size_t default_pipe_budget(unsigned workers) {
  std::ifstream in("/proc/sys/fs/pipe-user-pages-soft");
  std::size_t pages = 0;
  if (!(in >> pages)) pages = 16384;  // the kernel's default
  if (pages == 0) return kUnlimitedBudget;
  auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return std::max<std::size_t>(pages * page / 2 / std::max(workers, 1U), kDefaultPipeCapacity);
}

Pipe PipePool::acquire() {
  if (!idle_.empty()) {
    Pipe pipe = std::move(idle_.back());
    idle_.pop_back();
    return pipe;
  }
  std::array<int, 2> fds{-1, -1};
  if (::pipe2(fds.data(), O_NONBLOCK | O_CLOEXEC) != 0) return {};
  core::UniqueFd read_end(fds[0]);
  core::UniqueFd write_end(fds[1]);
  std::size_t capacity = kDefaultPipeCapacity;
  // Enlarge within the budget, trying a quarter of the preferred size when the whole does not
  // fit. A refusal (fs.pipe-max-size, the user over its soft limit) keeps the default size.
  for (auto want : {options_.large, options_.large / 4}) {
    if (want <= kDefaultPipeCapacity || accounted_ + want > options_.budget) continue;
    auto got = ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(want));
    if (got > 0) {
      capacity = static_cast<std::size_t>(got);
      break;
    }
  }
  ++created_;
  accounted_ += capacity;
  return Pipe{std::move(read_end), std::move(write_end), this, capacity};
}

void PipePool::release(Pipe pipe) {
  if (!pipe.valid() || idle_.size() >= options_.max_idle) return;  // closed by its destructor
  idle_.push_back(std::move(pipe));
}

}  // namespace rustsocks::relay

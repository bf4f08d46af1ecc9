#include "relay/pipe_pool.hpp"

#include <array>

#include <fcntl.h>
#include <unistd.h>

namespace rustsocks::relay {

Pipe PipePool::acquire() {
  if (!idle_.empty()) {
    Pipe pipe = std::move(idle_.back());
    idle_.pop_back();
    return pipe;
  }
  std::array<int, 2> fds{-1, -1};
  if (::pipe2(fds.data(), O_NONBLOCK | O_CLOEXEC) != 0) return {};
  // A bigger pipe moves more per splice() call; failure (pipe-max-size, user limits) is harmless.
  (void)::fcntl(fds[1], F_SETPIPE_SZ, pipe_size_);
  ++created_;
  return Pipe{core::UniqueFd(fds[0]), core::UniqueFd(fds[1])};
}

void PipePool::release(Pipe pipe) {
  if (!pipe.valid() || idle_.size() >= max_idle_) return;  // closed by UniqueFd
  idle_.push_back(std::move(pipe));
}

}  // namespace rustsocks::relay

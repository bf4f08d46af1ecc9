// Per-worker pool of non-blocking pipes for the splice() relay. A tunnel borrows a pipe only while
// bytes are in flight and returns it empty, so an idle tunnel holds just its two sockets.
// One pool per worker thread; not thread-safe by design.
#pragma once

#include <cstddef>
#include <vector>

#include "core/unique_fd.hpp"

namespace rustsocks::relay {

struct Pipe {
  core::UniqueFd read_end;
  core::UniqueFd write_end;
  bool valid() const { return read_end.valid() && write_end.valid(); }
};

class PipePool {
 public:
  explicit PipePool(std::size_t max_idle = 64, int pipe_size = 256 * 1024)
      : max_idle_(max_idle), pipe_size_(pipe_size) {}

  // An empty pipe, from the pool or new; invalid when the process is out of file descriptors.
  Pipe acquire();
  // Takes back a pipe that holds no data; a pipe with data in it must be dropped instead.
  void release(Pipe pipe);
  std::size_t idle() const { return idle_.size(); }
  std::size_t created() const { return created_; }

 private:
  std::vector<Pipe> idle_;
  std::size_t max_idle_;
  int pipe_size_;
  std::size_t created_ = 0;
};

}  // namespace rustsocks::relay

// Per-worker pool of non-blocking pipes for the splice() relay. A tunnel borrows a pipe only while
// bytes are in flight and returns it empty, so an idle tunnel holds just its two sockets.
//
// Pipe capacity is what makes splice() cheap per byte (a 1 MiB pipe moves a whole socket buffer
// per call), but the kernel charges it to the user: past fs.pipe-user-pages-soft (64 MiB by
// default) an unprivileged user's new pipes get 2 pages and F_SETPIPE_SZ fails. So each pool
// enlarges pipes only within a byte budget (capacity of its live pipes, in use and idle); past it,
// pipes keep the kernel's default size. One pool per worker thread; not thread-safe by design.
#pragma once

#include <cstddef>
#include <vector>

#include "core/unique_fd.hpp"

namespace rustsocks::relay {

class PipePool;

// Both ends of one pipe. Owns them; when it came from a pool, its capacity goes back to that
// pool's budget when it is closed (the pool must outlive it).
struct Pipe {
  Pipe() = default;
  Pipe(core::UniqueFd read, core::UniqueFd write, PipePool* owner, std::size_t capacity)
      : read_end(std::move(read)),
        write_end(std::move(write)),
        owner_(owner),
        capacity_(capacity) {}
  Pipe(Pipe&& other) noexcept;
  Pipe& operator=(Pipe&& other) noexcept;
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe();

  bool valid() const { return read_end.valid() && write_end.valid(); }
  std::size_t capacity() const { return capacity_; }

  core::UniqueFd read_end;
  core::UniqueFd write_end;

 private:
  void give_back();
  PipePool* owner_ = nullptr;
  std::size_t capacity_ = 0;
};

struct PipePoolOptions {
  std::size_t max_idle = 64;         // empty pipes kept for reuse
  std::size_t large = 1024 * 1024;   // preferred capacity (bytes)
  std::size_t budget = 16UL << 20U;  // capacity of all live pipes above which none is enlarged
};

// The budget of one worker's pool: half of fs.pipe-user-pages-soft shared by `workers` pools
// (the other half is left to default-size pipes and to other processes of the same user).
std::size_t default_pipe_budget(unsigned workers);

class PipePool {
 public:
  PipePool() : PipePool(PipePoolOptions{}) {}
  explicit PipePool(PipePoolOptions options) : options_(options) {}
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;
  ~PipePool() { idle_.clear(); }  // idle pipes give their capacity back while the pool is whole

  // An empty pipe, from the pool or new; invalid when the process is out of file descriptors.
  Pipe acquire();
  // Takes back a pipe that holds no data; a pipe with data in it must be dropped instead.
  void release(Pipe pipe);
  std::size_t idle() const { return idle_.size(); }
  std::size_t created() const { return created_; }
  // Capacity (bytes) of the pipes of this pool that are open now, in use or idle.
  std::size_t accounted() const { return accounted_; }

 private:
  friend struct Pipe;
  std::vector<Pipe> idle_;
  PipePoolOptions options_;
  std::size_t created_ = 0;
  std::size_t accounted_ = 0;
};

}  // namespace rustsocks::relay

// socksbench bulk and rtt: blocking streams through one tunnel each.

#include "common.hpp"

namespace socksbench {

// bulk: N streams, upload to the sink or download from the source.
int cmd_bulk(const Args& a) {
  std::signal(SIGPIPE, SIG_IGN);
  Common c(a);
  long streams = std::max(1L, a.integer("streams", 1));
  std::string dir = a.str("dir", "up");
  double duration = a.num("duration", 4);
  double warmup = a.num("warmup", 0.5);
  Result r{"bulk_" + dir + "_" + std::to_string(streams), {}};

  std::vector<int> fds;
  for (long i = 0; i < streams; ++i) {
    std::string err;
    int fd = open_stream(c.proxy, c.target, err);
    if (fd < 0) {
      for (int f : fds)
        ::close(f);
      r.add("ok", "0").add("error", err);
      r.print();
      return 1;
    }
    fds.push_back(fd);
  }
  struct alignas(64) Counter {
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<bool> failed{false};
  };
  std::vector<Counter> counters(static_cast<std::size_t>(streams));
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    threads.emplace_back([&, i] {
      std::vector<std::uint8_t> buf(128 * 1024, 0xa5);
      while (!stop.load(std::memory_order_relaxed)) {
        ssize_t n = dir == "up" ? ::send(fds[i], buf.data(), buf.size(), MSG_NOSIGNAL)
                                : ::recv(fds[i], buf.data(), buf.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          if (!stop.load()) counters[i].failed = true;
          break;
        }
        counters[i].bytes.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
      }
    });
  }
  auto total = [&] {
    std::uint64_t s = 0;
    for (auto& k : counters)
      s += k.bytes.load();
    return s;
  };
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
  CpuSet cpu(c);
  cpu.start();
  std::uint64_t b0 = total();
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(duration));
  std::uint64_t b1 = total();
  double secs = seconds_since(t0);
  cpu.add_to(r);
  stop = true;
  for (int fd : fds)
    ::shutdown(fd, SHUT_RDWR);
  for (auto& t : threads)
    t.join();
  for (int fd : fds)
    ::close(fd);
  bool failed = std::any_of(counters.begin(), counters.end(),
                            [](const Counter& k) { return k.failed.load(); });
  r.add("gbps", static_cast<double>(b1 - b0) * 8.0 / secs / 1e9, 2).add("seconds", secs, 2);
  r.add("ok", failed ? "0" : "1");
  if (failed) r.add("error", "a stream closed during the run");
  r.print();
  return failed ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// rtt: ping-pong of --size bytes on one open tunnel.
int cmd_rtt(const Args& a) {
  std::signal(SIGPIPE, SIG_IGN);
  Common c(a);
  auto size = static_cast<std::size_t>(std::clamp(a.integer("size", 64), 1L, 65536L));
  double duration = a.num("duration", 3);
  long max_iters = a.integer("max-iters", 2000000);
  long warmup_iters = a.integer("warmup-iters", 2000);
  Result r{"rtt", {}};
  std::string err;
  int fd = open_stream(c.proxy, c.target, err);
  if (fd < 0) {
    r.add("ok", "0").add("error", err);
    r.print();
    return 1;
  }
  set_nodelay(fd);
  std::vector<std::uint8_t> out(size, 0x42), in(size);
  bool ok = true;
  for (long i = 0; i < warmup_iters && ok; ++i)
    ok = write_all(fd, out.data(), size) && read_exact(fd, in.data(), size);
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(std::min(max_iters, 2000000L)));
  CpuSet cpu(c);
  cpu.start();
  auto start = Clock::now();
  while (ok && static_cast<long>(us.size()) < max_iters && seconds_since(start) < duration) {
    auto t0 = Clock::now();
    ok = write_all(fd, out.data(), size) && read_exact(fd, in.data(), size);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  cpu.add_to(r);
  ::close(fd);
  double mean = us.empty() ? std::nan("") : [&] {
    double s = 0;
    for (double x : us)
      s += x;
    return s / static_cast<double>(us.size());
  }();
  r.add("iters", std::to_string(us.size()));
  r.add("p50_us", percentile(us, 0.50), 1)
      .add("p99_us", percentile(us, 0.99), 1)
      .add("mean_us", mean, 1);
  r.add("ok", ok ? "1" : "0");
  if (!ok) r.add("error", "tunnel closed during ping-pong");
  r.print();
  return ok ? 0 : 1;
}

}  // namespace socksbench

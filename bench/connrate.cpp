// socksbench connrate: connection rate with a fixed number of concurrent workers.

#include "common.hpp"
#include "engine.hpp"

namespace socksbench {

int cmd_connrate(const Args& a) {
  std::signal(SIGPIPE, SIG_IGN);
  Common c(a);
  long workers = std::max(1L, a.integer("workers", 50));
  long nthreads = std::clamp(a.integer("threads", 2), 1L, workers);
  double duration = a.num("duration", 4);
  double warmup = a.num("warmup", 0.5);
  double conn_timeout = a.num("conn-timeout", 3);
  auto size = static_cast<std::size_t>(std::clamp(a.integer("size", 64), 1L, 4096L));

  struct Stats {
    std::vector<double> lat_ms;
    std::uint64_t done = 0, errors = 0, timeouts = 0;
    std::string first_error;
  };
  std::vector<Stats> stats(static_cast<std::size_t>(nthreads));
  auto begin = Clock::now();
  auto window_start =
      begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  auto window_end = window_start + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(duration));

  auto run = [&](std::size_t t, long count) {
    Engine eng(c.proxy, c.target, size);
    Stats& s = stats[t];
    s.lat_ms.reserve(1 << 20);
    std::vector<Conn> conns(static_cast<std::size_t>(count));
    auto note_error = [&](const std::string& e) {
      if (Clock::now() >= window_start && Clock::now() < window_end) ++s.errors;
      if (s.first_error.empty()) s.first_error = e;
    };
    auto restart = [&](std::uint32_t i) {
      std::string e = eng.start(conns[i], i);
      if (!e.empty()) note_error(e);
    };
    for (std::uint32_t i = 0; i < conns.size(); ++i)
      restart(i);
    std::vector<epoll_event> evs(256);
    auto last_scan = Clock::now();
    while (Clock::now() < window_end) {
      int n = ::epoll_wait(eng.ep, evs.data(), static_cast<int>(evs.size()), 20);
      auto now = Clock::now();
      for (int k = 0; k < n; ++k) {
        std::uint32_t i = evs[static_cast<std::size_t>(k)].data.u32;
        Conn& cn = conns[i];
        if (cn.st == St::Free) continue;
        std::string err;
        auto step = eng.advance(cn, i, evs[static_cast<std::size_t>(k)].events, err);
        if (step == Engine::Step::Pending) continue;
        if (step == Engine::Step::Done) {
          auto t_end = Clock::now();
          if (t_end >= window_start && t_end < window_end) {
            ++s.done;
            s.lat_ms.push_back(std::chrono::duration<double, std::milli>(t_end - cn.t0).count());
          }
        } else {
          note_error(err);
        }
        eng.drop(cn);
        restart(i);
      }
      if (now - last_scan > std::chrono::milliseconds(100)) {
        last_scan = now;
        for (std::uint32_t i = 0; i < conns.size(); ++i) {
          Conn& cn = conns[i];
          if (cn.st == St::Free) {
            restart(i);  // e.g. connect() failed with EADDRNOTAVAIL: try again
          } else if (std::chrono::duration<double>(now - cn.t0).count() > conn_timeout) {
            ++s.timeouts;
            note_error(std::string("timeout in state ") + state_name(cn.st));
            eng.drop(cn);
            restart(i);
          }
        }
      }
    }
    for (auto& cn : conns)
      eng.drop(cn);
  };

  std::vector<std::thread> threads;
  for (long t = 0; t < nthreads; ++t) {
    long count = workers / nthreads + (t < workers % nthreads ? 1 : 0);
    threads.emplace_back(run, static_cast<std::size_t>(t), count);
  }
  CpuSet cpu(c);
  std::this_thread::sleep_until(window_start);
  cpu.start();
  std::this_thread::sleep_until(window_end);
  Result r{"connrate", {}};
  cpu.add_to(r);
  for (auto& t : threads)
    t.join();

  std::vector<double> lat;
  std::uint64_t done = 0, errors = 0, timeouts = 0;
  std::string first_error;
  for (auto& s : stats) {
    lat.insert(lat.end(), s.lat_ms.begin(), s.lat_ms.end());
    done += s.done;
    errors += s.errors;
    timeouts += s.timeouts;
    if (first_error.empty()) first_error = s.first_error;
  }
  r.add("conn_per_s", static_cast<double>(done) / duration, 0);
  r.add("p50_ms", percentile(lat, 0.50), 3).add("p99_ms", percentile(lat, 0.99), 3);
  r.add("done", std::to_string(done))
      .add("errors", std::to_string(errors))
      .add("timeouts", std::to_string(timeouts));
  r.add("ok", done > 0 ? "1" : "0");
  if (!first_error.empty()) r.add("first_error", first_error);
  r.print();
  return done > 0 ? 0 : 1;
}

// idle: open tunnels (handshake + one echo each), hold them idle, measure the proxy's memory.

}  // namespace socksbench

// socksbench idle: many idle tunnels, and the proxy's memory per tunnel.

#include "common.hpp"
#include "engine.hpp"

namespace socksbench {

int cmd_idle(const Args& a) {
  std::signal(SIGPIPE, SIG_IGN);
  Common c(a);
  std::vector<long> counts;
  {
    std::istringstream in(a.str("counts", "2000,9000"));
    std::string tok;
    while (std::getline(in, tok, ','))
      counts.push_back(std::strtol(tok.c_str(), nullptr, 10));
    std::sort(counts.begin(), counts.end());
  }
  long parallel = std::max(1L, a.integer("parallel", 64));
  double settle = a.num("settle", 1.5);
  double max_seconds = a.num("max-seconds", 120);
  double conn_timeout = a.num("conn-timeout", 5);
  long give_up_after = a.integer("give-up-after", 200);  // consecutive failures before a step stops
  auto size = static_cast<std::size_t>(std::clamp(a.integer("size", 16), 1L, 256L));

  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  std::vector<pid_t> proxy_roots{c.proxy_pid};
  bool measure = c.proxy_pid > 0;
  MemSample m0 = measure ? memory_of(proxy_roots) : MemSample{};
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(max_seconds));

  Engine eng(c.proxy, c.target, size);
  std::vector<Conn> conns(static_cast<std::size_t>(counts.empty() ? 0 : counts.back()));
  std::vector<std::uint32_t> free_slots;
  for (std::size_t i = conns.size(); i-- > 0;)
    free_slots.push_back(static_cast<std::uint32_t>(i));
  long held = 0, in_flight = 0, failures = 0, dropped = 0, consecutive = 0;
  std::string first_error;
  std::vector<epoll_event> evs(1024);
  auto fail = [&](Conn& cn, std::uint32_t i, const std::string& e) {
    if (first_error.empty()) first_error = e;
    eng.drop(cn);
    free_slots.push_back(i);
  };
  // Runs the event loop for up to `secs`, or until `stop()` is true; opens tunnels while `want` >
  // held.
  auto pump = [&](long want, double secs, auto stop) {
    auto until = std::min(deadline, Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                       std::chrono::duration<double>(secs)));
    auto last_scan = Clock::now();
    while (Clock::now() < until && !stop()) {
      while (consecutive < give_up_after && held + in_flight < want && in_flight < parallel &&
             !free_slots.empty()) {
        std::uint32_t i = free_slots.back();
        free_slots.pop_back();
        std::string e = eng.start(conns[i], i);
        if (!e.empty()) {
          ++failures;
          ++consecutive;
          if (first_error.empty()) first_error = e;
          free_slots.push_back(i);
          break;
        }
        ++in_flight;
      }
      int n = ::epoll_wait(eng.ep, evs.data(), static_cast<int>(evs.size()), 10);
      for (int k = 0; k < n; ++k) {
        std::uint32_t i = evs[static_cast<std::size_t>(k)].data.u32;
        Conn& cn = conns[i];
        if (cn.st == St::Free) continue;
        bool was_idle = cn.st == St::Idle;
        std::string err;
        auto step = eng.advance(cn, i, evs[static_cast<std::size_t>(k)].events, err);
        if (step == Engine::Step::Pending) continue;
        if (step == Engine::Step::Done) {
          cn.st = St::Idle;
          --in_flight;
          ++held;
          consecutive = 0;
          continue;
        }
        if (was_idle) {
          --held;
          ++dropped;
        } else {
          --in_flight;
          ++failures;
          ++consecutive;
        }
        fail(cn, i, err);
      }
      auto now = Clock::now();
      if (now - last_scan > std::chrono::milliseconds(200)) {
        last_scan = now;
        for (std::uint32_t i = 0; i < conns.size(); ++i) {
          Conn& cn = conns[i];
          if (cn.st == St::Free || cn.st == St::Idle) continue;
          if (std::chrono::duration<double>(now - cn.t0).count() > conn_timeout) {
            --in_flight;
            ++failures;
            ++consecutive;
            fail(cn, i, std::string("timeout in state ") + state_name(cn.st));
          }
        }
      }
    }
  };

  int rc = 0;
  for (long want : counts) {
    auto t0 = Clock::now();
    consecutive = 0;
    pump(want, max_seconds,
         [&] { return held >= want || (consecutive >= give_up_after && in_flight == 0); });
    double open_secs = seconds_since(t0);
    pump(want, settle, [] { return false; });  // settle; idle tunnels closed meanwhile are counted
    MemSample m = measure ? memory_of(proxy_roots) : MemSample{};
    Result r{"idle_" + std::to_string(want), {}};
    double per = held > 0 && measure
                     ? static_cast<double>(m.anon_kib - m0.anon_kib) / static_cast<double>(held)
                     : std::nan("");
    double per_rss = held > 0 && measure
                         ? static_cast<double>(m.rss_kib - m0.rss_kib) / static_cast<double>(held)
                         : std::nan("");
    double per_pd = held > 0 && measure ? static_cast<double>(m.pdirty_kib - m0.pdirty_kib) /
                                              static_cast<double>(held)
                                        : std::nan("");
    r.add("target", std::to_string(want)).add("held", std::to_string(held));
    r.add("kib_per_tunnel", per, 2)
        .add("rss_kib_per_tunnel", per_rss, 2)
        .add("pdirty_kib_per_tunnel", per_pd, 2);
    if (measure) {
      r.add("anon_kib_before", std::to_string(m0.anon_kib))
          .add("anon_kib_after", std::to_string(m.anon_kib));
      r.add("processes", std::to_string(m.processes));
    }
    r.add("open_s", open_secs, 2)
        .add("failures", std::to_string(failures))
        .add("dropped", std::to_string(dropped));
    r.add("nofile", std::to_string(rl.rlim_cur));
    bool ok = held >= want && failures == 0 && dropped == 0;
    if (want == counts.back()) {
      // Verify: every held tunnel must still echo one more payload.
      long verified = 0;
      for (std::uint32_t i = 0; i < conns.size(); ++i) {
        if (conns[i].st != St::Idle) continue;
        if (!eng.ping(conns[i])) {
          --held;
          ++dropped;
          fail(conns[i], i, "verify: write failed");
        }
      }
      auto vt = Clock::now();
      while (seconds_since(vt) < 15 && Clock::now() < deadline) {
        long busy = 0;
        for (auto& cn : conns)
          busy += cn.st == St::Data ? 1 : 0;
        if (busy == 0) break;
        int n = ::epoll_wait(eng.ep, evs.data(), static_cast<int>(evs.size()), 10);
        for (int k = 0; k < n; ++k) {
          std::uint32_t i = evs[static_cast<std::size_t>(k)].data.u32;
          Conn& cn = conns[i];
          if (cn.st != St::Data) continue;
          std::string err;
          auto step = eng.advance(cn, i, evs[static_cast<std::size_t>(k)].events, err);
          if (step == Engine::Step::Done) {
            cn.st = St::Idle;
            ++verified;
          } else if (step == Engine::Step::Error) {
            --held;
            ++dropped;
            fail(cn, i, "verify: " + err);
          }
        }
      }
      r.add("verified", std::to_string(verified));
      ok = ok && verified == want;
    }
    r.add("ok", ok ? "1" : "0");
    if (!first_error.empty()) r.add("first_error", first_error);
    r.print();
    if (!ok) rc = 1;
  }
  for (auto& cn : conns)
    eng.drop(cn);
  return rc;
}

}  // namespace socksbench

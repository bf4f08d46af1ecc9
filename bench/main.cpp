// socksbench: the load tool behind bench/compare.sh (end-to-end proxy benchmark, loopback only).
//
// Subcommands (every load loop is bounded by a duration and/or a count):
//   target  --echo-port P --sink-port P --source-port P [--threads 2] [--max-seconds 1800]
//           echo (epoll, SO_REUSEPORT, one listener per thread), sink (reads and discards),
//           source (writes until the peer goes away). Runs until SIGTERM or --max-seconds.
//   bulk    --target A [--proxy A] --streams N --dir up|down [--duration S] [--warmup S]
//   rtt     --target A [--proxy A] [--size 64] [--duration S] [--max-iters N]
//   connrate --target A [--proxy A] [--workers 50] [--threads 2] [--duration S] [--size 64]
//   idle    --target A [--proxy A] --counts 2000,9000 [--proxy-pid PID] [--parallel 64]
//   udp-echo --port P [--max-seconds 900]   (UDP echo target, bench/udp.cpp)
//   udp     --target A [--proxy A] [--size 64] [--window 64] [--duration S] [--max-count N]
//   wait    --port P [--timeout S]   (exit 0 once 127.0.0.1:P accepts a connection)
//   table   FILE [--cols direct,rustsocks,dante,microsocks] [--judge rustsocks]
// Common: --proxy-pid PID --target-pid PID (CPU use of those process trees is reported).
// A is "IP:PORT" or "PORT" (127.0.0.1). Without --proxy, the tool talks to the target directly.
// Each measuring subcommand prints one or more lines "RESULT scenario=NAME key=value ...".
// Plain epoll and blocking sockets, no dependencies: a load generator should add as little of its
// own cost as possible and be easy to reason about.

#include "common.hpp"

namespace socksbench {
namespace {

// ---------------------------------------------------------------------------------------------
int cmd_wait(const Args& a) {
  Addr addr = parse_addr(a.str("port", "1080"));
  double timeout = a.num("timeout", 10);
  auto t0 = Clock::now();
  while (seconds_since(t0) < timeout) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa = to_sockaddr(addr);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    ::close(fd);
    if (ok) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 1;
}

}  // namespace
}  // namespace socksbench

using namespace socksbench;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: socksbench target|bulk|rtt|connrate|idle|udp-echo|udp|wait|table "
                 "[--options]\n");
    return 2;
  }
  std::string cmd = argv[1];
  Args args(argc, argv, 2);
  if (cmd == "target") return cmd_target(args);
  if (cmd == "bulk") return cmd_bulk(args);
  if (cmd == "rtt") return cmd_rtt(args);
  if (cmd == "connrate") return cmd_connrate(args);
  if (cmd == "idle") return cmd_idle(args);
  if (cmd == "udp-echo") return cmd_udp_echo(args);
  if (cmd == "udp") return cmd_udp(args);
  if (cmd == "wait") return cmd_wait(args);
  if (cmd == "table") return cmd_table(args);
  die("unknown subcommand " + cmd);
}

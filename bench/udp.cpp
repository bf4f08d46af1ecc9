// socksbench udp-echo and udp: UDP datagrams per second through a SOCKS5 UDP ASSOCIATE relay
// (bench/udp_compare.sh), or directly to the echo target.
//
//   udp-echo --port P [--max-seconds 900]
//       echoes every datagram on 127.0.0.1:P (recvmmsg/sendmmsg batches) until SIGTERM.
//   udp --target A [--proxy A] [--size 64] [--window 64] [--duration 2] [--max-count N]
//       keeps `window` datagrams of `size` payload bytes in flight to the echo target (through
//       the proxy's relay when --proxy is given: the SOCKS UDP header is added and checked) and
//       counts the echoes. A datagram lost anywhere shrinks the window until a 20 ms silence
//       refills it, so loss shows up as a lower rate and in lost=N. Bounded by duration and count.
//   RESULT scenario=udp:SIZE dgram_per_s=... mbit_per_s=... lost=... cpu_...
#include <poll.h>

#include "common.hpp"

namespace socksbench {
namespace {

constexpr std::size_t kBatch = 32;
constexpr std::size_t kMaxDatagram = 65'536;

int udp_socket() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: " + errno_text(errno));
  int size = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  return fd;
}

volatile std::sig_atomic_t g_stop = 0;

}  // namespace

int cmd_udp_echo(const Args& a) {
  Addr addr = parse_addr(a.str("port", "20004"));
  double max_seconds = a.num("max-seconds", 900);
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  int fd = udp_socket();
  sockaddr_in sa = to_sockaddr(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    die("bind: " + errno_text(errno));
  std::vector<std::uint8_t> bytes(kBatch * kMaxDatagram);
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_in, kBatch> from{};
  auto t0 = Clock::now();
  while (!g_stop && seconds_since(t0) < max_seconds) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    for (std::size_t i = 0; i < kBatch; ++i) {
      iov[i] = {bytes.data() + i * kMaxDatagram, kMaxDatagram};
      msgs[i].msg_hdr = msghdr{};
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) continue;
    for (int i = 0; i < n; ++i)
      iov[static_cast<std::size_t>(i)].iov_len = msgs[static_cast<std::size_t>(i)].msg_len;
    int sent = 0;
    while (sent < n) {
      int k = ::sendmmsg(fd, msgs.data() + sent, static_cast<unsigned>(n - sent), 0);
      if (k <= 0) break;
      sent += k;
    }
  }
  ::close(fd);
  return 0;
}

namespace {

struct Flow {
  int fd = -1;
  int control = -1;  // the UDP ASSOCIATE's TCP connection (kept open while measuring)
  sockaddr_in to{};  // the relay, or the target when direct
  std::vector<std::uint8_t> datagram;
  std::size_t header = 0;
};

// UDP ASSOCIATE with DST 0.0.0.0:0 (the client's port is learnt), then the datagram template.
Flow open_flow(const Common& c, std::size_t size) {
  Flow f;
  f.fd = udp_socket();
  sockaddr_in local = to_sockaddr(Addr{c.target.ip, 0});
  local.sin_port = 0;
  if (::bind(f.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
    die("bind: " + errno_text(errno));
  f.to = to_sockaddr(c.target);
  if (c.proxy) {
    f.control = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in ps = to_sockaddr(*c.proxy);
    if (::connect(f.control, reinterpret_cast<sockaddr*>(&ps), sizeof ps) != 0)
      die("connect to proxy: " + errno_text(errno));
    const std::uint8_t greeting[] = {5, 1, 0};
    const std::uint8_t request[] = {5, 3, 0, 1, 0, 0, 0, 0, 0, 0};
    std::array<std::uint8_t, 2> method{};
    std::array<std::uint8_t, 10> reply{};
    if (!write_all(f.control, greeting, sizeof greeting) ||
        !read_exact(f.control, method.data(), 2) || method[1] != 0 ||
        !write_all(f.control, request, sizeof request) ||
        !read_exact(f.control, reply.data(), reply.size()) || reply[1] != 0 || reply[3] != 1) {
      die("UDP ASSOCIATE failed (an IPv4 reply was expected)");
    }
    f.to.sin_family = AF_INET;
    std::memcpy(&f.to.sin_addr, &reply[4], 4);
    std::memcpy(&f.to.sin_port, &reply[8], 2);
    if (f.to.sin_addr.s_addr == 0) f.to.sin_addr = c.proxy->ip;  // a relay that says 0.0.0.0
    f.header = 10;
  }
  f.datagram.assign(f.header + size, 0x5a);
  if (f.header) {
    auto* h = f.datagram.data();
    h[0] = h[1] = h[2] = 0;
    h[3] = 1;
    std::memcpy(h + 4, &c.target.ip, 4);
    std::uint16_t port = htons(c.target.port);
    std::memcpy(h + 8, &port, 2);
  }
  return f;
}

}  // namespace

int cmd_udp(const Args& a) {
  Common c(a);
  auto size = static_cast<std::size_t>(a.integer("size", 64));
  long window = a.integer("window", 64);
  double duration = a.num("duration", 2);
  double warmup = a.num("warmup", 0.3);
  auto max_count = static_cast<std::uint64_t>(a.integer("max-count", 50'000'000));
  Flow f = open_flow(c, size);
  const std::size_t expect = f.datagram.size();
  std::vector<std::uint8_t> in(kMaxDatagram);
  std::uint64_t echoed = 0, lost = 0, bad = 0;
  long in_flight = 0;
  auto send_one = [&] {
    ssize_t n = ::sendto(f.fd, f.datagram.data(), f.datagram.size(), 0,
                         reinterpret_cast<const sockaddr*>(&f.to), sizeof f.to);
    if (n == static_cast<ssize_t>(f.datagram.size())) ++in_flight;
  };
  CpuSet cpu(c);
  bool measuring = false;
  auto t0 = Clock::now();
  Clock::time_point m0{};
  for (;;) {
    double t = seconds_since(t0);
    if (!measuring && t >= warmup) {
      measuring = true;
      echoed = lost = bad = 0;
      cpu.start();
      m0 = Clock::now();
    }
    if (measuring && (seconds_since(m0) >= duration || echoed >= max_count)) break;
    while (in_flight < window)
      send_one();
    pollfd p{f.fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) {  // 20 ms of silence: what is in flight is lost
      lost += static_cast<std::uint64_t>(in_flight);
      in_flight = 0;
      continue;
    }
    for (;;) {
      ssize_t n = ::recv(f.fd, in.data(), in.size(), MSG_DONTWAIT);
      if (n < 0) break;
      --in_flight;
      if (static_cast<std::size_t>(n) == expect) {
        ++echoed;
      } else {
        ++bad;
      }
    }
  }
  double secs = seconds_since(m0);
  Result r{"udp:" + std::to_string(size), {}};
  double rate = static_cast<double>(echoed) / secs;
  r.add("dgram_per_s", rate, 0)
      .add("mbit_per_s", rate * static_cast<double>(size) * 8 * 2 / 1e6, 1)
      .add("lost", static_cast<double>(lost), 0)
      .add("bad", static_cast<double>(bad), 0);
  cpu.add_to(r);
  r.print();
  if (f.control >= 0) ::close(f.control);
  ::close(f.fd);
  return 0;
}

}  // namespace socksbench

// Shared helpers of the socksbench load tool: arguments, sockets, SOCKS5 client, /proc sampling,
// results.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace socksbench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

[[noreturn]] inline void die(const std::string& msg) {
  std::fprintf(stderr, "socksbench: %s\n", msg.c_str());
  std::exit(2);
}

inline std::string errno_text(int e) {
  return std::string(std::strerror(e));
}

// ---------------------------------------------------------------------------------------------
// Arguments: "--key value" pairs plus positionals.
struct Args {
  std::map<std::string, std::string> kv;
  std::vector<std::string> pos;

  Args(int argc, char** argv, int first) {
    for (int i = first; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) == 0) {
        if (i + 1 >= argc) die("missing value for " + a);
        kv[a.substr(2)] = argv[++i];
      } else {
        pos.push_back(a);
      }
    }
  }
  bool has(const std::string& k) const { return kv.count(k) != 0; }
  std::string str(const std::string& k, const std::string& def = "") const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
  double num(const std::string& k, double def) const {
    auto it = kv.find(k);
    if (it == kv.end()) return def;
    char* end = nullptr;
    double v = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0') die("bad number for --" + k + ": " + it->second);
    return v;
  }
  long integer(const std::string& k, long def) const {
    return std::lround(num(k, static_cast<double>(def)));
  }
};

// ---------------------------------------------------------------------------------------------
// Addresses and blocking socket helpers.
struct Addr {
  in_addr ip{};
  std::uint16_t port = 0;  // host order
};

inline Addr parse_addr(const std::string& s) {
  Addr a;
  std::string host = "127.0.0.1";
  std::string port = s;
  if (auto colon = s.rfind(':'); colon != std::string::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (inet_pton(AF_INET, host.c_str(), &a.ip) != 1) die("bad IPv4 address: " + s);
  long p = std::strtol(port.c_str(), nullptr, 10);
  if (p <= 0 || p > 65535) die("bad port: " + s);
  a.port = static_cast<std::uint16_t>(p);
  return a;
}

inline sockaddr_in to_sockaddr(const Addr& a) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr = a.ip;
  sa.sin_port = htons(a.port);
  return sa;
}

inline void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

inline bool write_all(int fd, const void* data, std::size_t len) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (len > 0) {
    ssize_t n = ::send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

inline bool read_exact(int fd, void* data, std::size_t len) {
  auto* p = static_cast<std::uint8_t*>(data);
  while (len > 0) {
    ssize_t n = ::recv(fd, p, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

// SOCKS5 CONNECT request for an IPv4 target: VER CMD RSV ATYP ADDR(4) PORT(2).
inline std::array<std::uint8_t, 10> connect_request(const Addr& target) {
  std::array<std::uint8_t, 10> r{0x05, 0x01, 0x00, 0x01};
  std::memcpy(&r[4], &target.ip, 4);
  r[8] = static_cast<std::uint8_t>(target.port >> 8);
  r[9] = static_cast<std::uint8_t>(target.port & 0xff);
  return r;
}

// Bytes still needed to complete a SOCKS5 reply of which `got` bytes are in `buf`.
// Returns 0 when complete, or -1 when the reply is malformed.
inline long socks_reply_missing(const std::uint8_t* buf, std::size_t got) {
  if (got < 5) return static_cast<long>(5 - got);
  std::size_t total = 0;
  switch (buf[3]) {
    case 0x01:
      total = 10;
      break;
    case 0x04:
      total = 22;
      break;
    case 0x03:
      total = 4 + 1 + static_cast<std::size_t>(buf[4]) + 2;
      break;
    default:
      return -1;
  }
  return static_cast<long>(total) - static_cast<long>(got);
}

// Blocking open of a stream to `target`, through `proxy` (SOCKS5, no auth) when given.
inline int open_stream(const std::optional<Addr>& proxy, const Addr& target, std::string& err) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = "socket: " + errno_text(errno);
    return -1;
  }
  sockaddr_in sa = to_sockaddr(proxy ? *proxy : target);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    err = "connect: " + errno_text(errno);
    ::close(fd);
    return -1;
  }
  if (proxy) {
    const std::uint8_t greeting[3] = {0x05, 0x01, 0x00};
    std::uint8_t reply[262];
    if (!write_all(fd, greeting, 3) || !read_exact(fd, reply, 2)) {
      err = "greeting: connection closed";
    } else if (reply[0] != 0x05 || reply[1] != 0x00) {
      err = "greeting: method refused";
    } else {
      auto req = connect_request(target);
      std::size_t got = 0;
      long missing = 5;
      if (!write_all(fd, req.data(), req.size())) err = "request: write failed";
      while (err.empty() && missing > 0) {
        if (!read_exact(fd, reply + got, static_cast<std::size_t>(missing))) {
          err = "request: connection closed";
          break;
        }
        got += static_cast<std::size_t>(missing);
        missing = socks_reply_missing(reply, got);
        if (missing < 0) err = "request: malformed reply";
      }
      if (err.empty() && reply[1] != 0x00) err = "request: REP=" + std::to_string(reply[1]);
    }
    if (!err.empty()) {
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

// ---------------------------------------------------------------------------------------------
// /proc sampling: CPU time and memory of process trees.
inline std::vector<pid_t> process_tree(const std::vector<pid_t>& roots) {
  std::multimap<pid_t, pid_t> children;
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (end == e->d_name || *end != '\0') continue;
      std::ifstream f("/proc/" + std::string(e->d_name) + "/stat");
      std::string line;
      if (!std::getline(f, line)) continue;
      auto rp = line.rfind(')');
      if (rp == std::string::npos) continue;
      std::istringstream rest(line.substr(rp + 2));
      char state = 0;
      long ppid = 0;
      rest >> state >> ppid;
      children.emplace(static_cast<pid_t>(ppid), static_cast<pid_t>(pid));
    }
    ::closedir(d);
  }
  std::vector<pid_t> out;
  std::vector<pid_t> todo(roots.begin(), roots.end());
  std::set<pid_t> seen;
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    if (p <= 0 || !seen.insert(p).second) continue;
    out.push_back(p);
    auto [b, e] = children.equal_range(p);
    for (auto it = b; it != e; ++it)
      todo.push_back(it->second);
  }
  return out;
}

// utime+stime+cutime+cstime of one process, in clock ticks (0 if it is gone).
inline std::uint64_t process_ticks(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return 0;
  auto rp = line.rfind(')');
  if (rp == std::string::npos) return 0;
  std::istringstream rest(line.substr(rp + 2));
  std::string field;
  std::uint64_t sum = 0;
  // Fields after ')' start at field 3 (state); utime..cstime are fields 14..17.
  for (int i = 3; i <= 17 && (rest >> field); ++i) {
    if (i >= 14) sum += std::strtoull(field.c_str(), nullptr, 10);
  }
  return sum;
}

struct CpuMeter {
  std::vector<pid_t> roots;
  std::uint64_t ticks0 = 0;
  Clock::time_point t0{};
  bool active = false;

  explicit CpuMeter(std::vector<pid_t> r) : roots(std::move(r)) {
    roots.erase(std::remove_if(roots.begin(), roots.end(), [](pid_t p) { return p <= 0; }),
                roots.end());
    active = !roots.empty();
  }
  std::uint64_t ticks() const {
    std::uint64_t sum = 0;
    for (pid_t p : process_tree(roots))
      sum += process_ticks(p);
    return sum;
  }
  void start() {
    if (!active) return;
    ticks0 = ticks();
    t0 = Clock::now();
  }
  // Percent of one core since start(); NaN when no process was given.
  double percent() const {
    if (!active) return std::nan("");
    double secs = seconds_since(t0);
    double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return secs <= 0 ? 0.0 : 100.0 * static_cast<double>(ticks() - ticks0) / hz / secs;
  }
};

struct MemSample {
  long anon_kib = 0;    // sum over the tree of Pss_Anon + Pss_Shmem (shared pages split fairly)
  long rss_kib = 0;     // sum of Rss (counts pages shared between processes several times)
  long pdirty_kib = 0;  // sum of Private_Dirty
  int processes = 0;
};

inline MemSample memory_of(const std::vector<pid_t>& roots) {
  MemSample m;
  for (pid_t p : process_tree(roots)) {
    std::ifstream f("/proc/" + std::to_string(p) + "/smaps_rollup");
    std::string key;
    long value = 0;
    std::string unit;
    bool any = false;
    while (f >> key) {
      if (key.back() != ':') {  // the header line "5555...-7fff... ---p 00000000 00:00 0 [rollup]"
        std::string rest;
        std::getline(f, rest);
        continue;
      }
      f >> value >> unit;
      any = true;
      if (key == "Pss_Anon:" || key == "Pss_Shmem:")
        m.anon_kib += value;
      else if (key == "Rss:")
        m.rss_kib += value;
      else if (key == "Private_Dirty:")
        m.pdirty_kib += value;
    }
    if (any) ++m.processes;
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Results.
struct Result {
  std::string scenario;
  std::vector<std::pair<std::string, std::string>> fields;

  Result& add(const std::string& k, const std::string& v) {
    std::string clean = v;
    std::replace(clean.begin(), clean.end(), ' ', '_');
    fields.emplace_back(k, clean);
    return *this;
  }
  Result& add(const std::string& k, double v, int decimals = 2) {
    if (std::isnan(v)) return add(k, std::string("nan"));
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return add(k, std::string(b));
  }
  void print() const {
    std::string line = "RESULT scenario=" + scenario;
    for (auto& [k, v] : fields)
      line += " " + k + "=" + v;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }
};

inline double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return std::nan("");
  auto idx = static_cast<std::size_t>(std::min<double>(
      static_cast<double>(v.size() - 1), std::floor(q * static_cast<double>(v.size()))));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(idx), v.end());
  return v[idx];
}

struct Common {
  std::optional<Addr> proxy;
  Addr target;
  pid_t proxy_pid = 0;
  pid_t target_pid = 0;

  explicit Common(const Args& a) {
    if (a.has("proxy") && a.str("proxy") != "none" && a.str("proxy") != "direct")
      proxy = parse_addr(a.str("proxy"));
    if (!a.has("target")) die("--target is required");
    target = parse_addr(a.str("target"));
    proxy_pid = static_cast<pid_t>(a.integer("proxy-pid", 0));
    target_pid = static_cast<pid_t>(a.integer("target-pid", 0));
  }
};

// Busy time of the whole machine from /proc/stat (all CPUs, in clock ticks): user..steal minus
// idle, iowait.
inline std::uint64_t machine_busy_ticks() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  std::uint64_t v[8] = {};
  f >> cpu;
  for (auto& x : v)
    f >> x;
  return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];  // user nice system irq softirq steal
}

struct CpuSet {
  CpuMeter proxy, tool, target;
  std::uint64_t busy0 = 0;
  Clock::time_point t0{};
  explicit CpuSet(const Common& c)
      : proxy({c.proxy_pid}), tool({::getpid()}), target({c.target_pid}) {}
  void start() {
    proxy.start();
    tool.start();
    target.start();
    busy0 = machine_busy_ticks();
    t0 = Clock::now();
  }
  // cpu_other: what the rest of the machine used meanwhile (other processes, and softirq time that
  // the kernel did not charge to any of ours), so a noisy neighbour shows up next to the figure.
  void add_to(Result& r) const {
    double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    double machine =
        100.0 * static_cast<double>(machine_busy_ticks() - busy0) / hz / seconds_since(t0);
    double p = proxy.percent(), t = tool.percent(), g = target.percent();
    double other = machine - t - (std::isnan(p) ? 0 : p) - (std::isnan(g) ? 0 : g);
    r.add("cpu_proxy", p, 0)
        .add("cpu_tool", t, 0)
        .add("cpu_target", g, 0)
        .add("cpu_other", std::max(0.0, other), 0);
  }
};

// Subcommands (one file each).
int cmd_target(const Args& a);
int cmd_bulk(const Args& a);
int cmd_rtt(const Args& a);
int cmd_connrate(const Args& a);
int cmd_idle(const Args& a);
int cmd_table(const Args& a);
int cmd_udp_echo(const Args& a);
int cmd_udp(const Args& a);

}  // namespace socksbench

// socksbench target: echo, sink and source servers for the load scenarios.

#include "common.hpp"

namespace socksbench {
namespace {

int make_listener(std::uint16_t port, bool reuseport) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: " + errno_text(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  Addr a = parse_addr(std::to_string(port));
  sockaddr_in sa = to_sockaddr(a);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    die("bind port " + std::to_string(port) + ": " + errno_text(errno));
  if (::listen(fd, 4096) != 0) die("listen: " + errno_text(errno));
  return fd;
}

void echo_loop(int listener) {
  ::fcntl(listener, F_SETFL, O_NONBLOCK);
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::unordered_map<int, std::string> pending;  // unsent echo bytes per connection
  std::vector<epoll_event> events(512);
  std::vector<std::uint8_t> buf(64 * 1024);
  auto close_conn = [&](int fd) {
    pending.erase(fd);
    ::close(fd);  // also removes it from the epoll set
  };
  for (;;) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<std::size_t>(i)].data.fd;
      std::uint32_t e = events[static_cast<std::size_t>(i)].events;
      if (fd == listener) {
        for (;;) {
          int c = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          set_nodelay(c);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      if (e & EPOLLOUT) {
        auto& p = pending[fd];
        ssize_t w = ::send(fd, p.data(), p.size(), MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) {
          close_conn(fd);
          continue;
        }
        if (w > 0) p.erase(0, static_cast<std::size_t>(w));
        if (p.empty()) {
          pending.erase(fd);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = fd;
          ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
        }
        continue;
      }
      if (e & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
        if (r < 0 && errno == EAGAIN) continue;
        if (r <= 0) {
          close_conn(fd);
          continue;
        }
        auto len = static_cast<std::size_t>(r);
        ssize_t w = ::send(fd, buf.data(), len, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) {
          close_conn(fd);
          continue;
        }
        std::size_t sent = w > 0 ? static_cast<std::size_t>(w) : 0;
        if (sent < len) {
          pending[fd].assign(reinterpret_cast<const char*>(buf.data()) + sent, len - sent);
          epoll_event cev{};
          cev.events = EPOLLOUT;
          cev.data.fd = fd;
          ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
        }
      }
    }
  }
}

void blocking_acceptor(int listener, bool source) {
  for (;;) {
    int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    std::thread([c, source] {
      std::vector<std::uint8_t> buf(256 * 1024, 0x5a);
      if (source) {
        while (::send(c, buf.data(), buf.size(), MSG_NOSIGNAL) > 0) {}
      } else {
        while (::recv(c, buf.data(), buf.size(), 0) > 0) {}
      }
      ::close(c);
    }).detach();
  }
}

}  // namespace

int cmd_target(const Args& a) {
  std::signal(SIGPIPE, SIG_IGN);
  auto echo_port = static_cast<std::uint16_t>(a.integer("echo-port", 0));
  auto sink_port = static_cast<std::uint16_t>(a.integer("sink-port", 0));
  auto source_port = static_cast<std::uint16_t>(a.integer("source-port", 0));
  long threads = std::max(1L, a.integer("threads", 2));
  double max_seconds = a.num("max-seconds", 1800);
  if (echo_port != 0) {
    for (long i = 0; i < threads; ++i)
      std::thread(echo_loop, make_listener(echo_port, true)).detach();
  }
  if (sink_port != 0)
    std::thread(blocking_acceptor, make_listener(sink_port, false), false).detach();
  if (source_port != 0)
    std::thread(blocking_acceptor, make_listener(source_port, false), true).detach();
  std::printf("target ready echo=%u sink=%u source=%u\n", echo_port, sink_port, source_port);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::duration<double>(max_seconds));
  std::_Exit(0);
}

}  // namespace socksbench

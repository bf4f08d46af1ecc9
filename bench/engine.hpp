// Non-blocking SOCKS5 client connections driven by epoll, shared by connrate and idle.
#pragma once

#include "common.hpp"

namespace socksbench {

enum class St : std::uint8_t { Free, Connecting, Greeting, Request, Data, Idle };

inline const char* state_name(St s) {
  switch (s) {
    case St::Free:
      return "free";
    case St::Connecting:
      return "connect";
    case St::Greeting:
      return "greeting";
    case St::Request:
      return "request";
    case St::Data:
      return "data";
    case St::Idle:
      return "idle";
  }
  return "?";
}

struct Conn {
  int fd = -1;
  St st = St::Free;
  std::uint16_t got = 0;
  Clock::time_point t0{};
  std::array<std::uint8_t, 264> buf{};
};

struct Engine {
  int ep = -1;
  std::optional<Addr> proxy;
  Addr target;
  std::size_t size = 64;
  std::array<std::uint8_t, 10> request{};
  std::vector<std::uint8_t> payload;

  Engine(const std::optional<Addr>& p, const Addr& t, std::size_t sz)
      : proxy(p), target(t), size(sz) {
    ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1: " + errno_text(errno));
    request = connect_request(target);
    payload.assign(size, 0x37);
  }
  ~Engine() { ::close(ep); }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void watch(Conn& c, std::uint32_t idx, std::uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u32 = idx;
    ::epoll_ctl(ep, op, c.fd, &ev);
  }

  // Starts a new connection; returns an error text or empty.
  std::string start(Conn& c, std::uint32_t idx) {
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return "socket: " + errno_text(errno);
    set_nodelay(c.fd);
    sockaddr_in sa = to_sockaddr(proxy ? *proxy : target);
    c.t0 = Clock::now();
    c.got = 0;
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
      std::string e = "connect: " + errno_text(errno);
      ::close(c.fd);
      c.fd = -1;
      c.st = St::Free;
      return e;
    }
    c.st = St::Connecting;
    watch(c, idx, EPOLLOUT, EPOLL_CTL_ADD);
    return {};
  }

  void drop(Conn& c) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.st = St::Free;
  }

  bool send_small(Conn& c, const void* data, std::size_t len) {
    ssize_t n = ::send(c.fd, data, len, MSG_NOSIGNAL);
    return n == static_cast<ssize_t>(len);  // tiny messages on a fresh socket: all or error
  }

  // Puts an Idle connection back to Data: sends one payload and waits for its echo.
  bool ping(Conn& c) {
    c.got = 0;
    c.st = St::Data;
    return send_small(c, payload.data(), payload.size());
  }

  enum class Step { Pending, Done, Error };

  // Advances a connection on an epoll event. On Error, `err` says why; the caller drops it.
  Step advance(Conn& c, std::uint32_t idx, std::uint32_t events, std::string& err) {
    if (c.st == St::Connecting) {
      int so = 0;
      socklen_t len = sizeof so;
      ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &so, &len);
      if (so != 0 || (events & EPOLLERR)) {
        err = std::string("connect: ") + errno_text(so != 0 ? so : ECONNREFUSED);
        return Step::Error;
      }
      bool sent =
          proxy ? send_small(c, "\x05\x01\x00", 3) : send_small(c, payload.data(), payload.size());
      if (!sent) {
        err = "first write failed";
        return Step::Error;
      }
      c.st = proxy ? St::Greeting : St::Data;
      c.got = 0;
      watch(c, idx, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
      return Step::Pending;
    }
    if (c.st == St::Idle) {
      err = "idle tunnel closed or got unexpected data";
      return Step::Error;
    }
    // Read exactly what the current message still needs (never more).
    for (;;) {
      std::size_t want = 0;
      if (c.st == St::Greeting)
        want = 2u - c.got;
      else if (c.st == St::Request) {
        long m = socks_reply_missing(c.buf.data(), c.got);
        if (m < 0) {
          err = "malformed CONNECT reply";
          return Step::Error;
        }
        want = static_cast<std::size_t>(m);
      } else
        want = size - c.got;
      if (want == 0) break;
      std::uint8_t* dst = c.st == St::Data ? c.buf.data() : c.buf.data() + c.got;
      std::size_t cap = c.st == St::Data ? std::min(want, c.buf.size()) : want;
      ssize_t n = ::recv(c.fd, dst, cap, 0);
      if (n < 0 && errno == EAGAIN) return Step::Pending;
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        err =
            std::string(state_name(c.st)) + ": " + (n == 0 ? "closed by peer" : errno_text(errno));
        return Step::Error;
      }
      c.got = static_cast<std::uint16_t>(c.got + n);
      if (static_cast<std::size_t>(n) < cap) return Step::Pending;
      if (c.st == St::Greeting && c.got == 2) {
        if (c.buf[0] != 0x05 || c.buf[1] != 0x00) {
          err = "greeting refused";
          return Step::Error;
        }
        if (!send_small(c, request.data(), request.size())) {
          err = "request write failed";
          return Step::Error;
        }
        c.st = St::Request;
        c.got = 0;
      } else if (c.st == St::Request && c.got >= 5 &&
                 socks_reply_missing(c.buf.data(), c.got) == 0) {
        if (c.buf[1] != 0x00) {
          err = "CONNECT REP=" + std::to_string(c.buf[1]);
          return Step::Error;
        }
        if (!ping(c)) {
          err = "data write failed";
          return Step::Error;
        }
      } else if (c.st == St::Data && c.got >= size) {
        return Step::Done;
      }
    }
    return Step::Pending;
  }
};

// connrate: W workers each loop connect -> greeting -> CONNECT -> request/echo -> close.

}  // namespace socksbench

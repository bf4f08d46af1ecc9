// The API's HTTP/1.1 server (Boost.Beast) on the control thread's io_context: workers never
// serve HTTP. Per connection: keep-alive, a read deadline for each request (slow and idle clients
// are closed), headers up to 8 KiB (431) and bodies up to 64 KiB (413); over max_connections a
// new connection gets a canned 429 and is closed at once. Requests go to the Router.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "api/router.hpp"
#include "core/asio.hpp"
#include "core/unique_fd.hpp"

namespace rustsocks::api {

inline constexpr std::size_t kBodyLimit = 64UL * 1024;
inline constexpr std::size_t kHeaderLimit = 8UL * 1024;

struct BoundListener {
  core::UniqueFd fd;
  tcp::endpoint endpoint;  // the real one (port 0 resolved)
};

// Binds and listens (call as root, before the privilege drop). Throws boost::system::system_error
// naming the address and port.
BoundListener bind_api_listener(const tcp::endpoint& endpoint);

struct ServerState;  // server.cpp: what the accept loop and the connections share

class Server {
 public:
  struct Options {
    std::size_t max_connections = 64;
    std::chrono::milliseconds read_timeout{10'000};
  };
  // `router` must outlive every call to the io_context's run().
  Server(asio::io_context& io, BoundListener listener, Router& router, Options options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  Server(Server&&) = delete;
  Server& operator=(Server&&) = delete;

  tcp::endpoint endpoint() const { return endpoint_; }
  void start();  // spawns the accept loop on the io_context
  void stop();   // on the io_context's thread: closes the acceptor and every connection

 private:
  std::shared_ptr<ServerState> state_;
  tcp::endpoint endpoint_;
};

}  // namespace rustsocks::api

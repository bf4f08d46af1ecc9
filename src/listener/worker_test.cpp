#include "listener/worker.hpp"

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace rustsocks::listener {
namespace {

int nodelay(int fd) {
  int value = -1;
  socklen_t size = sizeof value;
  EXPECT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &size), 0);
  return value;
}

// Sessions do not set TCP_NODELAY on the client leg themselves: the listener carries it.
TEST(BindListener, AcceptedSocketsInheritTcpNoDelay) {
  auto listener = bind_listener(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), 16);
  asio::io_context io;
  tcp::acceptor acceptor(io);
  acceptor.assign(listener.endpoint.protocol(), listener.fd.release());
  EXPECT_NE(nodelay(acceptor.native_handle()), 0);
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::endpoint peer;
  auto accepted = acceptor.accept(peer);
  EXPECT_NE(nodelay(accepted.native_handle()), 0);
  EXPECT_EQ(peer, client.local_endpoint());
}

TEST(WorkerCount, IsTheConfiguredNumberOrOnePerCore) {
  config::Config config;
  config.server.workers = 3;
  EXPECT_EQ(worker_count(config), 3U);
  config.server.workers = 0;
  EXPECT_EQ(worker_count(config), std::max(1U, std::thread::hardware_concurrency()));
}

}  // namespace
}  // namespace rustsocks::listener

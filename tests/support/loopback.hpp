// Test support: connected loopback socket pairs and a bounded way to run a coroutine to the end.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <utility>

#include <gtest/gtest.h>

#include "core/asio.hpp"

namespace rustsocks::testing {

// Two connected TCP sockets on 127.0.0.1 (an accepted one and a connected one).
inline std::pair<tcp::socket, tcp::socket> loopback_pair(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket connected(io);
  connected.connect(acceptor.local_endpoint());
  tcp::socket accepted = acceptor.accept();
  return {std::move(accepted), std::move(connected)};
}

// Runs `op` on `io` until it completes, failing the test if it takes longer than `limit`.
template <class T>
T run_bounded(asio::io_context& io, asio::awaitable<T> op,
              std::chrono::seconds limit = std::chrono::seconds(20)) {
  std::optional<T> result;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, T value) {
    failure = e;
    result = std::move(value);
  });
  io.restart();
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!result && !failure && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  if (failure) std::rethrow_exception(failure);
  if (!result) throw std::runtime_error("coroutine did not finish within the limit");
  return std::move(*result);
}

}  // namespace rustsocks::testing

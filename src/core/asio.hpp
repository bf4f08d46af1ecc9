// The Asio vocabulary used by the I/O modules: coroutine types, the no-throw completion token and
// a deadline helper. Pure modules (socks5, config) never include this.
#pragma once

#include <chrono>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

namespace rustsocks {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
template <class T>
using awaitable = asio::awaitable<T>;

inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

}  // namespace rustsocks

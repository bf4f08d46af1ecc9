// The Asio vocabulary used by the I/O modules: coroutine types, the no-throw completion token and
// a deadline helper. Pure modules (socks5, config) never include this.
#pragma once

#include <chrono>
#include <string>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

namespace rustsocks {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
template <class T>
using awaitable = asio::awaitable<T>;

inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// "1.2.3.4:80" or "[::1]:80" for logs; an IPv4-mapped IPv6 address is shown as IPv4.
inline std::string endpoint_text(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  auto text = address.to_string();
  if (address.is_v6()) text = "[" + text + "]";
  return text + ":" + std::to_string(endpoint.port());
}

}  // namespace rustsocks

#include <string>

#include <arpa/inet.h>

#include "socks5/messages.hpp"

namespace rustsocks::socks5 {

std::string to_string(const Target& target) {
  std::string host;
  if (const auto* v4 = std::get_if<Ipv4>(&target.address)) {
    std::array<char, INET_ADDRSTRLEN> text{};
    ::inet_ntop(AF_INET, v4->bytes.data(), text.data(), text.size());
    host = text.data();
  } else if (const auto* v6 = std::get_if<Ipv6>(&target.address)) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    ::inet_ntop(AF_INET6, v6->bytes.data(), text.data(), text.size());
    host = "[" + std::string(text.data()) + "]";
  } else {
    // Domains are client bytes: escape anything that is not printable ASCII before it hits a log.
    for (char c : std::get<Domain>(target.address).name) {
      auto byte = static_cast<unsigned char>(c);
      if (byte >= 0x21 && byte < 0x7F && c != '\\') {
        host.push_back(c);
      } else {
        constexpr const char* kHex = "0123456789abcdef";
        host += "\\x";
        host.push_back(kHex[byte >> 4U]);
        host.push_back(kHex[byte & 0xFU]);
      }
    }
  }
  return host + ":" + std::to_string(target.port);
}

}  // namespace rustsocks::socks5

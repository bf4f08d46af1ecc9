#include <algorithm>

#include "socks5/messages.hpp"

namespace rustsocks::socks5 {

bool Greeting::offers(Method m) const {
  return std::find(methods.begin(), methods.end(), m) != methods.end();
}

Parse<Greeting> parse_greeting(std::span<const std::uint8_t> in) {
  ByteReader r{in};
  auto version = r.u8();
  if (!version) return Incomplete{};
  if (*version != kVersion) return core::Errc::BadVersion;
  auto count = r.u8();
  if (!count) return Incomplete{};
  if (*count == 0) return core::Errc::NoMethods;
  auto raw = r.bytes(*count);
  if (!raw) return Incomplete{};
  Greeting greeting;
  greeting.methods.reserve(raw->size());
  for (auto byte : *raw)
    greeting.methods.push_back(static_cast<Method>(byte));
  return Complete<Greeting>{std::move(greeting), r.consumed()};
}

std::array<std::uint8_t, 2> encode_method_selection(Method method) {
  return {kVersion, static_cast<std::uint8_t>(method)};
}

}  // namespace rustsocks::socks5

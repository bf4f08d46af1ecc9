// Result type shared by the SOCKS5 parsers: a message needs more bytes, is complete, or is invalid.
// Parsers are pure functions over the bytes buffered so far; they never read past the end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>

#include "core/errc.hpp"

namespace rustsocks::socks5 {

struct Incomplete {};
template <class Message>
struct Complete {
  Message message;
  std::size_t consumed = 0;
};
template <class Message>
using Parse = std::variant<Incomplete, Complete<Message>, core::Errc>;

// Bounds-checked reads: every accessor returns nullopt instead of reading past the end.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> in) : in_(in) {}
  std::optional<std::uint8_t> u8() {
    if (pos_ + 1 > in_.size()) return std::nullopt;
    return in_[pos_++];
  }
  std::optional<std::uint16_t> u16() {
    if (pos_ + 2 > in_.size()) return std::nullopt;
    auto value = static_cast<std::uint16_t>((in_[pos_] << 8U) | in_[pos_ + 1]);
    pos_ += 2;
    return value;
  }
  std::optional<std::span<const std::uint8_t>> bytes(std::size_t n) {
    if (pos_ + n > in_.size()) return std::nullopt;
    auto out = in_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::size_t consumed() const { return pos_; }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

}  // namespace rustsocks::socks5

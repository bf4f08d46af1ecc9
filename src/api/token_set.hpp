// API bearer tokens. Only SHA-256 digests of the configured tokens are kept; a presented token is
// hashed and compared with every digest in constant time (CRYPTO_memcmp, no early exit), so
// neither the length nor the matching prefix of a token leaks through timing.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace rustsocks::api {

class TokenSet {
 public:
  explicit TokenSet(const std::vector<std::string>& tokens);

  bool empty() const { return digests_.empty(); }
  // True when `authorization` is "Bearer <token>" (scheme case-insensitive) for a known token.
  bool authorizes(std::string_view authorization) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  static Digest digest(std::string_view text);
  std::vector<Digest> digests_;
};

}  // namespace rustsocks::api

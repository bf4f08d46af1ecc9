#include "api/token_set.hpp"

#include <algorithm>
#include <cctype>
#include <new>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace rustsocks::api {

TokenSet::TokenSet(const std::vector<std::string>& tokens) {
  for (const auto& token : tokens)
    digests_.push_back(digest(token));
}

TokenSet::Digest TokenSet::digest(std::string_view text) {
  Digest out{};
  unsigned int length = 0;
  // SHA-256 fails only when memory runs out; never go on with a made-up digest.
  if (EVP_Digest(text.data(), text.size(), out.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::bad_alloc();
  }
  return out;
}

bool TokenSet::authorizes(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (digests_.empty() || authorization.size() <= kScheme.size()) return false;
  const bool scheme = std::equal(
      kScheme.begin(), kScheme.end(), authorization.begin(),
      [](char want, char got) { return want == std::tolower(static_cast<unsigned char>(got)); });
  if (!scheme) return false;
  auto token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  const Digest presented = digest(token);
  int matched = 0;
  for (const auto& known : digests_) {
    matched |= static_cast<int>(CRYPTO_memcmp(known.data(), presented.data(), known.size()) == 0);
  }
  return matched != 0;
}

}  // namespace rustsocks::api

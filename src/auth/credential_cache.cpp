#include "auth/credential_cache.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace rustsocks::auth {
namespace {

struct MacFree {
  void operator()(EVP_MAC* mac) const noexcept { EVP_MAC_free(mac); }
};
struct MacContextFree {
  void operator()(EVP_MAC_CTX* context) const noexcept { EVP_MAC_CTX_free(context); }
};
using MacContext = std::unique_ptr<EVP_MAC_CTX, MacContextFree>;

// The HMAC algorithm, fetched once: EVP_MAC objects are immutable and shared across threads.
EVP_MAC* hmac() {
  static const std::unique_ptr<EVP_MAC, MacFree> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  return mac.get();
}

// Feeds one field as an 8-byte little-endian length and its bytes, so ("a", "bc") and
// ("ab", "c") differ.
bool update_field(EVP_MAC_CTX* context, std::string_view field) {
  std::array<unsigned char, 8> length{};
  auto size = static_cast<std::uint64_t>(field.size());
  for (auto& byte : length) {
    byte = static_cast<unsigned char>(size & 0xFFU);
    size >>= 8U;
  }
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): char bytes as unsigned char
  const auto* bytes = reinterpret_cast<const unsigned char*>(field.data());
  return EVP_MAC_update(context, length.data(), length.size()) == 1 &&
         EVP_MAC_update(context, bytes, field.size()) == 1;
}

}  // namespace

CredentialCache::CredentialCache(Options options, Now now)
    : options_(options), now_(std::move(now)) {
  if (hmac() == nullptr) throw std::runtime_error("OpenSSL has no HMAC");
  if (RAND_bytes(hmac_key_.data(), static_cast<int>(hmac_key_.size())) != 1) {
    throw std::runtime_error("OpenSSL could not draw a random key");
  }
}

CredentialCache::~CredentialCache() {
  OPENSSL_cleanse(hmac_key_.data(), hmac_key_.size());
}

CredentialCache::Key CredentialCache::key_of(std::string_view method, std::string_view user,
                                             std::string_view password) const {
  MacContext context(EVP_MAC_CTX_new(hmac()));
  std::string digest = "SHA256";  // OSSL_PARAM wants a mutable string
  const std::array<OSSL_PARAM, 2> params{
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_end()};
  Key out{};
  std::size_t length = 0;
  const bool done =
      context != nullptr &&
      EVP_MAC_init(context.get(), hmac_key_.data(), hmac_key_.size(), params.data()) == 1 &&
      update_field(context.get(), method) && update_field(context.get(), user) &&
      update_field(context.get(), password) &&
      EVP_MAC_final(context.get(), out.data(), &length, out.size()) == 1 && length == out.size();
  // Only on allocation failure inside OpenSSL; callers then simply verify again.
  if (!done) throw std::runtime_error("HMAC-SHA256 failed");
  return out;
}

bool CredentialCache::contains(std::string_view method, std::string_view user,
                               std::string_view password) const {
  if (options_.ttl <= Clock::duration::zero()) return false;
  return contains(method, user, password, now_());
}

bool CredentialCache::contains(std::string_view method, std::string_view user,
                               std::string_view password, Clock::time_point now) const {
  if (options_.ttl <= Clock::duration::zero()) return false;
  const auto key = key_of(method, user, password);
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(key);
  if (found == entries_.end()) return false;
  if (now < found->second.expires) return true;
  oldest_.erase(found->second.age);
  entries_.erase(found);
  return false;
}

void CredentialCache::insert(std::string_view method, std::string_view user,
                             std::string_view password) {
  if (options_.ttl <= Clock::duration::zero()) return;
  insert(method, user, password, now_());
}

void CredentialCache::insert(std::string_view method, std::string_view user,
                             std::string_view password, Clock::time_point now) {
  if (options_.ttl <= Clock::duration::zero() || options_.max_entries == 0) return;
  const auto key = key_of(method, user, password);
  std::lock_guard lock(mutex_);
  drop_expired(now);
  if (auto found = entries_.find(key); found != entries_.end()) {
    oldest_.splice(oldest_.end(), oldest_, found->second.age);  // now the youngest
    found->second.expires = now + options_.ttl;
    return;
  }
  while (entries_.size() >= options_.max_entries) {
    entries_.erase(oldest_.front());
    oldest_.pop_front();
  }
  oldest_.push_back(key);
  entries_.emplace(key, Entry{now + options_.ttl, std::prev(oldest_.end())});
}

void CredentialCache::drop_expired(Clock::time_point now) {
  while (!oldest_.empty()) {
    const auto found = entries_.find(oldest_.front());
    if (now < found->second.expires) return;
    entries_.erase(found);
    oldest_.pop_front();
  }
}

void CredentialCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
  oldest_.clear();
}

std::size_t CredentialCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace rustsocks::auth

// A short-lived memory of SUCCESSFUL logins (Squid's credentialsttl): a client that opens many
// connections with the same username and password pays for yescrypt or PAM once per TTL, not
// once per connection. One instance is shared by all workers; every member is thread-safe.
//
// Rule for callers: insert() only after a verification SUCCEEDED. A failed login never enters
// the cache (so it can neither be replayed from it nor evict good entries), and a hit counts as
// a success only for the same method/service, username and password.
//
// The cache never holds a password: an entry is HMAC-SHA256(key, method, user, password) with a
// random 32-byte key drawn per instance (so per process) and wiped on destruction.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <list>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace rustsocks::auth {

class CredentialCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;  // injected so tests control time
  using Key = std::array<std::uint8_t, 32>;

  struct Options {
    Clock::duration ttl{};           // how long a success is remembered; 0 disables the cache
    std::size_t max_entries = 4096;  // when full, the oldest entry goes
  };

  // Throws std::runtime_error when no random key or HMAC is available (start-up only).
  explicit CredentialCache(Options options, Now now = &Clock::now);
  ~CredentialCache();
  CredentialCache(const CredentialCache&) = delete;
  CredentialCache& operator=(const CredentialCache&) = delete;
  CredentialCache(CredentialCache&&) = delete;
  CredentialCache& operator=(CredentialCache&&) = delete;

  // True when these exact credentials succeeded for `method` (e.g. "static" or the PAM service)
  // less than ttl ago. `now` defaults to the injected clock.
  bool contains(std::string_view method, std::string_view user, std::string_view password) const;
  bool contains(std::string_view method, std::string_view user, std::string_view password,
                Clock::time_point now) const;

  // Remembers a successful login until now + ttl (refreshing an existing entry). No-op when the
  // TTL is 0.
  void insert(std::string_view method, std::string_view user, std::string_view password);
  void insert(std::string_view method, std::string_view user, std::string_view password,
              Clock::time_point now);

  void clear();  // e.g. after the user list is reloaded
  std::size_t size() const;

  // The entry key for these credentials: HMAC-SHA256 over the length-prefixed fields. Public so
  // tests can check what is stored.
  Key key_of(std::string_view method, std::string_view user, std::string_view password) const;

 private:
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept {
      std::size_t out = 0;  // HMAC output is uniform: any bytes make a good hash
      std::memcpy(&out, key.data(), sizeof out);
      return out;
    }
  };
  struct Entry {
    Clock::time_point expires;
    std::list<Key>::iterator age;  // position in oldest_
  };
  void drop_expired(Clock::time_point now);  // needs mutex_

  Options options_;
  Now now_;
  std::array<std::uint8_t, 32> hmac_key_{};
  mutable std::mutex mutex_;
  // Entries in insertion order, oldest first; with one TTL that is also expiry order.
  mutable std::list<Key> oldest_;
  mutable std::unordered_map<Key, Entry, KeyHash> entries_;
};

}  // namespace rustsocks::auth

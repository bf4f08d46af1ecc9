// The users listed in the config (`[[auth.users]]`) for RFC 1929 username/password logins: each
// has a crypt(3) hash or, for RustSocks compatibility, a plain-text password. Immutable after
// create(); verify() may run on several threads at once. It is CPU-bound (about 35 ms for
// yescrypt): callers run it on a core::BlockingPool, never on a worker's event loop.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "auth/password_hash.hpp"

namespace rustsocks::auth {

struct StaticUser {
  std::string username{};
  std::string password_hash{};  // crypt(3): yescrypt $y$, SHA-512 $6$, bcrypt $2b$/$2y$/$2a$; or
  std::string password{};       // plain text (RustSocks' `password` key) when there is no hash
};

class StaticUsers {
 public:
  // Checks a password against a crypt(3) hash: verify_password, or a probe in tests.
  using HashVerifier = std::function<bool(std::string_view password, std::string_view hash)>;

  // Validates the list: at least one user; names of 1 to 255 bytes (RFC 1929) and unique;
  // exactly one of password_hash and password; hashes supported (see is_supported_hash, which
  // costs one hash computation each); plain passwords of at most 255 bytes. Errors name the user,
  // never a password or hash, one line each.
  static boost::system::result<StaticUsers, std::vector<std::string>> create(
      std::vector<StaticUser> users, HashVerifier verifier = verify_password);

  // True when `user` is listed and `password` matches. Names are exact and case-sensitive. An
  // unknown name costs the same work: its password is checked against a dummy of the same kind
  // and cost as the first hashed user (a plain-text dummy when every user is plain text), so
  // the time taken does not tell whether a name exists. Configure every user the same way to
  // keep it so.
  bool verify(std::string_view user, std::string_view password) const;

  std::size_t size() const { return users_.size(); }

 private:
  struct Secret {
    std::string value;  // hash or plain password
    bool hashed = false;
  };
  StaticUsers(std::map<std::string, Secret, std::less<>> users, Secret dummy,
              HashVerifier verifier);

  std::map<std::string, Secret, std::less<>> users_;
  Secret dummy_;
  HashVerifier verifier_;
};

}  // namespace rustsocks::auth

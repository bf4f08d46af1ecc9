#include "auth/static_users.hpp"

#include <utility>

#include "core/log.hpp"

namespace rustsocks::auth {
namespace {

constexpr std::size_t kMaxFieldBytes = 255;  // RFC 1929 ULEN / PLEN
// What the dummy of an unknown user is made from; its hash is never compared with anything a
// client could know, whatever this text is.
constexpr std::string_view kDummyPhrase = "rustsocks: no such user";

std::string label(std::size_t index, std::string_view name) {
  if (name.empty()) return "user #" + std::to_string(index + 1);
  return "user \"" + core::printable(name) + "\"";
}

// The problem with one entry, or empty.
std::string check_user(const StaticUser& user) {
  if (user.username.empty()) return "empty username";
  if (user.username.size() > kMaxFieldBytes) return "username longer than 255 bytes (RFC 1929)";
  const bool hashed = !user.password_hash.empty();
  if (hashed && !user.password.empty()) return "set password_hash or password, not both";
  if (!hashed && user.password.empty()) return "no password_hash or password";
  if (hashed) return unsupported_hash_reason(user.password_hash);
  if (user.password.size() > kMaxFieldBytes) return "password longer than 255 bytes (RFC 1929)";
  return {};
}

}  // namespace

StaticUsers::StaticUsers(std::map<std::string, Secret, std::less<>> users, Secret dummy,
                         HashVerifier verifier)
    : users_(std::move(users)), dummy_(std::move(dummy)), verifier_(std::move(verifier)) {}

boost::system::result<StaticUsers, std::vector<std::string>> StaticUsers::create(
    std::vector<StaticUser> users, HashVerifier verifier) {
  std::vector<std::string> errors;
  if (users.empty()) errors.emplace_back("no users configured for username/password logins");
  std::map<std::string, Secret, std::less<>> table;
  Secret dummy{std::string(kDummyPhrase), false};
  bool dummy_hashed = false;
  for (std::size_t i = 0; i < users.size(); ++i) {
    auto& user = users[i];
    if (auto problem = check_user(user); !problem.empty()) {
      errors.push_back(label(i, user.username) + ": " + problem);
      continue;
    }
    const bool hashed = !user.password_hash.empty();
    if (hashed && !dummy_hashed) {
      dummy = Secret{hash_password_like(kDummyPhrase, user.password_hash), true};
      dummy_hashed = true;
    }
    Secret secret{hashed ? std::move(user.password_hash) : std::move(user.password), hashed};
    if (!table.emplace(user.username, std::move(secret)).second) {
      errors.push_back(label(i, user.username) + ": listed twice");
    }
  }
  if (!errors.empty()) return errors;
  return StaticUsers(std::move(table), std::move(dummy), std::move(verifier));
}

bool StaticUsers::verify(std::string_view user, std::string_view password) const {
  const auto found = users_.find(user);
  const bool known = found != users_.end();
  const Secret& secret = known ? found->second : dummy_;
  // The same work either way; only then does an unknown name fail.
  const bool matches = secret.hashed ? verifier_(password, secret.value)
                                     : verify_plain_password(password, secret.value);
  return known && matches;
}

}  // namespace rustsocks::auth

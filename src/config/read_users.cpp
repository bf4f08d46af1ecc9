// [[auth.users]]: each entry needs a unique username and exactly one of password_hash (a crypt(3)
// hash of a supported scheme, only checked for its shape here; auth/ verifies it) or password
// (plain text, accepted with a warning). No message ever shows a password or a hash.
#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "config/key_spec.hpp"

namespace rustsocks::config {
namespace {

constexpr std::size_t kMaxName = 255;  // RFC 1929: ULEN and PLEN are one byte each
constexpr std::size_t kMaxHash = 512;
constexpr std::string_view kTable = "[[auth.users]]";
constexpr auto kHashPrefixes =
    std::to_array<std::string_view>({"$y$", "$6$", "$2b$", "$2y$", "$2a$"});

// One [[auth.users]] entry and its shown path, "auth.users[2]".
struct Entry {
  const toml::table& table;
  std::string shown;

  std::string label() const { return key_label(shown, kTable); }
  std::string label(std::string_view key) const {
    return key_label(shown + "." + std::string(key), kTable);
  }
};

// A supported prefix, something after it, and only the characters crypt(3) writes.
bool is_supported_hash(std::string_view hash) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '/' || c == '$' || c == '=';
  };
  const bool prefixed =
      std::any_of(kHashPrefixes.begin(), kHashPrefixes.end(), [hash](std::string_view prefix) {
        return hash.size() > prefix.size() && hash.substr(0, prefix.size()) == prefix;
      });
  return prefixed && hash.size() <= kMaxHash && std::all_of(hash.begin(), hash.end(), allowed);
}

std::optional<std::string> read_username(const Entry& entry, Diagnostics& out) {
  const toml::node* node = entry.table.get("username");
  if (node == nullptr) {
    out.error(entry.table.source(), entry.label() + " has no 'username'");
    return std::nullopt;
  }
  const auto* value = node->as_string();
  if (value == nullptr) return std::nullopt;  // the wrong type: check_keys() reported it
  if (is_plain_text(value->get(), kMaxName)) return value->get();
  out.error(value->source(), entry.label("username") +
                                 " must be 1 to 255 bytes with no NUL character, got " +
                                 quoted(value->get()));
  return std::nullopt;
}

bool read_hash(const Entry& entry, const toml::node& node, StaticUser& user, Diagnostics& out) {
  const auto* value = node.as_string();
  if (value == nullptr) return false;
  if (!is_supported_hash(value->get())) {
    out.error(value->source(),
              entry.label("password_hash") +
                  " is not a supported crypt(3) hash (value not shown): it must start with $y$ "
                  "(yescrypt), $6$ (SHA-512), $2b$, $2y$ or $2a$ (bcrypt), followed by the "
                  "hash's own characters (A-Z, a-z, 0-9, '.', '/', '$', '='); make one with "
                  "'rustsocks hash-password'");
    return false;
  }
  user.password_hash = value->get();
  return true;
}

bool read_plain(const Entry& entry, const toml::node& node, StaticUser& user, Diagnostics& out) {
  const auto* value = node.as_string();
  if (value == nullptr) return false;
  if (!is_plain_text(value->get(), kMaxName)) {
    out.error(value->source(), entry.label("password") +
                                   " must be 1 to 255 bytes with no NUL character (value not "
                                   "shown)");
    return false;
  }
  user.password = value->get();
  return true;
}

// Exactly one of password_hash and password.
bool read_secret(const Entry& entry, StaticUser& user, Diagnostics& out) {
  const toml::node* hash = entry.table.get("password_hash");
  const toml::node* plain = entry.table.get("password");
  if (hash != nullptr && plain != nullptr) {
    out.error(plain->source(),
              entry.label("password") + " is set next to 'password_hash'; keep only password_hash");
    return false;
  }
  if (hash == nullptr && plain == nullptr) {
    out.error(entry.table.source(), entry.label() +
                                        " has neither 'password_hash' nor 'password'; set "
                                        "password_hash (make one with 'rustsocks "
                                        "hash-password')");
    return false;
  }
  return hash != nullptr ? read_hash(entry, *hash, user, out)
                         : read_plain(entry, *plain, user, out);
}

void warn_plain(const Entry& entry, const StaticUser& user, Diagnostics& out) {
  out.warning(entry.table.get("password")->source(),
              entry.label("password") + " is a plain-text password for user " +
                  quoted(user.username) +
                  "; store a crypt(3) hash in 'password_hash' instead (make one with 'rustsocks "
                  "hash-password')");
}

}  // namespace

void read_users(const toml::table& root, Auth& auth, Diagnostics& out) {
  const toml::array* users = root.at_path("auth.users").as_array();
  if (users == nullptr) return;
  std::map<std::string, std::string, std::less<>> seen;  // username -> shown path of its entry
  for (std::size_t i = 0; i < users->size(); ++i) {
    const toml::table* table = (*users)[i].as_table();
    if (table == nullptr) continue;  // reported by check_keys()
    const Entry entry{*table, "auth.users[" + std::to_string(i) + "]"};
    StaticUser user;
    const auto username = read_username(entry, out);
    const bool secret = read_secret(entry, user, out);
    if (!username) continue;
    user.username = *username;
    if (const auto [first, added] = seen.emplace(*username, entry.shown); !added) {
      out.error(table->get("username")->source(),
                entry.label("username") + " is " + quoted(*username) + ", which '" + first->second +
                    "' has already; usernames must be unique");
      continue;
    }
    if (!secret) continue;
    if (!user.password.empty()) warn_plain(entry, user, out);
    auth.users.push_back(std::move(user));
  }
}

}  // namespace rustsocks::config

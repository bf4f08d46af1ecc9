// Password checks for the static users of `[auth]`: crypt(3) hashes through libxcrypt (yescrypt
// `$y$`, SHA-512 `$6$`, bcrypt `$2b$`/`$2y$`/`$2a$`) and RustSocks' plain-text `password` key, both
// compared in constant time; plus what `rustsocks hash-password` needs to make a hash.
// Verification is CPU-bound (yescrypt takes about 35 ms): run it on a core::BlockingPool.
// Nothing here logs or prints a password, and temporary copies are wiped.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace rustsocks::auth {

// Empty when `hash` is a well-formed, usable hash of a supported kind; otherwise a one-line
// reason for a config error. It runs crypt(3) once with the hash's own cost, so checking a
// yescrypt hash takes as long as one login.
std::string unsupported_hash_reason(std::string_view hash);
inline bool is_supported_hash(std::string_view hash) {
  return unsupported_hash_reason(hash).empty();
}

// True when crypt(password, hash) == hash. False for a wrong password, an unsupported or broken
// hash, or a password crypt(3) cannot take (a NUL byte, which would silently truncate it, or
// more than CRYPT_MAX_PASSPHRASE_SIZE bytes). Thread-safe (crypt_rn with its own state).
bool verify_password(std::string_view password, std::string_view hash);

// Plain-text comparison in constant time; the time does not depend on where the inputs differ
// nor on their lengths (both are hashed first).
bool verify_plain_password(std::string_view password, std::string_view expected);

// A new yescrypt hash ($y$, libxcrypt's default cost, random salt from the OS) of `password`.
// Throws std::invalid_argument for an empty password or one with a NUL byte, and
// std::runtime_error when libxcrypt fails. For start-up and the CLI only.
std::string hash_password(std::string_view password);

// A hash of `password` with the kind, cost and salt of `model` (a supported hash); empty when
// libxcrypt refuses. StaticUsers uses it to make a dummy hash as costly as a real one.
std::string hash_password_like(std::string_view password, std::string_view model);

// For `rustsocks hash-password`: reads one line from `in` (without its line ending) and returns
// its yescrypt hash. When `from_tty`, `in` is a terminal: echo is off while typing, prompts go to
// stderr, and the password is asked twice. nullopt (with the reason on stderr) on end of input,
// an empty password, a NUL byte, or two different entries.
std::optional<std::string> read_password(std::FILE* in, bool from_tty);

}  // namespace rustsocks::auth

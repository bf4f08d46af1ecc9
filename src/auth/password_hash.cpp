#include "auth/password_hash.hpp"

#include <array>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <crypt.h>
#include <termios.h>

namespace rustsocks::auth {
namespace {

// The supported kinds and the length of the digest that ends each hash (after the settings).
struct HashKind {
  std::string_view prefix;
  std::size_t digest_chars;
};
constexpr std::array<HashKind, 5> kKinds{
    {{"$y$", 43}, {"$6$", 86}, {"$2b$", 31}, {"$2y$", 31}, {"$2a$", 31}}};

// Counting the NUL, as libxcrypt does.
constexpr std::size_t kMaxPhraseBytes = CRYPT_MAX_PASSPHRASE_SIZE - 1;

const HashKind* kind_of(std::string_view hash) {
  for (const auto& kind : kKinds) {
    if (hash.starts_with(kind.prefix)) return &kind;
  }
  return nullptr;
}

bool is_crypt_alphabet(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '/' || c == '$' || c == '=';
}

bool is_usable_phrase(std::string_view password) {
  return password.size() <= kMaxPhraseBytes && password.find('\0') == std::string_view::npos;
}

// Password bytes for C APIs: a fixed capacity, so never reallocated (no stray copies), and
// wiped on destruction.
class SecretBuffer {
 public:
  explicit SecretBuffer(std::size_t capacity) { bytes_.reserve(capacity); }
  // A NUL-terminated copy of `text`.
  explicit SecretBuffer(std::string_view text) : SecretBuffer(text.size() + 1) {
    bytes_.assign(text.begin(), text.end());
    bytes_.push_back('\0');
  }
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  SecretBuffer(SecretBuffer&&) = delete;
  SecretBuffer& operator=(SecretBuffer&&) = delete;
  ~SecretBuffer() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

  bool push(char c) {
    if (bytes_.size() == bytes_.capacity()) return false;
    bytes_.push_back(c);
    return true;
  }
  std::string_view view() const { return {bytes_.data(), bytes_.size()}; }
  const char* data() const { return bytes_.data(); }

 private:
  std::vector<char> bytes_;
};

// libxcrypt's scratch state (it holds the phrase and intermediate values): one per call, so
// crypt_rn is thread-safe; wiped afterwards.
struct CryptState {
  crypt_data data{};
  CryptState() = default;
  CryptState(const CryptState&) = delete;
  CryptState& operator=(const CryptState&) = delete;
  CryptState(CryptState&&) = delete;
  CryptState& operator=(CryptState&&) = delete;
  ~CryptState() { OPENSSL_cleanse(&data, sizeof data); }
};

// crypt(phrase, setting) as a string, or empty when libxcrypt refuses the setting.
std::string crypt_with(std::string_view password, std::string_view setting) {
  const SecretBuffer phrase(password);
  const std::string setting_text(setting);
  auto state = std::make_unique<CryptState>();
  const char* out = ::crypt_rn(phrase.data(), setting_text.c_str(), &state->data,
                               static_cast<int>(sizeof state->data));
  if (out == nullptr || *out == '*') return {};
  return out;
}

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view text) {
  Digest out{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), out.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return out;
}

// Turns echo off on a terminal for as long as it lives (the newline is still echoed).
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= static_cast<tcflag_t>(ECHONL);
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  EchoOff(EchoOff&&) = delete;
  EchoOff& operator=(EchoOff&&) = delete;
  ~EchoOff() {
    if (active_) (void)::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

// Reads one line into `line` without its ending; the reason when there is no usable password.
const char* read_line(std::FILE* in, SecretBuffer& line) {
  int c = std::fgetc(in);
  if (c == EOF) return "no password given (end of input)";
  for (; c != EOF && c != '\n'; c = std::fgetc(in)) {
    if (c == '\0') return "the password has a NUL byte";
    if (!line.push(static_cast<char>(c))) return "the password is longer than 511 bytes";
  }
  auto text = line.view();
  if (text.ends_with('\r')) text.remove_suffix(1);
  if (text.empty()) return "empty password";
  if (text.size() > kMaxPhraseBytes) return "the password is longer than 511 bytes";
  return nullptr;
}

std::string_view without_cr(std::string_view text) {
  if (text.ends_with('\r')) text.remove_suffix(1);
  return text;
}

std::optional<std::string> fail(const char* reason) {
  std::fputs("error: ", stderr);
  std::fputs(reason, stderr);
  std::fputc('\n', stderr);
  return std::nullopt;
}

}  // namespace

std::string unsupported_hash_reason(std::string_view hash) {
  if (hash.empty()) return "empty password hash";
  for (char c : hash) {
    if (!is_crypt_alphabet(c)) return "password hash has a character crypt(3) never writes";
  }
  const auto* kind = kind_of(hash);
  if (kind == nullptr) {
    return "unsupported password hash kind (use yescrypt $y$, SHA-512 $6$ or bcrypt "
           "$2b$/$2y$/$2a$; "
           "`rustsocks hash-password` makes one)";
  }
  // Any phrase: what matters is that libxcrypt accepts the settings and reproduces them.
  const auto computed = crypt_with("x", hash);
  if (computed.empty()) return "invalid password hash (libxcrypt rejects its settings)";
  const bool same_shape = computed.size() == hash.size() && hash.size() > kind->digest_chars;
  const auto settings = hash.size() - kind->digest_chars;
  if (!same_shape || std::string_view(computed).substr(0, settings) != hash.substr(0, settings)) {
    return "malformed password hash (truncated, or settings crypt(3) would not write)";
  }
  return {};
}

bool verify_password(std::string_view password, std::string_view hash) {
  if (!is_usable_phrase(password) || kind_of(hash) == nullptr) return false;
  if (hash.find('\0') != std::string_view::npos) return false;
  const auto computed = crypt_with(password, hash);
  // The length of a hash is no secret; its bytes are compared in constant time.
  return computed.size() == hash.size() &&
         CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

bool verify_plain_password(std::string_view password, std::string_view expected) {
  auto given = sha256(password);
  auto wanted = sha256(expected);
  const bool same = CRYPTO_memcmp(given.data(), wanted.data(), given.size()) == 0;
  OPENSSL_cleanse(given.data(), given.size());
  OPENSSL_cleanse(wanted.data(), wanted.size());
  return same;
}

std::string hash_password(std::string_view password) {
  if (password.empty()) throw std::invalid_argument("empty password");
  if (!is_usable_phrase(password)) {
    throw std::invalid_argument("password has a NUL byte or is longer than 511 bytes");
  }
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  // Count 0 is libxcrypt's default cost; no random bytes given: it reads them from the OS.
  if (::crypt_gensalt_rn("$y$", 0, nullptr, 0, setting.data(), static_cast<int>(setting.size())) ==
      nullptr) {
    throw std::runtime_error("crypt_gensalt_rn($y$) failed");
  }
  auto hash = crypt_with(password, setting.data());
  if (hash.empty()) throw std::runtime_error("crypt_rn($y$) failed");
  return hash;
}

std::string hash_password_like(std::string_view password, std::string_view model) {
  if (!is_usable_phrase(password) || kind_of(model) == nullptr) return {};
  return crypt_with(password, model);
}

std::optional<std::string> read_password(std::FILE* in, bool from_tty) {
  SecretBuffer first(kMaxPhraseBytes + 2);  // room for "\r" and the byte that is one too many
  if (!from_tty) {
    if (const char* problem = read_line(in, first)) return fail(problem);
    return hash_password(without_cr(first.view()));
  }
  const EchoOff quiet(::fileno(in));
  SecretBuffer second(kMaxPhraseBytes + 2);
  std::fputs("Password: ", stderr);
  if (const char* problem = read_line(in, first)) return fail(problem);
  std::fputs("Retype password: ", stderr);
  if (const char* problem = read_line(in, second)) return fail(problem);
  const auto a = without_cr(first.view());
  const auto b = without_cr(second.view());
  if (a.size() != b.size() || CRYPTO_memcmp(a.data(), b.data(), a.size()) != 0) {
    return fail("the passwords do not match");
  }
  return hash_password(a);
}

}  // namespace rustsocks::auth

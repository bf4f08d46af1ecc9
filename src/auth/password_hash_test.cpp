// Specification of the password checks: crypt(3) hashes of each supported kind, rejection of
// unsupported or broken hashes, plain-text comparison, and hash_password.
#include "auth/password_hash.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <crypt.h>

namespace rustsocks::auth {
namespace {

// A fresh crypt(3) setting of the given kind and cost, with a random salt.
std::string setting_of(const char* prefix, unsigned long cost) {
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> out{};
  if (::crypt_gensalt_rn(prefix, cost, nullptr, 0, out.data(), static_cast<int>(out.size())) ==
      nullptr) {
    throw std::runtime_error("crypt_gensalt_rn failed");
  }
  return out.data();
}

// The SHA-crypt specification's first test vector (Drepper, "Unix crypt using SHA-256/512").
constexpr std::string_view kKnownSha512 =
    "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/"
    "O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS3"
    "5inz1";

TEST(VerifyPassword, AcceptsTheKnownSha512VectorAndNothingElse) {
  EXPECT_TRUE(verify_password("Hello world!", kKnownSha512));
  EXPECT_FALSE(verify_password("Hello world", kKnownSha512));
  EXPECT_FALSE(verify_password("hello world!", kKnownSha512));
  EXPECT_FALSE(verify_password("", kKnownSha512));
}

TEST(VerifyPassword, ChecksYescryptFromHashPassword) {
  const auto hash = hash_password("correct horse");
  EXPECT_TRUE(hash.starts_with("$y$")) << hash;
  EXPECT_TRUE(verify_password("correct horse", hash));
  EXPECT_FALSE(verify_password("correct horsE", hash));
}

TEST(VerifyPassword, ChecksSha512) {
  const auto hash = hash_password_like("s3cret", setting_of("$6$", 1000));
  ASSERT_TRUE(hash.starts_with("$6$rounds=1000$")) << hash;
  EXPECT_TRUE(verify_password("s3cret", hash));
  EXPECT_FALSE(verify_password("s3cre", hash));
}

TEST(VerifyPassword, ChecksBcryptInEachSpelling) {
  for (const char* prefix : {"$2b$", "$2y$", "$2a$"}) {
    const auto hash = hash_password_like("s3cret", setting_of(prefix, 4));
    ASSERT_TRUE(hash.starts_with(prefix)) << hash;
    EXPECT_TRUE(verify_password("s3cret", hash)) << prefix;
    EXPECT_FALSE(verify_password("S3cret", hash)) << prefix;
  }
}

TEST(VerifyPassword, RefusesAPasswordThatCryptWouldTruncateAtANulByte) {
  const std::string with_nul{"Hello world!\0tail", 17};
  EXPECT_FALSE(verify_password(with_nul, kKnownSha512));
}

TEST(VerifyPassword, FailsForUnsupportedOrBrokenHashes) {
  EXPECT_FALSE(verify_password("Hello world!", ""));
  EXPECT_FALSE(verify_password("Hello world!", "Hello world!"));
  EXPECT_FALSE(verify_password("Hello world!", kKnownSha512.substr(0, kKnownSha512.size() - 1)));
  const auto md5 = hash_password_like("pw", "$1$saltsalt$");  // not a supported kind
  EXPECT_FALSE(verify_password("pw", "$1$saltsalt$abc"));
  EXPECT_TRUE(md5.empty());
}

TEST(UnsupportedHashReason, AcceptsEachSupportedKind) {
  const std::vector<std::string> hashes{
      std::string(kKnownSha512),
      hash_password("pw"),
      hash_password_like("pw", setting_of("$6$", 5000)),
      hash_password_like("pw", setting_of("$2b$", 4)),
      hash_password_like("pw", setting_of("$2y$", 4)),
      hash_password_like("pw", setting_of("$2a$", 4)),
  };
  for (const auto& hash : hashes) {
    EXPECT_EQ(unsupported_hash_reason(hash), "") << hash;
  }
}

TEST(UnsupportedHashReason, RejectsOtherKindsAndGarbage) {
  const std::string sha512(kKnownSha512);
  for (const std::string& hash : {
           std::string(""),
           std::string("hunter2"),                             // a plain password
           std::string("abJnggxhB/yWI"),                       // DES
           std::string("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"),  // MD5
           std::string("$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF6Pk6r.6"),  // SHA-256
           std::string("$y$garbage"),
           std::string("$2b$04$tooshort"),
           sha512.substr(0, sha512.size() - 1),  // truncated
           sha512 + "A",                         // one character too many
           sha512 + "\n",                        // a stray line ending
           std::string("$6$salt string$") + std::string(86, 'a'),
       }) {
    EXPECT_FALSE(is_supported_hash(hash)) << hash;
  }
}

TEST(UnsupportedHashReason, NamesTheProblemButNeverQuotesTheHash) {
  const auto reason = unsupported_hash_reason("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/");
  EXPECT_TRUE(reason.starts_with("unsupported password hash kind")) << reason;
  EXPECT_EQ(reason.find("qjXM"), std::string::npos);
}

TEST(VerifyPlainPassword, MatchesOnlyTheExactBytes) {
  EXPECT_TRUE(verify_plain_password("s3cret", "s3cret"));
  EXPECT_FALSE(verify_plain_password("s3cre", "s3cret"));
  EXPECT_FALSE(verify_plain_password("s3cret!", "s3cret"));
  EXPECT_FALSE(verify_plain_password("S3cret", "s3cret"));
  EXPECT_FALSE(verify_plain_password("", "s3cret"));
  EXPECT_TRUE(verify_plain_password(std::string{"a\0b", 3}, std::string{"a\0b", 3}));
  EXPECT_FALSE(verify_plain_password(std::string{"a\0b", 3}, std::string{"a\0c", 3}));
}

TEST(HashPassword, SaltsEveryHashDifferently) {
  const auto first = hash_password("same");
  const auto second = hash_password("same");
  EXPECT_NE(first, second);
  EXPECT_TRUE(verify_password("same", first));
  EXPECT_TRUE(verify_password("same", second));
}

TEST(HashPassword, RefusesPasswordsCryptCannotTake) {
  EXPECT_THROW(hash_password(""), std::invalid_argument);
  EXPECT_THROW(hash_password(std::string{"a\0b", 3}), std::invalid_argument);
  EXPECT_THROW(hash_password(std::string(512, 'x')), std::invalid_argument);
  EXPECT_NO_THROW(hash_password(std::string(511, 'x')));
}

}  // namespace
}  // namespace rustsocks::auth

// Fuzz target: load_acl() on arbitrary bytes, then compiling and evaluating what loaded. It must
// never throw or crash, and it returns a file exactly when it reports no error.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "acl/rule_set.hpp"

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const std::string text(bytes.begin(), bytes.end());
  auto result = rustsocks::acl::load_acl(text, "fuzz.toml");
  if (result.file.has_value() != result.errors.empty()) std::abort();
  if (!result.file) return 0;
  const rustsocks::acl::RuleSet rules(std::move(*result.file), {});
  rustsocks::acl::Query query;
  query.user = "alice";
  for (const char* target : {"a.example.com", "10.1.2.3", "127.1", "::1"}) {
    query.target = rustsocks::acl::normalize_target(target);
    (void)rules.evaluate(query);
  }
  (void)rules.check_client(*rustsocks::acl::parse_ip("10.0.0.1"));
  return 0;
}

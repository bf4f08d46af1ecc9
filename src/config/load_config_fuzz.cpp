// Fuzz target: load_config() on arbitrary bytes. It must never throw or crash, and it returns a
// config exactly when it reports no error.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "config/config.hpp"

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const std::string text(bytes.begin(), bytes.end());
  const auto result = rustsocks::config::load_config(text, "fuzz.toml");
  if (result.config.has_value() != result.errors.empty()) std::abort();
  return 0;
}

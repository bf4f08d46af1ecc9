// load_config(): parse with toml++, then check_keys() and read_settings() over the tree. Never
// throws: syntax errors and anything else that goes wrong become error lines.
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "config/config.hpp"
#include "config/key_spec.hpp"
#include "core/unique_fd.hpp"

namespace rustsocks::config {
namespace {

constexpr std::size_t kMaxFileSize = 16UL * 1024 * 1024;
constexpr auto kSecretWords =
    std::to_array<std::string_view>({"password", "secret", "token", "database_url", "credential"});

// The nearest line at or above a 1-based line that assigns something, lower-cased.
std::string nearest_assignment(std::string_view text, std::uint32_t line) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= text.size() && lines.size() < line;) {
    const auto end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  const auto assigning = std::find_if(lines.rbegin(), lines.rend(), [](std::string_view each) {
    return each.find('=') != std::string_view::npos;
  });
  if (assigning == lines.rend()) return {};
  std::string lowered(*assigning);
  for (char& c : lowered) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return lowered;
}

// toml++ quotes number-like values in some messages; a secret must never reach the log, so the
// message is dropped when the line being parsed names anything secret (inline tables included).
bool sets_secret(std::string_view text, std::uint32_t line) {
  const std::string assignment = nearest_assignment(text, line);
  return std::any_of(
      kSecretWords.begin(), kSecretWords.end(),
      [&assignment](std::string_view word) { return assignment.find(word) != std::string::npos; });
}

std::string syntax_error(const toml::parse_error& error, std::string_view text,
                         std::string_view source) {
  const toml::source_position& begin = error.source().begin;
  const std::string description =
      sets_secret(text, begin.line)
          ? std::string("Error while parsing the value of a secret key (value not shown)")
          : std::string(error.description());
  return std::string(source) + ":" + std::to_string(begin.line) + ":" +
         std::to_string(begin.column) + ": " + description;
}

std::string system_message(int code) {
  return std::generic_category().message(code);
}

// nullopt with `problem` set when the file cannot be read whole.
std::optional<std::string> read_text(const std::string& path, std::string& problem) {
  const core::UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));  // NOLINT(*-vararg)
  if (!file.valid()) {
    problem = "cannot open the config file: " + system_message(errno);
    return std::nullopt;
  }
  std::string text;
  std::array<char, 64UL * 1024> chunk{};
  for (;;) {
    const ::ssize_t n = ::read(file.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      problem = "cannot read the config file: " + system_message(errno);
      return std::nullopt;
    }
    if (n == 0) return text;
    text.append(chunk.data(), static_cast<std::size_t>(n));
    if (text.size() > kMaxFileSize) {
      problem = "the config file is larger than 16 MiB";
      return std::nullopt;
    }
  }
}

}  // namespace

LoadResult load_config(std::string_view toml_text, std::string_view source_name) {
  LoadResult result;
  Diagnostics out(source_name);
  try {
    const toml::table root = toml::parse(toml_text, source_name);
    check_keys(root, out);
    Config config = read_settings(root, out);
    if (!out.has_errors()) result.config = std::move(config);
  } catch (const toml::parse_error& error) {
    result.errors.push_back(syntax_error(error, toml_text, source_name));
  } catch (const std::exception& error) {
    result.errors.push_back(std::string(source_name) + ": cannot load: " + error.what());
  }
  auto errors = out.take_errors();
  result.errors.insert(result.errors.end(), errors.begin(), errors.end());
  result.warnings = out.take_warnings();
  return result;
}

LoadResult load_config_file(const std::string& path) {
  std::string problem;
  const auto text = read_text(path, problem);
  if (!text) {
    LoadResult result;
    result.errors.push_back(path + ": " + problem);
    return result;
  }
  return load_config(*text, path);
}

}  // namespace rustsocks::config

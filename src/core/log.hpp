// Logging set-up (spdlog): pretty text or JSON lines, to stderr or a file. Structured events
// (one per finished session) go through log_event() so JSON output carries them as objects.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace rustsocks::core {

enum class LogStyle { Pretty, Json };

// Throws std::runtime_error when the file cannot be opened or the level is unknown.
void init_logging(std::string_view level, LogStyle style, const std::string& file);
bool is_log_level(std::string_view level);

// One event = a name and ordered key/value fields. Pretty: `name k=v k=v`; JSON: an object
// {"event":name,k:v,...} as the "msg" of the line. Values are escaped in both styles.
struct Field {
  std::string key;
  std::string value;
  bool number = false;   // JSON: emit unquoted
  std::string json_key;  // JSON: a different key name, when set
};
inline Field text_field(std::string key, std::string value) {
  return Field{std::move(key), std::move(value), false, {}};
}
inline Field number_field(std::string key, std::uint64_t value, std::string json_key = {}) {
  return Field{std::move(key), std::to_string(value), true, std::move(json_key)};
}
void log_event(spdlog::level::level_enum level, std::string_view name,
               const std::vector<Field>& fields);

// Escapes client-controlled text for a log line: printable ASCII stays, the rest becomes \xNN.
std::string printable(std::string_view text);

}  // namespace rustsocks::core

// Private to config/: the schema of every key load_config() knows (ours and RustSocks'), and the
// two passes over a parsed TOML tree: check_keys() (names, types, warnings), then read_settings()
// (values of the implemented keys, into a Config; [auth] in read_auth(), users in read_users()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/config.hpp"

namespace rustsocks::config {

enum class ValueType { Table, TableArray, Bool, Integer, Number, String, StringArray };

enum class Handling {
  Read,        // implemented: check_keys() checks the type, read_settings() the value
  Quiet,       // known and type-checked, no message (a table, or inside a table that warned)
  Warn,        // a RustSocks key this build does not implement: one warning, with the note
  FailIfTrue,  // a security switch this build lacks: true is an error (on_note), false warns
  LoudIfTrue,  // not implemented: true warns with on_note, false with note
  Unchecked,   // documented by RustSocks but read by nobody: one warning, contents not checked
};

struct KeySpec {
  std::string_view path;  // dotted, without array indices: "auth.users.password"
  ValueType type;
  Handling handling;
  std::string_view note;     // ends the sentence "'<key>' in [<table>] ..."
  std::string_view on_note;  // the same, when a FailIfTrue/LoudIfTrue switch is true
};

// nullptr when the path is not a known key.
const KeySpec* find_key_spec(std::string_view path);
// "did you mean 'bind_address'?" for a near miss of a key known in the table at table_path
// (dotted, no indices, "" for the top level), or of a key of that name in another table; else "".
std::string suggest_key(std::string_view table_path, std::string_view key);

// Collects messages as "source:line:column: text", sorted by position when taken.
class Diagnostics {
 public:
  explicit Diagnostics(std::string_view source) : source_(source) {}
  void error(const toml::source_region& where, std::string_view text);
  void warning(const toml::source_region& where, std::string_view text);
  std::vector<std::string> take_errors() { return take(errors_); }
  std::vector<std::string> take_warnings() { return take(warnings_); }
  bool has_errors() const { return !errors_.empty(); }

 private:
  struct Entry {
    std::uint32_t line;
    std::uint32_t column;
    std::string text;
  };
  std::vector<std::string> take(std::vector<Entry>& entries);

  std::string source_;
  std::vector<Entry> errors_;
  std::vector<Entry> warnings_;
};

// The text between double quotes, control bytes escaped, cut after 64 bytes. Never pass secrets.
std::string quoted(std::string_view text);
// "'server.bind_port' in [server]"; table is "[server]", "[[auth.users]]" or "" (top level).
std::string key_label(std::string_view key_path, std::string_view table);
// key_label() for a key outside arrays of tables, its table taken from the path.
std::string key_label(std::string_view key_path);
std::string_view type_name(toml::node_type type);

void check_keys(const toml::table& root, Diagnostics& out);
Config read_settings(const toml::table& root, Diagnostics& out);

// Inclusive bounds of an integer key.
struct Bounds {
  std::int64_t min;
  std::int64_t max;
};

// nullopt when absent, of the wrong type (already reported) or out of bounds (reported here).
std::optional<std::int64_t> read_integer(const toml::table& root, std::string_view path,
                                         Bounds bounds, Diagnostics& out);
// The value of an implemented key and its RustSocks alias: the key wins when it is set (whatever
// its type), and then an alias that is set too gets one warning. Returns the path that counts.
std::string_view aliased_path(const toml::table& root, std::string_view key, std::string_view alias,
                              Diagnostics& out);
// Text with no NUL byte and 1 to max_bytes bytes.
bool is_plain_text(std::string_view text, std::size_t max_bytes);

// [auth], [auth.lockout], [auth.pam]; then read_users() and the checks between them.
void read_auth(const toml::table& root, Auth& auth, Diagnostics& out);
// [sessions] stats_api_* and base_path, [api] (reads token_file), and the loopback-or-token rule.
void read_api(const toml::table& root, Api& api, Diagnostics& out);
// [[auth.users]]: each entry, duplicates, plain-text passwords. Checks against the method are
// read_auth()'s.
void read_users(const toml::table& root, Auth& auth, Diagnostics& out);
// [acl]: the switches, and config_file required when enabled.
void read_acl(const toml::table& root, Acl& acl, Diagnostics& out);

}  // namespace rustsocks::config

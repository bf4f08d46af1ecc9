// Message building shared by the config passes: positions, key labels, quoting of user text.
#include <algorithm>
#include <string>
#include <utility>

#include "config/key_spec.hpp"

namespace rustsocks::config {
namespace {

constexpr std::size_t kMaxQuoted = 64;

// Control bytes and quotes escaped so a message stays one line; UTF-8 passes through.
std::string escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      constexpr std::string_view kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4U];
      out += kHex[byte & 0xfU];
    } else if (c == '"' || c == '\'' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void Diagnostics::error(const toml::source_region& where, std::string_view text) {
  errors_.push_back({where.begin.line, where.begin.column, std::string(text)});
}

void Diagnostics::warning(const toml::source_region& where, std::string_view text) {
  warnings_.push_back({where.begin.line, where.begin.column, std::string(text)});
}

std::vector<std::string> Diagnostics::take(std::vector<Entry>& entries) {
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  std::vector<std::string> lines;
  lines.reserve(entries.size());
  for (const Entry& entry : entries) {
    lines.push_back(source_ + ":" + std::to_string(entry.line) + ":" +
                    std::to_string(entry.column) + ": " + entry.text);
  }
  entries.clear();
  return lines;
}

std::string quoted(std::string_view text) {
  if (text.size() <= kMaxQuoted) return "\"" + escaped(text) + "\"";
  return "\"" + escaped(text.substr(0, kMaxQuoted)) + "\"...";
}

std::string key_label(std::string_view key_path, std::string_view table) {
  std::string label = "'" + escaped(key_path) + "'";
  if (table.empty()) return label + " at the top level";
  return label + " in " + escaped(table);
}

std::string key_label(std::string_view key_path) {
  const auto dot = key_path.rfind('.');
  if (dot == std::string_view::npos) return key_label(key_path, "");
  return key_label(key_path, "[" + std::string(key_path.substr(0, dot)) + "]");
}

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
  }
  return "unknown";
}

}  // namespace rustsocks::config

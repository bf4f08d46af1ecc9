#include "metrics/exposition.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

namespace rustsocks::metrics {
namespace {

constexpr double kExactIntegers = 9007199254740992.0;  // 2^53: every integer below is a double

bool is_name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool is_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!is_name_char(name[i], i == 0, colon)) return false;
  }
  return true;
}

template <class Number>
void append_integer(std::string& out, Number value) {
  std::array<char, 24> text{};
  auto [end, ec] = std::to_chars(text.data(), text.data() + text.size(), value);
  out.append(text.data(), end);
}

}  // namespace

bool is_metric_name(std::string_view name) {
  return is_name(name, true);
}
bool is_label_name(std::string_view name) {
  return is_name(name, false);
}

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_help_text(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (std::trunc(value) == value && std::fabs(value) <= kExactIntegers) {
    append_integer(out, static_cast<std::int64_t>(value));  // 1048576, not 1.048576e+06
  } else {
    // Shortest general format, like Go's strconv 'g', -1: 0.0005 and 1e-07, never 5e-04.
    std::array<char, 32> text{};
    auto [end, ec] =
        std::to_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
    out.append(text.data(), end);
  }
}

void append_number(std::string& out, std::uint64_t value) {
  append_integer(out, value);
}
void append_number(std::string& out, std::int64_t value) {
  append_integer(out, value);
}

void append_header(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  append_help_text(out, help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_series(std::string& out, std::string_view name, std::string_view labels) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
}

}  // namespace rustsocks::metrics

// Prometheus text exposition format 0.0.4: the pieces Registry::render() and the scrape-time
// collectors (process metrics) write with. Everything appends to one output string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rustsocks::metrics {

// What the HTTP endpoint sends as Content-Type for render()'s output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

bool is_metric_name(std::string_view name);  // [a-zA-Z_:][a-zA-Z0-9_:]*
bool is_label_name(std::string_view name);   // [a-zA-Z_][a-zA-Z0-9_]*

// Label values escape backslash, double quote and newline; HELP text escapes backslash and newline.
void append_label_value(std::string& out, std::string_view value);
void append_help_text(std::string& out, std::string_view help);

// Shortest text that reads back as the same double (integers up to 2^53 without exponent); +Inf,
// -Inf and NaN as Prometheus spells them.
void append_number(std::string& out, double value);
void append_number(std::string& out, std::uint64_t value);
void append_number(std::string& out, std::int64_t value);

// `# HELP name help` and `# TYPE name type` lines.
void append_header(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type);

// `name{labels} ` with labels already rendered (`a="x",b="y"`, may be empty); the caller appends
// the value and '\n'.
void append_series(std::string& out, std::string_view name, std::string_view labels);

}  // namespace rustsocks::metrics

#include "core/log.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <stdexcept>

#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace rustsocks::core {
namespace {

std::atomic<bool> g_json{false};
constexpr std::string_view kEventPrefix = "{\"event\":";

void append_json_string(std::string& out, std::string_view text) {
  constexpr const char* kHex = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte >= 0x7F) {
      out += "\\u00";
      out.push_back(kHex[byte >> 4U]);
      out.push_back(kHex[byte & 0xFU]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// Formats a whole line as one JSON object; a payload produced by log_event() is embedded as an
// object, anything else as an escaped string. Only our own code produces payloads starting
// with kEventPrefix (client text is escaped before it reaches a message).
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    time_.format(msg, dest);
    std::string line = R"(","level":")";
    line += std::string(spdlog::level::to_string_view(msg.level).data(),
                        spdlog::level::to_string_view(msg.level).size());
    line += R"(","msg":)";
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (payload.starts_with(kEventPrefix)) {
      line += payload;
    } else {
      append_json_string(line, payload);
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  spdlog::pattern_formatter time_{R"({"ts":"%Y-%m-%dT%H:%M:%S.%f%z)",
                                  spdlog::pattern_time_type::local, ""};
};

}  // namespace

bool is_log_level(std::string_view level) {
  static constexpr std::array<std::string_view, 8> kLevels = {
      "trace", "debug", "info", "warn", "warning", "error", "critical", "off"};
  for (auto known : kLevels) {
    if (known == level) return true;
  }
  return false;
}

void init_logging(std::string_view level, LogStyle style, const std::string& file) {
  if (!is_log_level(level))
    throw std::runtime_error("unknown log level '" + printable(level) + "'");
  spdlog::sink_ptr sink;
  if (file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file);  // throws spdlog_ex
  }
  auto logger = std::make_shared<spdlog::logger>("rustsocks", sink);
  if (style == LogStyle::Json) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  }
  auto parsed =
      level == "warning" ? spdlog::level::warn : spdlog::level::from_str(std::string(level));
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::info);
  g_json.store(style == LogStyle::Json, std::memory_order_relaxed);
  spdlog::set_default_logger(std::move(logger));
}

std::string printable(std::string_view text) {
  constexpr const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7F && c != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[byte >> 4U]);
      out.push_back(kHex[byte & 0xFU]);
    }
  }
  return out;
}

void log_event(spdlog::level::level_enum level, std::string_view name,
               const std::vector<Field>& fields) {
  if (!spdlog::should_log(level)) return;
  std::string line;
  if (g_json.load(std::memory_order_relaxed)) {
    line = kEventPrefix;
    append_json_string(line, name);
    for (const auto& field : fields) {
      line.push_back(',');
      append_json_string(line, field.json_key.empty() ? field.key : field.json_key);
      line.push_back(':');
      if (field.number) {
        line += field.value;
      } else {
        append_json_string(line, field.value);
      }
    }
    line.push_back('}');
  } else {
    line = std::string(name);
    std::replace(line.begin(), line.end(), '_', ' ');  // "session_end" reads "session end"
    for (const auto& field : fields) {
      line += ' ' + field.key + '=' + printable(field.value);
    }
  }
  spdlog::log(level, "{}", line);
}

}  // namespace rustsocks::core

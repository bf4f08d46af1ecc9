#include "metrics/process_metrics.hpp"

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "metrics/exposition.hpp"

namespace rustsocks::metrics {
namespace {

std::optional<std::string> read_file(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<double> parse_double(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  return value;
}

// The fields of /proc/self/stat after "pid (comm)": the comm may hold spaces and parentheses, so
// split after the last ')'. Index 0 is field 3 (state) of proc(5).
std::vector<std::string> stat_fields() {
  std::vector<std::string> fields;
  auto text = read_file("/proc/self/stat");
  if (!text) return fields;
  const auto close = text->rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream in(text->substr(close + 1));
  for (std::string field; in >> field;)
    fields.push_back(field);
  return fields;
}

std::optional<double> boot_time_seconds() {
  auto text = read_file("/proc/stat");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("btime ")) return parse_double(std::string_view(line).substr(6));
  }
  return std::nullopt;
}

std::optional<double> start_time_seconds() {
  const auto fields = stat_fields();
  constexpr std::size_t kStartTime = 22 - 3;  // proc(5) field 22, clock ticks after boot
  const long ticks = sysconf(_SC_CLK_TCK);
  const auto boot = boot_time_seconds();
  if (fields.size() <= kStartTime || ticks <= 0 || !boot) return std::nullopt;
  const auto since_boot = parse_double(fields[kStartTime]);
  if (!since_boot) return std::nullopt;
  return *boot + *since_boot / static_cast<double>(ticks);
}

// /proc/self/statm: size resident ... in pages.
std::optional<std::pair<std::uint64_t, std::uint64_t>> memory_bytes() {
  auto text = read_file("/proc/self/statm");
  const long page = sysconf(_SC_PAGESIZE);
  if (!text || page <= 0) return std::nullopt;
  std::istringstream in(*text);
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  if (!(in >> size >> resident)) return std::nullopt;
  const auto page_bytes = static_cast<std::uint64_t>(page);
  return std::pair{size * page_bytes, resident * page_bytes};
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

template <class Number>
void append_family(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type, Number value) {
  append_header(out, name, help, type);
  append_series(out, name, {});
  append_number(out, value);
  out += '\n';
}

}  // namespace

std::optional<std::int64_t> open_fds() {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  if (ec) return std::nullopt;
  std::int64_t count = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    ++count;
  }
  return count - 1;  // the iterator's own descriptor
}

std::optional<std::uint64_t> max_fds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

void append_process_metrics(std::string& out) {
  append_family(out, "process_cpu_seconds_total",
                "Total user and system CPU time spent in seconds.", "counter", cpu_seconds());
  if (auto fds = open_fds()) {
    append_family(out, "process_open_fds", "Number of open file descriptors.", "gauge", *fds);
  }
  if (auto limit = max_fds()) {
    append_family(out, "process_max_fds", "Maximum number of open file descriptors.", "gauge",
                  *limit);
  }
  if (auto memory = memory_bytes()) {
    append_family(out, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge",
                  memory->second);
    append_family(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge",
                  memory->first);
  }
  if (auto start = start_time_seconds()) {
    append_family(out, "process_start_time_seconds",
                  "Start time of the process since unix epoch in seconds.", "gauge", *start);
  }
}

void register_process_metrics(Registry& registry) {
  registry.add_collector(append_process_metrics);
}

}  // namespace rustsocks::metrics

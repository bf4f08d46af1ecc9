#include "metrics/process_metrics.hpp"

#include <charconv>
#include <chrono>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

namespace rustsocks::metrics {
namespace {

// Unlabelled samples of a rendered text: name -> value.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.find(' ');
    double value = -1;
    std::from_chars(line.data() + space + 1, line.data() + line.size(), value);
    out[line.substr(0, space)] = value;
  }
  return out;
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

TEST(ProcessMetrics, ArePresentAndPlausible) {
  Registry r;
  register_process_metrics(r);
  const std::string text = r.render();
  auto values = samples(text);
  for (const char* name : {"process_cpu_seconds_total", "process_open_fds", "process_max_fds",
                           "process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_start_time_seconds"}) {
    EXPECT_TRUE(values.contains(name)) << name << " missing from\n" << text;
  }
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  EXPECT_GE(values["process_cpu_seconds_total"], 0.0);
  EXPECT_GT(values["process_open_fds"], 0.0);  // stdin, stdout, stderr at least
  EXPECT_GT(values["process_max_fds"], 0.0);
  EXPECT_GE(values["process_max_fds"], values["process_open_fds"]);
  EXPECT_GT(values["process_resident_memory_bytes"], 100'000.0);
  EXPECT_GE(values["process_virtual_memory_bytes"], values["process_resident_memory_bytes"]);
  // ctest runs each test in its own process, started moments ago.
  EXPECT_LE(values["process_start_time_seconds"], now_seconds() + 1);
  EXPECT_GT(values["process_start_time_seconds"], now_seconds() - 3600);
}

TEST(ProcessMetrics, OpenFdsFollowsAnOpenedDescriptor) {
  auto open_fds = [] {
    std::string out;
    append_process_metrics(out);
    return samples(out)["process_open_fds"];
  };
  const double before = open_fds();
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const double during = open_fds();
  ::close(fd);
  EXPECT_EQ(during, before + 1);
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace rustsocks::metrics

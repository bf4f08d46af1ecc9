// Feeds rendered registries to `promtool check metrics` (Debian package prometheus): exit 0 means
// the text parses and passes promtool's lint. Skipped, visibly, when promtool is not installed.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include "metrics/process_metrics.hpp"
#include "metrics/registry.hpp"

namespace rustsocks::metrics {
namespace {

bool have_promtool() {
  return std::system("command -v promtool >/dev/null 2>&1") == 0;
}

struct Check {
  int exit_code = -1;
  std::string output;
};

Check promtool_check(const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto stem = "rustsocks_metrics_" + std::to_string(::getpid());
  const auto input = dir / (stem + ".prom");
  const auto output = dir / (stem + ".out");
  std::ofstream(input) << text;
  const std::string command =
      "promtool check metrics < '" + input.string() + "' > '" + output.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  Check check;
  if (status != -1 && WIFEXITED(status)) check.exit_code = WEXITSTATUS(status);
  std::ostringstream captured;
  captured << std::ifstream(output).rdbuf();
  check.output = captured.str();
  std::filesystem::remove(input);
  std::filesystem::remove(output);
  return check;
}

void fill(Registry& r) {
  r.counter("rustsocks_auth_total", "Authentication attempts.",
            {{"method", "password"}, {"result", "ok"}})
      .inc(3);
  r.counter("rustsocks_auth_total", "", {{"method", "we\\ird \"one\"\nx"}, {"result", "fail"}});
  r.counter("rustsocks_sessions_total", "Accepted sessions.").inc();
  r.gauge("rustsocks_connections_active", "Open sessions.\nSecond \\ line.").set(-7);
  Histogram& connect =
      r.histogram("rustsocks_upstream_connect_duration_seconds", "Upstream connect time.",
                  duration_buckets(), {{"family", "ipv4"}});
  for (double v : {0.0001, 0.003, 0.2, 4.0, 60.0})
    connect.observe(v);
  r.histogram("rustsocks_session_size_bytes", "Bytes relayed per session.", {1024, 1048576}, {}, 0)
      .observe(5000);
  register_process_metrics(r);
}

TEST(Promtool, AcceptsTheRenderedRegistry) {
  if (!have_promtool()) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  Registry r;
  fill(r);
  const std::string text = r.render();
  const Check check = promtool_check(text);
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n--- input ---\n" << text;
}

TEST(Promtool, AcceptsAnEmptyRegistry) {
  if (!have_promtool()) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  const Check check = promtool_check(Registry().render());
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

// Proves the harness can fail: an unescaped quote in a label value is a parse error.
TEST(Promtool, RejectsMalformedText) {
  if (!have_promtool()) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  const Check check =
      promtool_check("# HELP a_total A.\n# TYPE a_total counter\na_total{k=\"\"\"} 1\n");
  EXPECT_NE(check.exit_code, 0) << check.output;
}

}  // namespace
}  // namespace rustsocks::metrics

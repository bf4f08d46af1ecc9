#include "metrics/exposition.hpp"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace rustsocks::metrics {
namespace {

std::string number(double v) {
  std::string out;
  append_number(out, v);
  return out;
}

TEST(AppendNumber, WritesTheShortestRoundTripText) {
  EXPECT_EQ(number(0.0005), "0.0005");
  EXPECT_EQ(number(0.1), "0.1");
  EXPECT_EQ(number(1), "1");
  EXPECT_EQ(number(2.5), "2.5");
  EXPECT_EQ(number(1048576), "1048576");
  EXPECT_EQ(number(1e-7), "1e-07");
  EXPECT_EQ(number(-0.0), "0");
  EXPECT_EQ(number(1.5e300), "1.5e+300");
  EXPECT_EQ(number(-0.25), "-0.25");
  EXPECT_EQ(number(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(number(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(number(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(AppendNumber, WritesIntegersExactly) {
  std::string out;
  append_number(out, std::numeric_limits<std::uint64_t>::max());
  out += ' ';
  append_number(out, std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(out, "18446744073709551615 -9223372036854775808");
}

TEST(AppendLabelValue, EscapesBackslashQuoteAndNewline) {
  std::string out;
  append_label_value(out, "a\\b\"c\nd\te");
  EXPECT_EQ(out, "a\\\\b\\\"c\\nd\te");
}

TEST(AppendHelpText, EscapesBackslashAndNewlineOnly) {
  std::string out;
  append_help_text(out, "a\\b\"c\nd");
  EXPECT_EQ(out, "a\\\\b\"c\\nd");
}

TEST(Names, FollowThePrometheusGrammar) {
  EXPECT_TRUE(is_metric_name("a:b_c9"));
  EXPECT_TRUE(is_metric_name(":a"));
  EXPECT_FALSE(is_metric_name("9a"));
  EXPECT_FALSE(is_metric_name("a-b"));
  EXPECT_FALSE(is_metric_name(""));
  EXPECT_TRUE(is_label_name("_a9"));
  EXPECT_FALSE(is_label_name("a:b"));
  EXPECT_FALSE(is_label_name(""));
}

TEST(AppendHeader, WritesHelpThenType) {
  std::string out;
  append_header(out, "x_total", "Line\none", "counter");
  append_series(out, "x_total", "k=\"v\"");
  out += "1\n";
  EXPECT_EQ(out, "# HELP x_total Line\\none\n# TYPE x_total counter\nx_total{k=\"v\"} 1\n");
}

}  // namespace
}  // namespace rustsocks::metrics

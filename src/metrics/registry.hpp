// The metrics registry: the process's one global (metrics::registry()). Code registers its
// metrics at start-up or first use, keeps the returned references in a plain struct next to the
// code that bumps them, and the HTTP endpoint calls render() on each scrape.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/metric.hpp"

namespace rustsocks::metrics {

// Label names and values, rendered in the order given: {"a","1"},{"b","2"} and {"b","2"},{"a","1"}
// are two different series, so always pass one family's labels in the same order.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Appends text-format families at scrape time (e.g. process metrics read from /proc).
using Collector = std::function<void(std::string&)>;

// Registration takes a mutex and may allocate: never call it on a hot path, keep the reference.
// Registration throws std::logic_error on a programming error: a name not matching
// [a-zA-Z_:][a-zA-Z0-9_:]*, a counter not ending in `_total` or a gauge or histogram that does,
// a name already registered with another type (or, for histograms, other bounds), a bad label
// name (not [a-zA-Z_][a-zA-Z0-9_]*, starting with "__", repeated, or `le` on a histogram).
// The same name and labels return the same object; the help text of the first call is kept.
// Metrics live as long as the registry.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  // bounds: finite and strictly increasing upper bounds, without +Inf (added implicitly).
  // sum_decimals: see Histogram; 6 for seconds, 0 for bytes.
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       const Labels& labels = {}, int sum_decimals = 6);

  // Collectors run at each render(), after the registered families, outside the registry's lock
  // (so they may register metrics); they must append complete, valid text-format families.
  void add_collector(Collector render_extra);

  // Text format 0.0.4: families sorted by name, series sorted by rendered labels.
  std::string render() const;

 private:
  enum class Type { Counter, Gauge, Histogram };
  struct Family {
    Type type = Type::Counter;
    std::string help;
    std::vector<double> bounds;  // histograms: every series shares them
    int sum_decimals = 0;
    // Keyed by rendered labels (`a="x",b="y"`); unique_ptr keeps references stable.
    std::map<std::string, std::unique_ptr<Counter>, std::less<>> counters;
    std::map<std::string, std::unique_ptr<Gauge>, std::less<>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>, std::less<>> histograms;
  };

  // Validates the name against the type and returns the family, created if new. Caller holds
  // mutex_.
  Family& family(std::string_view name, std::string_view help, Type type);
  static void render_family(std::string& out, const std::string& name, const Family& family);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
  std::vector<Collector> collectors_;
};

// The process-wide registry (function-local static): the only singleton in rustsocks.
Registry& registry();

// Latency buckets in seconds, 0.5 ms .. 10 s (1-2.5-5 steps).
std::vector<double> duration_buckets();

}  // namespace rustsocks::metrics

#include "metrics/registry.hpp"

#include <algorithm>
#include <stdexcept>

#include "metrics/exposition.hpp"

namespace rustsocks::metrics {
namespace {

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

bool ends_with_total(std::string_view name) {
  return name.ends_with("_total");
}

// Validates the label names and renders `a="x",b="y"` in the given order.
std::string render_labels(const Labels& labels, bool histogram) {
  std::string out;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto& [name, value] = labels[i];
    if (!is_label_name(name) || name.starts_with("__")) {
      throw std::logic_error("invalid metric label name " + quoted(name));
    }
    if (histogram && name == "le") throw std::logic_error("histograms reserve the label 'le'");
    for (std::size_t j = 0; j < i; ++j) {
      if (labels[j].first == name) throw std::logic_error("repeated metric label " + quoted(name));
    }
    if (i > 0) out += ',';
    out += name;
    out += "=\"";
    append_label_value(out, value);
    out += '"';
  }
  return out;
}

void render_histogram(std::string& out, const std::string& name, const std::string& labels,
                      const Histogram& histogram) {
  const std::vector<std::uint64_t> counts = histogram.bucket_counts();
  const std::string bucket = name + "_bucket";
  const std::string prefix = labels.empty() ? "le=\"" : labels + ",le=\"";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    std::string bucket_labels = prefix;
    if (i < histogram.bounds().size()) {
      append_number(bucket_labels, histogram.bounds()[i]);
    } else {
      bucket_labels += "+Inf";
    }
    bucket_labels += '"';
    append_series(out, bucket, bucket_labels);
    append_number(out, cumulative);
    out += '\n';
  }
  append_series(out, name + "_sum", labels);
  append_number(out, histogram.sum());
  out += '\n';
  // The +Inf bucket's count, so that _count always matches it even while observations race.
  append_series(out, name + "_count", labels);
  append_number(out, cumulative);
  out += '\n';
}

}  // namespace

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::family(std::string_view name, std::string_view help, Type type) {
  if (!is_metric_name(name)) throw std::logic_error("invalid metric name " + quoted(name));
  if ((type == Type::Counter) != ends_with_total(name)) {
    throw std::logic_error("metric " + quoted(name) +
                           ": counters, and only counters, end in '_total'");
  }
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{}).first;
    it->second.type = type;
    it->second.help = std::string(help);
  } else if (it->second.type != type) {
    throw std::logic_error("metric " + quoted(name) + " is already registered with another type");
  }
  return it->second;
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::string key = render_labels(labels, false);
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::Counter).counters[std::move(key)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::string key = render_labels(labels, false);
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::Gauge).gauges[std::move(key)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               std::vector<double> bounds, const Labels& labels, int sum_decimals) {
  std::string key = render_labels(labels, true);
  auto fresh = std::make_unique<Histogram>(std::move(bounds), sum_decimals);  // validates bounds
  std::lock_guard lock(mutex_);
  const bool known = families_.contains(name);
  Family& f = family(name, help, Type::Histogram);
  if (!known) {
    f.bounds = fresh->bounds();
    f.sum_decimals = sum_decimals;
  } else if (f.bounds != fresh->bounds() || f.sum_decimals != sum_decimals) {
    throw std::logic_error("histogram " + quoted(name) +
                           " is already registered with other buckets");
  }
  auto& slot = f.histograms[std::move(key)];
  if (!slot) slot = std::move(fresh);
  return *slot;
}

void Registry::add_collector(Collector render_extra) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(render_extra));
}

void Registry::render_family(std::string& out, const std::string& name, const Family& family) {
  std::string_view type = "histogram";
  if (family.type == Type::Counter) type = "counter";
  if (family.type == Type::Gauge) type = "gauge";
  append_header(out, name, family.help, type);
  for (const auto& [labels, counter] : family.counters) {
    append_series(out, name, labels);
    append_number(out, counter->value());
    out += '\n';
  }
  for (const auto& [labels, gauge] : family.gauges) {
    append_series(out, name, labels);
    append_number(out, gauge->value());
    out += '\n';
  }
  for (const auto& [labels, histogram] : family.histograms) {
    render_histogram(out, name, labels, *histogram);
  }
}

std::string Registry::render() const {
  std::string out;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, f] : families_)
      render_family(out, name, f);
    collectors = collectors_;
  }
  for (const Collector& collect : collectors)
    collect(out);
  return out;
}

Registry& registry() {
  static Registry instance;
  return instance;
}

std::vector<double> duration_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace rustsocks::metrics

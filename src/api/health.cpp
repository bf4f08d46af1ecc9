#include "api/health.hpp"

#include <stdexcept>

namespace rustsocks::api {

void Health::add_check(std::string name, Check check) {
  for (const auto& known : checks_) {
    if (known.name == name) throw std::logic_error("health check registered twice: " + name);
  }
  checks_.push_back(Named{std::move(name), std::move(check)});
}

Health::Report Health::evaluate() const {
  Report report;
  for (const auto& each : checks_) {
    auto problem = each.check();
    if (problem) {
      report.ok = false;
      report.checks[each.name] = *problem;
      report.failing.push_back(each.name);
    } else {
      report.checks[each.name] = "ok";
    }
  }
  return report;
}

}  // namespace rustsocks::api

// Readiness for GET /health: named checks that other modules register at start-up (listeners,
// PAM monitor, later "acl"). A check runs on the control thread at each request, so it must only
// read thread-safe state (atomics, an atomic snapshot) and return quickly.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rustsocks::api {

class Health {
 public:
  // nullopt = healthy; otherwise why not ("2 of 4 workers are not accepting").
  using Check = std::function<std::optional<std::string>()>;

  // Throws std::logic_error when `name` is registered already.
  void add_check(std::string name, Check check);

  struct Report {
    bool ok = true;
    nlohmann::json checks = nlohmann::json::object();  // name -> "ok" or the failure text
    std::vector<std::string> failing;                  // names of the failing checks
  };
  Report evaluate() const;

 private:
  struct Named {
    std::string name;
    Check check;
  };
  std::vector<Named> checks_;
};

}  // namespace rustsocks::api

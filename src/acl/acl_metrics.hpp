// The ACL's counters, registered once and kept as references (bumped on the session path).
#pragma once

#include "metrics/registry.hpp"

namespace rustsocks::acl {

struct AclMetrics {
  metrics::Counter& allowed = decisions("allow");
  metrics::Counter& blocked = decisions("block");
  metrics::Counter& reload_success = reloads("success");
  metrics::Counter& reload_failure = reloads("failure");

  static metrics::Counter& decisions(const char* action) {
    return metrics::registry().counter("rustsocks_acl_decisions_total",
                                       "ACL decisions on connections, by action",
                                       {{"action", action}});
  }
  static metrics::Counter& reloads(const char* result) {
    return metrics::registry().counter("rustsocks_acl_reload_total", "ACL file reloads, by result",
                                       {{"result", result}});
  }
};

// The process' instance (function-local static, so registration happens once).
inline AclMetrics& acl_metrics() {
  static AclMetrics instance;
  return instance;
}

}  // namespace rustsocks::acl

// Wires the management API (api/) to the running server: binds its listener as root, then, once
// the workers exist, builds the router with the core routes and health checks and serves it on
// the control thread's io_context. Other modules add their routes and readiness checks in
// ApiService::start() (see the comment there, and docs/api.md "Adding routes").
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "acl/acl_store.hpp"
#include "api/health.hpp"
#include "api/router.hpp"
#include "api/server.hpp"
#include "app/auth_setup.hpp"
#include "config/config.hpp"
#include "listener/worker.hpp"

namespace rustsocks::app {

// Before the privilege drop: binds when [sessions] stats_api_enabled (throws on failure).
std::optional<api::BoundListener> bind_api(const config::Config& config);

// Create after the control io_context (it must be destroyed first).
class ApiService {
 public:
  // acl: the live ACL for its routes and readiness check, null when [acl] is disabled.
  ApiService(const config::Config& config, std::optional<api::BoundListener> listener,
             acl::AclStore* acl)
      : config_(config), listener_(std::move(listener)), acl_(acl) {}

  // After the workers exist, before `control` runs. Serves nothing when the API is disabled.
  void start(asio::io_context& control, std::vector<std::unique_ptr<listener::Worker>>& workers,
             listener::ConnectionCounters& counters);
  // On the control thread: closes the listener and every API connection.
  void stop();

 private:
  void add_health_checks(std::vector<std::unique_ptr<listener::Worker>>& workers);

  const config::Config& config_;
  std::optional<api::BoundListener> listener_;
  acl::AclStore* acl_;
  std::unique_ptr<api::Router> router_;
  api::Health health_;
  std::unique_ptr<api::Server> server_;
};

}  // namespace rustsocks::app

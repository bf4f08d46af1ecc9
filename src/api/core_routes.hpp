// The API's own routes: /health, /metrics, /api/status, /api/config, /api/auth/method,
// /api/auth/pam/status, POST /api/auth/pam/test and /api/openapi.json. They read the server
// through the small views below, which app/ fills; nothing here knows workers or sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/health.hpp"
#include "api/router.hpp"
#include "config/config.hpp"

namespace rustsocks::api {

// Read on the control thread: the functions must be thread-safe (atomics).
struct ServerView {
  std::string version;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  unsigned workers = 0;
  std::function<std::int64_t()> sessions_active{};
  std::function<std::uint64_t()> sessions_total{};  // connections accepted since start
};

struct PamView {
  std::vector<std::string> services{};  // the PAM services the config uses (empty: no PAM)
  // Where libpam reads a service from, nullopt when there is no file.
  std::function<std::optional<std::string>(const std::string&)> service_file{};
  std::function<bool()> monitor_alive{};  // thread-safe; unset when PAM is not used
};

// One POST /api/auth/pam/test: a username and password (socks_method pam.username), or an
// address (pam.address, client or SOCKS tier). `peer` is the API client, for logs and lockout.
struct PamTestRequest {
  bool by_address = false;
  std::string username;
  std::string password;
  std::string address;
  std::string peer;
};

struct PamTestResult {
  bool success = false;
  std::string result;  // "success", "failure", "locked_out", "unavailable", "cached"
  std::chrono::milliseconds duration{0};
};

// Runs the check through the real login path; `done` is called once, on the control thread.
using PamTester = std::function<void(PamTestRequest, std::function<void(PamTestResult)> done)>;

struct CoreServices {
  const config::Config& config;
  ServerView server;
  PamView pam;
  PamTester pam_tester;
  const Health& health;
};

void add_core_routes(Router& router, CoreServices services);

}  // namespace rustsocks::api

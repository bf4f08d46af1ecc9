// Builds the authentication services from the config: the static user list, the login caches,
// the lockout table, the blocking pool for crypt(3) and NSS lookups, and (when a PAM method is in
// use) the checks on PAM service files and the PAM monitor. Owned by app::run for the process'
// life.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/credential_cache.hpp"
#include "auth/lockout.hpp"
#include "auth/static_users.hpp"
#include "config/config.hpp"
#include "core/blocking_pool.hpp"
#include "pam_monitor/monitor.hpp"
#include "session/authenticator.hpp"

namespace rustsocks::app {

// The PAM services the configuration uses (empty: no PAM, no monitor).
std::vector<std::string> pam_services(const config::Auth& auth);

// Where libpam would read `service` from, or nullopt when no file exists (libpam would then
// silently use "other"). Honours pam_wrapper's PAM_WRAPPER_SERVICE_DIR when PAM_WRAPPER=1.
std::optional<std::string> pam_service_file(const std::string& service);

class AuthServices {
 public:
  // Throws std::runtime_error with every problem (missing service file, bad user list).
  explicit AuthServices(const config::Config& config);
  ~AuthServices();
  AuthServices(const AuthServices&) = delete;
  AuthServices& operator=(const AuthServices&) = delete;

  // Forks the PAM monitor when PAM is used (call before any thread exists) and returns one
  // channel per worker (invalid fds when PAM is not used).
  std::vector<core::UniqueFd> start_pam_monitor(unsigned workers);
  // Starts the thread pool (after the privilege drop) and returns the shared state for workers.
  session::AuthShared& start();
  // Joins the pool's threads; call after the worker loops stopped and before they are destroyed.
  void stop_threads();
  // Waits for the monitor to leave (it does once every channel is closed, i.e. after the
  // workers are destroyed), then reaps it.
  void stop_pam_monitor();

 private:
  const config::Config& config_;
  auth::Lockout lockout_;
  std::optional<auth::StaticUsers> users_;
  std::unique_ptr<auth::CredentialCache> userpass_cache_;
  std::unique_ptr<auth::CredentialCache> pam_cache_;
  session::GroupCache groups_;
  std::unique_ptr<core::BlockingPool> blocking_;
  std::unique_ptr<session::AuthShared> shared_;
  pam_monitor::MonitorHandle monitor_;
};

}  // namespace rustsocks::app

#include "app/auth_setup.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace rustsocks::app {
namespace {

auth::Lockout::Policy lockout_policy(const config::Lockout& lockout) {
  return auth::Lockout::Policy{.enabled = lockout.enabled,
                               .max_failures = lockout.max_failures,
                               .window = lockout.window,
                               .duration = lockout.duration};
}

std::optional<auth::StaticUsers> make_users(const config::Auth& auth) {
  if (auth.socks_method != config::SocksMethod::UserPass) return std::nullopt;
  std::vector<auth::StaticUser> users;
  for (const auto& user : auth.users) {
    users.push_back(auth::StaticUser{user.username, user.password_hash, user.password});
  }
  auto created = auth::StaticUsers::create(std::move(users));
  if (!created) {
    std::string all = "[[auth.users]]:";
    for (const auto& error : created.error())
      all += "\n  " + error;
    throw std::runtime_error(all);
  }
  return std::move(*created);
}

std::unique_ptr<auth::CredentialCache> make_cache(std::chrono::seconds ttl) {
  if (ttl.count() == 0) return nullptr;
  return std::make_unique<auth::CredentialCache>(auth::CredentialCache::Options{.ttl = ttl});
}

void verify_services(const config::Auth& auth) {
  for (const auto& service : pam_services(auth)) {
    if (pam_service_file(service)) continue;
    auto text = "PAM service '" + service +
                "' has no file in /etc/pam.d or /usr/lib/pam.d; libpam would silently use "
                "'other', which on Debian accepts any system password. Install one (see "
                "config/pam.d/ and docs/pam.md)";
    if (auth.pam.verify_service) throw std::runtime_error(text);
    spdlog::error("{} (continuing because [auth.pam] verify_service = false)", text);
  }
}

}  // namespace

std::vector<std::string> pam_services(const config::Auth& auth) {
  std::vector<std::string> services;
  if (auth.client_method == config::ClientMethod::PamAddress) {
    services.push_back(auth.client_pam_service);
  }
  if (auth.socks_method == config::SocksMethod::PamAddress ||
      auth.socks_method == config::SocksMethod::PamUsername) {
    if (services.empty() || services.front() != auth.socks_pam_service) {
      services.push_back(auth.socks_pam_service);
    }
  }
  return services;
}

std::optional<std::string> pam_service_file(const std::string& service) {
  std::vector<std::string> dirs{"/etc/pam.d", "/usr/lib/pam.d"};
  const char* wrapper = std::getenv("PAM_WRAPPER");  // NOLINT(concurrency-mt-unsafe): start-up
  const char* wrapper_dir =
      std::getenv("PAM_WRAPPER_SERVICE_DIR");  // NOLINT(concurrency-mt-unsafe)
  if (wrapper != nullptr && std::string(wrapper) == "1" && wrapper_dir != nullptr) {
    dirs = {wrapper_dir};
  }
  for (const auto& dir : dirs) {
    auto path = std::filesystem::path(dir) / service;
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path.string();
  }
  return std::nullopt;
}

AuthServices::AuthServices(const config::Config& config)
    : config_(config),
      lockout_(lockout_policy(config.auth.lockout)),
      users_(make_users(config.auth)),
      userpass_cache_(make_cache(config.auth.userpass_cache_ttl)),
      pam_cache_(make_cache(config.auth.pam.cache_ttl)),
      groups_(std::max(config.auth.userpass_cache_ttl, config.auth.pam.cache_ttl)) {
  verify_services(config.auth);
}

AuthServices::~AuthServices() {
  stop_threads();
  stop_pam_monitor();
}

std::vector<core::UniqueFd> AuthServices::start_pam_monitor(unsigned workers) {
  auto services = pam_services(config_.auth);
  std::vector<core::UniqueFd> channels(workers);
  if (services.empty()) return channels;
  pam_monitor::MonitorOptions options{.services = services,
                                      .workers = config_.auth.pam.monitor_workers,
                                      .verbose = config_.auth.pam.verbose};
  monitor_ = pam_monitor::start_monitor(options, workers);
  spdlog::info("PAM monitor started (pid {}, {} PAM workers) for service(s) {}", monitor_.pid,
               options.workers, fmt::join(services, ", "));
  return std::move(monitor_.channels);
}

session::AuthShared& AuthServices::start() {
  blocking_ = std::make_unique<core::BlockingPool>(core::BlockingPool::Options{});
  shared_ = std::make_unique<session::AuthShared>(session::AuthShared{
      .config = config_.auth,
      .lockout = lockout_,
      .users = users_ ? &*users_ : nullptr,
      .userpass_cache = userpass_cache_.get(),
      .pam_cache = pam_cache_.get(),
      .blocking = *blocking_,
      .groups = &groups_,
  });
  return *shared_;
}

void AuthServices::stop_threads() {
  blocking_.reset();
}

void AuthServices::stop_pam_monitor() {
  if (monitor_.pid > 0) {
    pam_monitor::stop_monitor(monitor_);
    monitor_.pid = -1;
  }
}

}  // namespace rustsocks::app

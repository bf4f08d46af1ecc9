#include "session/authenticator.hpp"

#include <grp.h>
#include <pwd.h>

#include "core/log.hpp"
#include "metrics/registry.hpp"

namespace rustsocks::session {
namespace {

using Clock = std::chrono::steady_clock;

metrics::Counter& auth_counter(const char* tier, const char* method, const char* result) {
  return metrics::registry().counter("rustsocks_auth_total",
                                     "Authentication attempts by tier, method and result",
                                     {{"tier", tier}, {"method", method}, {"result", result}});
}

metrics::Counter& pam_counter(const char* method, const std::string& service, const char* result) {
  return metrics::registry().counter(
      "rustsocks_pam_auth_total", "PAM transactions by method, service and result",
      {{"method", method}, {"service", service}, {"result", result}});
}

metrics::Histogram& pam_duration(const char* method, const std::string& service) {
  return metrics::registry().histogram(
      "rustsocks_pam_auth_duration_seconds", "Duration of PAM transactions (monitor round trip)",
      metrics::duration_buckets(), {{"method", method}, {"service", service}});
}

const char* pam_result(auth::PamVerdict verdict) {
  switch (verdict) {
    case auth::PamVerdict::Success:
      return "success";
    case auth::PamVerdict::Denied:
      return "failure";
    case auth::PamVerdict::Unavailable:
      return "unavailable";
  }
  return "unavailable";
}

// NSS groups of `user` (files, LDAP/AD through SSSD): blocking, so it runs on the pool.
std::vector<std::string> lookup_groups(const std::string& user) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return {};
  }
  int count = 64;
  std::vector<gid_t> gids(static_cast<std::size_t>(count));
  if (::getgrouplist(user.c_str(), found->pw_gid, gids.data(), &count) < 0) {
    gids.resize(static_cast<std::size_t>(count));
    if (::getgrouplist(user.c_str(), found->pw_gid, gids.data(), &count) < 0) return {};
  }
  gids.resize(static_cast<std::size_t>(count));
  std::vector<std::string> names;
  for (auto gid : gids) {
    group grp{};
    group* hit = nullptr;
    std::vector<char> group_buffer(16384);
    if (::getgrgid_r(gid, &grp, group_buffer.data(), group_buffer.size(), &hit) == 0 &&
        hit != nullptr) {
      names.emplace_back(hit->gr_name);
    }
  }
  return names;
}

}  // namespace

void register_auth_metrics(const config::Auth& config) {
  auto both = [](const char* tier, const char* method) {
    for (const char* result : {"success", "failure"}) {
      (void)auth_counter(tier, method, result);
    }
  };
  auto pam = [](const char* method, const std::string& service) {
    for (const char* result : {"success", "failure", "unavailable"}) {
      (void)pam_counter(method, service, result);
    }
    (void)pam_duration(method, service);
  };
  const bool any = config.client_method != config::ClientMethod::None ||
                   config.socks_method != config::SocksMethod::None;
  if (any) {
    (void)metrics::registry().counter("rustsocks_auth_lockouts_total",
                                      "Client IPs locked out after repeated failures");
  }
  if (config.client_method == config::ClientMethod::PamAddress) {
    both("client", "pam.address");
    pam("pam.address", config.client_pam_service);
  }
  if (config.socks_method == config::SocksMethod::None) return;
  const char* method = config::method_name(config.socks_method);
  both("socks", method);
  if (config.socks_method != config::SocksMethod::UserPass) pam(method, config.socks_pam_service);
}

// What is known about one attempt while it runs; finish() logs and counts it.
struct Authenticator::Attempt {
  const char* tier;
  const char* method;
  std::string service;  // "-" when no PAM
  std::string client;
  Clock::time_point start = Clock::now();
  const char* outcome = nullptr;  // Verdict::result when not plain "success"/"failure"
};

socks5::Method Authenticator::socks_method() const {
  switch (shared_.config.socks_method) {
    case config::SocksMethod::UserPass:
    case config::SocksMethod::PamUsername:
      return socks5::Method::UserPass;
    case config::SocksMethod::None:
    case config::SocksMethod::PamAddress:
      return socks5::Method::NoAuth;
  }
  return socks5::Method::NoAcceptable;
}

awaitable<auth::PamOutcome> Authenticator::pam_call(auth::PamRequest request) {
  if (pam_ == nullptr || !pam_->alive()) {
    auth::PamOutcome gone;
    gone.message = "PAM monitor is not running";
    co_return gone;  // fail closed
  }
  co_return co_await pam_->authenticate(std::move(request));
}

awaitable<bool> Authenticator::verify_static(std::string user, std::string password) {
  if (shared_.users == nullptr) co_return false;
  const auto* users = shared_.users;
  auto job = [users, user = std::move(user), password = std::move(password)] {
    return users->verify(user, password);
  };
  auto verified = co_await shared_.blocking.run(std::move(job), shared_.config.pam.timeout);
  co_return verified.value_or(false);
}

const char* Authenticator::result_of(const Attempt& attempt, bool ok) {
  if (attempt.outcome != nullptr) return attempt.outcome;
  return ok ? "success" : "failure";
}

awaitable<Verdict> Authenticator::finish(Attempt& attempt, bool ok, std::string user) {
  auto now = Clock::now();
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - attempt.start);
  auth_counter(attempt.tier, attempt.method, ok ? "success" : "failure").inc();
  core::log_event(
      ok ? spdlog::level::info : spdlog::level::warn, "auth",
      {core::text_field("tier", attempt.tier), core::text_field("method", attempt.method),
       core::text_field("service", attempt.service), core::text_field("client", attempt.client),
       core::text_field("user", user), core::text_field("result", ok ? "success" : "failure"),
       core::number_field("duration_ms", static_cast<std::uint64_t>(elapsed.count()))});
  Verdict verdict;
  verdict.result = result_of(attempt, ok);
  if (ok) {
    shared_.lockout.record_success(attempt.client, now);
    verdict.ok = true;
    if (!user.empty() && user != kAnonymousUser) {
      auto cached = shared_.groups != nullptr ? shared_.groups->find(user, now) : std::nullopt;
      if (cached) {
        verdict.groups = std::move(*cached);
      } else {
        auto name = user;
        auto job = [name] { return lookup_groups(name); };
        auto groups = co_await shared_.blocking.run(std::move(job), shared_.config.pam.timeout);
        if (groups && shared_.groups != nullptr) shared_.groups->insert(user, *groups, now);
        verdict.groups = groups.value_or(std::vector<std::string>{});
      }
      verdict.user = std::move(user);
    }
    co_return verdict;
  }
  if (shared_.lockout.record_failure(attempt.client, now)) {
    metrics::registry()
        .counter("rustsocks_auth_lockouts_total", "Client IPs locked out after repeated failures")
        .inc();
    spdlog::warn("auth: {} locked out after {} failures within {} s (for {} s)", attempt.client,
                 shared_.config.lockout.max_failures, shared_.config.lockout.window.count(),
                 shared_.config.lockout.duration.count());
  }
  // The same delay after every failure, whatever failed, on a timer: no thread sleeps.
  asio::steady_timer delay(co_await asio::this_coro::executor, shared_.config.failure_delay);
  co_await delay.async_wait(kNoThrow);
  co_return verdict;
}

namespace {

auth::PamRequest pam_request(const config::Auth& config, std::string service, std::string user,
                             std::string password, std::string rhost, bool check_password) {
  auth::PamRequest request;
  request.service = std::move(service);
  request.user = std::move(user);
  request.password = std::move(password);
  request.rhost = std::move(rhost);
  request.ruser = config.pam.default_ruser;
  request.check_password = check_password;
  return request;
}

void count_pam(const char* method, const std::string& service, const auth::PamOutcome& outcome) {
  pam_counter(method, service, pam_result(outcome.verdict)).inc();
  pam_duration(method, service).observe(std::chrono::duration<double>(outcome.duration).count());
  if (outcome.verdict == auth::PamVerdict::Unavailable) {
    spdlog::error("auth: PAM service {} gave no verdict ({}); refusing (fail closed)", service,
                  core::printable(outcome.message));
  } else if (!outcome.message.empty()) {  // PAM's own text, sent only with [auth.pam] verbose
    spdlog::info("auth: PAM service {}: {}", service, core::printable(outcome.message));
  }
}

}  // namespace

awaitable<Verdict> Authenticator::check_pam_address(const char* tier, const std::string& service,
                                                    const asio::ip::address& peer) {
  const auto& config = shared_.config;
  Attempt attempt{tier, "pam.address", service, auth::normalise_rhost(peer)};
  if (shared_.lockout.locked(attempt.client, Clock::now())) {
    attempt.outcome = "locked_out";
    co_return co_await finish(attempt, false, config.pam.default_user);
  }
  auto outcome = co_await pam_call(
      pam_request(config, service, config.pam.default_user, {}, attempt.client, false));
  count_pam("pam.address", service, outcome);
  if (outcome.verdict == auth::PamVerdict::Unavailable) attempt.outcome = "unavailable";
  co_return co_await finish(attempt, outcome.verdict == auth::PamVerdict::Success, kAnonymousUser);
}

awaitable<Verdict> Authenticator::check_client(const asio::ip::address& peer) {
  return check_pam_address("client", shared_.config.client_pam_service, peer);
}

awaitable<Verdict> Authenticator::check_address(const asio::ip::address& peer) {
  return check_pam_address("socks", shared_.config.socks_pam_service, peer);
}

awaitable<Verdict> Authenticator::check_credentials(std::string user, std::string password,
                                                    const asio::ip::address& peer) {
  const auto& config = shared_.config;
  bool pam = config.socks_method == config::SocksMethod::PamUsername;
  const char* method = config::method_name(config.socks_method);
  Attempt attempt{"socks", method, pam ? config.socks_pam_service : std::string("-"),
                  auth::normalise_rhost(peer)};
  if (shared_.lockout.locked(attempt.client, Clock::now())) {
    attempt.outcome = "locked_out";
    co_return co_await finish(attempt, false, user);
  }
  auto* cache = pam ? shared_.pam_cache : shared_.userpass_cache;
  if (cache != nullptr && cache->contains(method, user, password)) {
    attempt.outcome = "cached";
    co_return co_await finish(attempt, true, user);
  }
  bool ok = false;
  if (pam) {
    auto outcome = co_await pam_call(
        pam_request(config, config.socks_pam_service, user, password, attempt.client, true));
    count_pam(method, config.socks_pam_service, outcome);
    ok = outcome.verdict == auth::PamVerdict::Success;
    if (outcome.verdict == auth::PamVerdict::Unavailable) attempt.outcome = "unavailable";
  } else {
    ok = co_await verify_static(user, password);
  }
  if (ok && cache != nullptr) cache->insert(method, user, password);  // successes only
  co_return co_await finish(attempt, ok, user);
}

}  // namespace rustsocks::session

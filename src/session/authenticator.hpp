// The authentication step of a session, per worker: the client tier (pam.address before any SOCKS
// byte) and the SOCKS tier (none, userpass, pam.address, pam.username). Every attempt passes the
// lockout check, is logged and counted, and a failure waits the configured failure delay on a
// timer (never on a thread) so timing tells nothing about which check failed.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/credential_cache.hpp"
#include "auth/lockout.hpp"
#include "auth/pam_client.hpp"
#include "auth/static_users.hpp"
#include "config/config.hpp"
#include "core/asio.hpp"
#include "core/blocking_pool.hpp"
#include "session/group_cache.hpp"
#include "socks5/messages.hpp"

namespace rustsocks::session {

inline constexpr const char* kAnonymousUser = "anonymous";

// Process-wide authentication state, created by app/ before the workers start.
struct AuthShared {
  const config::Auth& config;
  auth::Lockout& lockout;
  const auth::StaticUsers* users = nullptr;  // set for userpass
  auth::CredentialCache* userpass_cache = nullptr;
  auth::CredentialCache* pam_cache = nullptr;
  core::BlockingPool& blocking;  // crypt(3) verification and NSS group lookups
  GroupCache* groups = nullptr;  // NSS groups of recent logins; null = look up every time
};

struct Verdict {
  bool ok = false;
  // Why: "success", "cached" (a login cache hit), "failure", "locked_out", "unavailable" (PAM
  // gave no verdict). Bounded: used as a label value and in the API's PAM test.
  const char* result = "failure";
  std::string user = kAnonymousUser;
  std::vector<std::string> groups;  // NSS groups of an authenticated user (getgrouplist)
};

// At start-up: the auth_total and PAM series of the configured methods and services, so a
// scrape shows them (at 0) before the first login.
void register_auth_metrics(const config::Auth& config);

class Authenticator {
 public:
  Authenticator(AuthShared& shared, auth::PamChannel* pam) : shared_(shared), pam_(pam) {}

  bool client_tier() const { return shared_.config.client_method != config::ClientMethod::None; }
  // The one SOCKS method this server offers (0x00 or 0x02).
  socks5::Method socks_method() const;
  bool address_check_after_request() const {
    return shared_.config.socks_method == config::SocksMethod::PamAddress;
  }

  awaitable<Verdict> check_client(const asio::ip::address& peer);
  awaitable<Verdict> check_credentials(std::string user, std::string password,
                                       const asio::ip::address& peer);
  awaitable<Verdict> check_address(const asio::ip::address& peer);

 private:
  struct Attempt;
  static const char* result_of(const Attempt& attempt, bool ok);  // Verdict::result
  awaitable<Verdict> finish(Attempt& attempt, bool ok, std::string user);
  awaitable<Verdict> check_pam_address(const char* tier, const std::string& service,
                                       const asio::ip::address& peer);
  awaitable<bool> verify_static(std::string user, std::string password);
  awaitable<auth::PamOutcome> pam_call(auth::PamRequest request);

  AuthShared& shared_;
  auth::PamChannel* pam_;
};

}  // namespace rustsocks::session

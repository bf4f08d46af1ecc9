// Test support for the PAM monitor: a pam_wrapper sandbox (pam.md §1, §4.1, §7) and a fixture that
// forks a real monitor and talks to it through auth::PamChannel. Service files, the pam_matrix
// password file, the pam_access rules and the nss_wrapper passwd/group live in a temporary folder;
// no system file is read for PAM configuration or written. libpam_wrapper.so and libnss_wrapper.so
// must be preloaded when the test binary starts (ctest does it); otherwise the tests skip.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "auth/pam_client.hpp"
#include "pam_monitor/monitor.hpp"

namespace rustsocks::pam_monitor::testing {

// Users of the sandbox: alice/secret may use "rs-user"; "blank" has an empty pam_matrix password;
// "rhostusr" (the pam.address default user), "rs_blank" and "rs_pw" (monitor_pam_unix_test) exist
// for NSS via nss_wrapper.
// Services: rs-user (pam_matrix), rs-acct-deny (pam_matrix auth, pam_deny account), rs-delay
// (pam_faildelay delay=2 s + pam_matrix), rs-slow (pam_exec sleep 1 + pam_matrix), rs-addr
// (pam_access: rhostusr from 127.0.0.1, ::1, 192.0.2.0/24), rs-unlisted (pam_permit), rs-nullok
// (pam_unix nullok), other (pam_deny).
class PamSandbox {
 public:
  PamSandbox();
  ~PamSandbox();
  PamSandbox(const PamSandbox&) = delete;
  PamSandbox& operator=(const PamSandbox&) = delete;

  // Non-empty when the wrappers are not active in this process: the test must skip.
  std::string skip_reason() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  void write(const std::string& name, const std::string& text) const;
  std::filesystem::path dir_;
};

// Every service of the sandbox except rs-unlisted.
std::vector<std::string> sandbox_services();

auth::PamRequest username_request(std::string service, std::string user, std::string password);
auth::PamRequest address_request(std::string service, std::string rhost);

// The pids of `parent`'s children (from /proc).
std::vector<pid_t> children_of(pid_t parent);
// Polls `done` every few milliseconds until it holds or `limit` passes.
bool eventually(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::milliseconds(5000));
// True once `pid` is gone or a zombie.
bool process_gone(pid_t pid);

class PamMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Forks the monitor with `options` (services default to sandbox_services()) and wraps each of
  // its channels in a PamChannel with `timeout`.
  void start(MonitorOptions options, unsigned channels = 1,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));
  auth::PamOutcome authenticate(auth::PamRequest request, std::size_t channel = 0);
  // Runs the io_context until `done` holds or `limit` passes.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::milliseconds(10'000));

  PamSandbox sandbox_;
  asio::io_context io_;
  MonitorHandle monitor_;
  std::vector<std::unique_ptr<auth::PamChannel>> channels_;
};

}  // namespace rustsocks::pam_monitor::testing

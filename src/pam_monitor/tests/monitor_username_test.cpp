// pam.username through the real monitor and libpam (pam_wrapper + pam_matrix): the verdicts, the
// monitor's own refusals, and libpam's failure delay being suppressed.
#include <chrono>

#include <gtest/gtest.h>
#include <security/pam_appl.h>

#include "pam_sandbox.hpp"

namespace rustsocks::pam_monitor::testing {
namespace {

using namespace std::chrono_literals;
using auth::PamVerdict;

class PamUsername : public PamMonitorTest {};

TEST_F(PamUsername, TheRightPasswordSucceeds) {
  start({});
  auto outcome = authenticate(username_request("rs-user", "alice", "secret"));
  EXPECT_EQ(outcome.verdict, PamVerdict::Success);
  EXPECT_EQ(outcome.pam_code, PAM_SUCCESS);
  EXPECT_EQ(outcome.stage, auth::kStageAccount);
}

TEST_F(PamUsername, AWrongPasswordIsDeniedByAuthentication) {
  start({});
  auto outcome = authenticate(username_request("rs-user", "alice", "wrong"));
  EXPECT_EQ(outcome.verdict, PamVerdict::Denied);
  EXPECT_EQ(outcome.pam_code, PAM_AUTH_ERR);
  EXPECT_EQ(outcome.stage, auth::kStageAuth);
}

TEST_F(PamUsername, AnUnknownUserIsDenied) {
  start({});
  auto outcome = authenticate(username_request("rs-user", "mallory", "secret"));
  EXPECT_EQ(outcome.verdict, PamVerdict::Denied);
  EXPECT_NE(outcome.pam_code, PAM_SUCCESS);
}

// "blank" has an empty password in pam_matrix's file, and pam_matrix ignores
// PAM_DISALLOW_NULL_AUTHTOK: only the monitor's own check keeps this login out.
TEST_F(PamUsername, AnEmptyPasswordIsRefusedEvenWhereTheStackWouldAcceptIt) {
  start({});
  auto outcome = authenticate(username_request("rs-user", "blank", ""));
  EXPECT_EQ(outcome.verdict, PamVerdict::Denied);
  EXPECT_EQ(outcome.pam_code, PAM_AUTH_ERR);
  EXPECT_EQ(outcome.stage, auth::kStageMonitor);
  EXPECT_EQ(authenticate(username_request("rs-user", "alice", "")).verdict, PamVerdict::Denied);
}

TEST_F(PamUsername, TheAccountStackCanRefuseACorrectPassword) {
  start({});
  auto outcome = authenticate(username_request("rs-acct-deny", "alice", "secret"));
  EXPECT_EQ(outcome.verdict, PamVerdict::Denied);
  EXPECT_NE(outcome.pam_code, PAM_SUCCESS);
  EXPECT_EQ(outcome.stage, auth::kStageAccount);
}

// rs-unlisted is pam_permit: had PAM run, the login would have succeeded.
TEST_F(PamUsername, AServiceOutsideTheConfigurationIsRefusedWithoutCallingPam) {
  start({});
  for (const char* service : {"rs-unlisted", "other", "login"}) {
    auto outcome = authenticate(username_request(service, "alice", "secret"));
    EXPECT_EQ(outcome.verdict, PamVerdict::Denied) << service;
    EXPECT_EQ(outcome.pam_code, PAM_SERVICE_ERR) << service;
    EXPECT_EQ(outcome.stage, auth::kStageMonitor) << service;
  }
}

TEST_F(PamUsername, VerboseRepliesCarryPamsTextAndNeverThePassword) {
  start({.services = {}, .workers = 1, .verbose = true});
  auto outcome = authenticate(username_request("rs-user", "alice", "hunter2-typo"));
  EXPECT_EQ(outcome.verdict, PamVerdict::Denied);
  EXPECT_NE(outcome.message.find("Authentication failure"), std::string::npos) << outcome.message;
  EXPECT_EQ(outcome.message.find("hunter2"), std::string::npos);
}

TEST_F(PamUsername, RepliesAreQuietUnlessVerbose) {
  start({});
  EXPECT_EQ(authenticate(username_request("rs-user", "alice", "wrong")).message, "");
}

// rs-delay asks libpam for a 2 s failure delay (pam_faildelay; without the PAM_FAIL_DELAY
// callback pamcheck took 2.48 s here). The monitor must answer at once.
TEST_F(PamUsername, LibpamsFailureDelayIsSuppressed) {
  start({});
  auto failure = authenticate(username_request("rs-delay", "alice", "wrong"));
  EXPECT_EQ(failure.verdict, PamVerdict::Denied);
  EXPECT_EQ(failure.pam_code, PAM_AUTH_ERR);
  EXPECT_LT(failure.duration, 500ms);
  EXPECT_EQ(authenticate(username_request("rs-delay", "alice", "secret")).verdict,
            PamVerdict::Success);
}

TEST_F(PamUsername, RequestsAndRepliesFromSeveralChannelsDoNotMix) {
  start({.services = {}, .workers = 2, .verbose = false}, 3);
  for (std::size_t channel = 0; channel < 3; ++channel) {
    EXPECT_EQ(authenticate(username_request("rs-user", "alice", "secret"), channel).verdict,
              PamVerdict::Success);
    EXPECT_EQ(authenticate(username_request("rs-user", "alice", "nope"), channel).verdict,
              PamVerdict::Denied);
  }
}

}  // namespace
}  // namespace rustsocks::pam_monitor::testing

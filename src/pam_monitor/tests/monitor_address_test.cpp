// pam.address through the real monitor and libpam: pam_access decides on PAM_RHOST for the
// default user (an nss_wrapper account), with rules in a temporary file (pam.md §4.1).
#include <gtest/gtest.h>
#include <security/pam_appl.h>

#include "pam_sandbox.hpp"

namespace rustsocks::pam_monitor::testing {
namespace {

using auth::PamVerdict;

class PamAddress : public PamMonitorTest {
 protected:
  PamVerdict check(const char* client) {
    return authenticate(
               address_request("rs-addr", auth::normalise_rhost(asio::ip::make_address(client))))
        .verdict;
  }
};

TEST_F(PamAddress, AllowedAddressesSucceed) {
  start({});
  for (const char* client : {"127.0.0.1", "::1", "192.0.2.77"}) {
    EXPECT_EQ(check(client), PamVerdict::Success) << client;
  }
}

TEST_F(PamAddress, OtherAddressesAreDenied) {
  start({});
  for (const char* client : {"203.0.113.9", "127.0.0.2", "2001:db8::1"}) {
    EXPECT_EQ(check(client), PamVerdict::Denied) << client;
  }
}

// What a dual-stack listener reports for an IPv4 client. Normalised by the caller, it matches the
// IPv4 rules both ways.
TEST_F(PamAddress, IPv4MappedAddressesAreJudgedAsIPv4) {
  start({});
  EXPECT_EQ(check("::ffff:127.0.0.1"), PamVerdict::Success);
  EXPECT_EQ(check("::ffff:192.0.2.77"), PamVerdict::Success);
  EXPECT_EQ(check("::ffff:203.0.113.9"), PamVerdict::Denied);
}

// Why normalise_rhost exists: pam_access does not match "::ffff:a.b.c.d" against an IPv4 rule.
TEST_F(PamAddress, AnUnnormalisedMappedAddressMatchesNoIPv4Rule) {
  start({});
  EXPECT_EQ(authenticate(address_request("rs-addr", "::ffff:127.0.0.1")).verdict,
            PamVerdict::Denied);
}

// rs-user's pam_matrix asks for a password: pam.address never answers a prompt.
TEST_F(PamAddress, APasswordPromptFailsTheConversation) {
  start({});
  auto outcome = authenticate(address_request("rs-user", "127.0.0.1"));
  EXPECT_EQ(outcome.verdict, PamVerdict::Denied);
  EXPECT_EQ(outcome.stage, auth::kStageAuth);
}

TEST_F(PamAddress, AnUnknownDefaultUserIsDenied) {
  start({});
  auto request = address_request("rs-addr", "127.0.0.1");
  request.user = "nosuchuser";
  EXPECT_EQ(authenticate(request).verdict, PamVerdict::Denied);
}

}  // namespace
}  // namespace rustsocks::pam_monitor::testing

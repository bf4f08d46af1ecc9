// The real pam_unix, the module a Debian `@include common-auth` stack uses. It reads the real
// /etc/passwd and /etc/shadow, so the test gives its own process a private mount namespace and
// bind-mounts copies with two extra accounts over them: the system files are neither changed nor
// seen changed by anything else. Needs root (and CAP_SYS_ADMIN for unshare); skipped otherwise.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <security/pam_appl.h>

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include "pam_sandbox.hpp"

namespace rustsocks::pam_monitor::testing {
namespace {

using namespace std::chrono_literals;
using auth::PamVerdict;

// rs_blank: empty password field (what `nullok` lets in); rs_pw: SHA-512 of "Unix-Pw-1".
constexpr const char* kPasswdLines =
    "rs_blank:x:40011:40011::/nonexistent:/bin/false\n"
    "rs_pw:x:40012:40012::/nonexistent:/bin/false\n";
constexpr const char* kShadowLines =
    "rs_blank::19000:0:99999:7:::\n"
    "rs_pw:$6$rstestsalt$iLfJZzUhfdOlSERSWkgwwD8Rf.RQls75o."
    "8XNXDoSvzT7lkXgPSRBuFEKBpPL1LcjSQWChDGsz0"
    "QNC98qyrqF.:19000:0:99999:7:::\n";

class PamUnix : public PamMonitorTest {
 protected:
  void SetUp() override {
    PamMonitorTest::SetUp();
    if (IsSkipped()) return;
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: pam_unix reads /etc/shadow";
    if (::unshare(CLONE_NEWNS) != 0)
      GTEST_SKIP() << "unshare(CLONE_NEWNS): " << std::strerror(errno);
    ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0)
        << std::strerror(errno);
    overlay("/etc/passwd", kPasswdLines);
    overlay("/etc/shadow", kShadowLines);
  }

  void TearDown() override {
    PamMonitorTest::TearDown();
    for (const auto& target : mounted_)
      ::umount2(target.c_str(), MNT_DETACH);
  }

  // Bind-mounts a copy of `target` with `extra` appended over it (this namespace only).
  void overlay(const std::string& target, const std::string& extra) {
    std::ifstream in(target);
    std::stringstream text;
    text << in.rdbuf() << extra;
    const auto copy = sandbox_.dir() / std::filesystem::path(target).filename();
    std::ofstream(copy) << text.str();
    std::filesystem::permissions(copy, std::filesystem::status(target).permissions());
    ASSERT_EQ(::mount(copy.c_str(), target.c_str(), nullptr, MS_BIND, nullptr), 0)
        << target << ": " << std::strerror(errno);
    mounted_.push_back(target);
  }

  std::vector<std::string> mounted_;
};

TEST_F(PamUnix, ARealPasswordChecksOut) {
  start({});
  auto outcome = authenticate(username_request("rs-nullok", "rs_pw", "Unix-Pw-1"));
  EXPECT_EQ(outcome.verdict, PamVerdict::Success) << outcome.pam_code;
}

// pam_unix asks libpam for about 2 s of delay on every failure (pam.md §5).
TEST_F(PamUnix, AWrongPasswordFailsWithoutPamUnixsDelay) {
  start({});
  auto outcome = authenticate(username_request("rs-nullok", "rs_pw", "wrong"));
  EXPECT_EQ(outcome.verdict, PamVerdict::Denied);
  EXPECT_EQ(outcome.pam_code, PAM_AUTH_ERR);
  EXPECT_LT(outcome.duration, 500ms);
}

// Without PAM_DISALLOW_NULL_AUTHTOK, `pam_unix.so nullok` accepts rs_blank with any password at
// all, without even prompting (checked by hand with pamcheck: auth=0 with flags 0, auth=7 with
// the flag). The monitor passes the flag, so pam_unix prompts and the check fails.
TEST_F(PamUnix, NullokLetsNoAccountWithoutAPasswordIn) {
  start({});
  auto outcome = authenticate(username_request("rs-nullok", "rs_blank", "anything"));
  EXPECT_EQ(outcome.verdict, PamVerdict::Denied);
  EXPECT_EQ(outcome.stage, auth::kStageAuth);
  EXPECT_LT(outcome.duration, 500ms);
}

}  // namespace
}  // namespace rustsocks::pam_monitor::testing

#include "pam_monitor/screen.hpp"

#include <gtest/gtest.h>
#include <security/pam_appl.h>

namespace rustsocks::pam_monitor {
namespace {

const std::vector<std::string> kServices = {"rustsocks", "rustsocks-client"};

auth::PamRequest username(std::string service, std::string password) {
  return auth::PamRequest{.id = 4,
                          .service = std::move(service),
                          .user = "alice",
                          .password = std::move(password),
                          .rhost = "192.0.2.1",
                          .ruser = "",
                          .check_password = true};
}

TEST(Screen, LetsConfiguredServicesThrough) {
  EXPECT_FALSE(screen(username("rustsocks", "secret"), kServices));
  auto address = username("rustsocks-client", "");
  address.check_password = false;
  EXPECT_FALSE(screen(address, kServices));
}

TEST(Screen, RefusesAServiceOutsideTheList) {
  for (const char* service : {"other", "login", "sshd", "rustsocks2", "RUSTSOCKS"}) {
    auto refusal = screen(username(service, "secret"), kServices);
    ASSERT_TRUE(refusal) << service;
    EXPECT_EQ(refusal->id, 4U);
    EXPECT_EQ(refusal->pam_code, PAM_SERVICE_ERR);
    EXPECT_EQ(refusal->stage, auth::kStageMonitor);
  }
  EXPECT_TRUE(screen(username("rustsocks", "secret"), {}));
}

TEST(Screen, RefusesAnEmptyPassword) {
  auto refusal = screen(username("rustsocks", ""), kServices);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->pam_code, PAM_AUTH_ERR);
}

TEST(Screen, RefusesAnAddressCheckWithoutAnAddress) {
  auto address = username("rustsocks-client", "");
  address.check_password = false;
  address.rhost.clear();
  auto refusal = screen(address, kServices);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->pam_code, PAM_AUTH_ERR);
}

}  // namespace
}  // namespace rustsocks::pam_monitor

// The API's own routes over fake views: redaction, OpenAPI completeness, health, the PAM test.
#include "api/core_routes.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "api/config_json.hpp"
#include "api/openapi.hpp"

namespace rustsocks::api {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kToken = "tok-0123456789abcdef";
const std::string kBearer = std::string("Bearer ") + kToken;

struct Fixture {
  config::Config config;
  Health health;
  std::vector<PamTestRequest> tests;
  std::unique_ptr<Router> router;

  explicit Fixture(config::Config c) : config(std::move(c)) {
    config.api.tokens = {kToken};
    router = std::make_unique<Router>(Router::Options{.base_path = config.api.base_path,
                                                      .tokens = config.api.tokens,
                                                      .metrics_require_token = false,
                                                      .requests_per_second = 1000});
    PamView pam{.services = {"rs-user"},
                .service_file = [](const std::string&) { return std::optional<std::string>(); },
                .monitor_alive = [] { return true; }};
    auto tester = [this](PamTestRequest request, std::function<void(PamTestResult)> done) {
      tests.push_back(request);
      done(PamTestResult{
          .success = true, .result = "success", .duration = std::chrono::milliseconds(7)});
    };
    add_core_routes(*router, CoreServices{.config = config,
                                          .server = {.version = "9.9.9", .workers = 3},
                                          .pam = pam,
                                          .pam_tester = tester,
                                          .health = health});
  }

  Response call(Method method, std::string target, std::string body = {},
                std::string authorization = kBearer) {
    Request request;
    request.method = method;
    request.target = std::move(target);
    request.body = std::move(body);
    request.authorization = std::move(authorization);
    request.peer = "127.0.0.1";
    Response out;
    out.status = 0;
    router->dispatch(request, [&out](Response r) { out = std::move(r); });
    return out;
  }
};

config::Config pam_config() {
  config::Config config;
  config.auth.socks_method = config::SocksMethod::PamUsername;
  config.auth.socks_pam_service = "rs-user";
  config.api.pam_test_enabled = true;
  return config;
}

TEST(ConfigJson, RedactsEverySecret) {
  config::Config config;
  config.api.tokens = {"secret-token-aaaaaaaaaa", "secret-token-bbbbbbbbbb"};
  config.auth.users = {{"alice", "$y$j9T$secret-hash", ""}, {"bob", "", "secret-plain"}};
  const auto text = config_json(config).dump();
  EXPECT_THAT(text, Not(HasSubstr("secret")));
  const auto shown = config_json(config);
  EXPECT_EQ(shown["api"]["tokens"], (nlohmann::json{kRedacted, kRedacted}));
  EXPECT_EQ(shown["auth"]["users"][0]["password_hash"], kRedacted);
  EXPECT_EQ(shown["auth"]["users"][1]["password"], kRedacted);
  EXPECT_EQ(shown["auth"]["users"][1]["username"], "bob");
  EXPECT_EQ(shown["server"]["bind_port"], 1080);
  EXPECT_EQ(shown["sessions"]["stats_api_port"], 9090);
}

TEST(OpenApi, DescribesEveryRegisteredRouteWithItsMethod) {
  Fixture f(pam_config());
  f.router->add({.path = "/api/acl/rules", .summary = "added by another module"},
                [](const Request&) { return json_response(200, {}); });
  auto response = f.call(Method::Get, "/api/openapi.json");
  ASSERT_EQ(response.status, 200U);
  const auto doc = json::parse(response.body);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  ASSERT_GE(f.router->routes().size(), 9U);
  for (const auto& route : f.router->routes()) {
    std::string method(method_name(route.method));
    for (auto& c : method)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_TRUE(doc["paths"].contains(route.path)) << route.path;
    EXPECT_TRUE(doc["paths"][route.path].contains(method)) << route.path << " " << method;
    EXPECT_FALSE(doc["paths"][route.path][method]["summary"].get<std::string>().empty());
  }
  EXPECT_TRUE(doc["paths"]["/api/auth/pam/test"]["post"].contains("requestBody"));
  EXPECT_TRUE(doc["paths"]["/health"]["get"]["security"].empty());
}

TEST(CoreRoutes, HealthNamesTheFailingCheckWith503) {
  Fixture f(pam_config());
  bool up = true;
  f.health.add_check("listeners", [&up]() -> std::optional<std::string> {
    if (up) return std::nullopt;
    return "1 of 2 workers not accepting";
  });
  auto ok = f.call(Method::Get, "/health", {}, {});
  EXPECT_EQ(ok.status, 200U);
  EXPECT_EQ(json::parse(ok.body)["checks"]["listeners"], "ok");
  up = false;
  auto down = f.call(Method::Get, "/health", {}, {});
  EXPECT_EQ(down.status, 503U);
  const auto body = json::parse(down.body);
  EXPECT_EQ(body["status"], "unavailable");
  EXPECT_EQ(body["failing"], (json{"listeners"}));
  EXPECT_EQ(body["checks"]["listeners"], "1 of 2 workers not accepting");
}

TEST(CoreRoutes, StatusAndAuthMethod) {
  Fixture f(pam_config());
  auto status = json::parse(f.call(Method::Get, "/api/status").body);
  EXPECT_EQ(status["version"], "9.9.9");
  EXPECT_EQ(status["workers"], 3);
  auto method = json::parse(f.call(Method::Get, "/api/auth/method").body);
  EXPECT_EQ(method["socks_method"], "pam.username");
  EXPECT_EQ(method["pam_services"], (json{"rs-user"}));
  auto pam = json::parse(f.call(Method::Get, "/api/auth/pam/status").body);
  EXPECT_EQ(pam["services"][0]["file_exists"], false);
  EXPECT_EQ(pam["monitor"], "running");
}

TEST(CoreRoutes, PamTestRunsTheTesterAndAnswersItsResult) {
  Fixture f(pam_config());
  auto response =
      f.call(Method::Post, "/api/auth/pam/test", R"({"username":"alice","password":"pw"})");
  ASSERT_EQ(response.status, 200U);
  EXPECT_EQ(json::parse(response.body),
            (json{{"success", true}, {"result", "success"}, {"duration_ms", 7}}));
  ASSERT_EQ(f.tests.size(), 1U);
  EXPECT_EQ(f.tests[0].username, "alice");
  EXPECT_EQ(f.tests[0].peer, "127.0.0.1");
}

TEST(CoreRoutes, PamTestMapsBadInputTo400And409) {
  Fixture f(pam_config());
  EXPECT_EQ(f.call(Method::Post, "/api/auth/pam/test", "{bad").status, 400U);
  EXPECT_EQ(f.call(Method::Post, "/api/auth/pam/test", R"({"username":"a"})").status, 400U);
  EXPECT_EQ(f.call(Method::Post, "/api/auth/pam/test", R"({"username":"a","password":""})").status,
            400U);
  EXPECT_EQ(f.call(Method::Post, "/api/auth/pam/test", R"({"address":"host"})").status, 400U);
  EXPECT_EQ(f.call(Method::Post, "/api/auth/pam/test", R"({"address":"10.0.0.1"})").status,
            409U);  // no pam.address method configured
  EXPECT_TRUE(f.tests.empty());
}

TEST(CoreRoutes, PamTestIsOffUnlessEnabled) {
  auto config = pam_config();
  config.api.pam_test_enabled = false;
  Fixture f(config);
  auto response =
      f.call(Method::Post, "/api/auth/pam/test", R"({"username":"alice","password":"pw"})");
  EXPECT_EQ(response.status, 403U);
  EXPECT_THAT(response.body, HasSubstr("pam_test_enabled"));
  EXPECT_TRUE(f.tests.empty());
}

TEST(CoreRoutes, ConfigRouteIsRedacted) {
  Fixture f(pam_config());
  auto response = f.call(Method::Get, "/api/config");
  EXPECT_EQ(response.status, 200U);
  EXPECT_THAT(response.body, Not(HasSubstr(kToken)));
  EXPECT_EQ(f.call(Method::Get, "/api/config", {}, {}).status, 401U);
}

// /api/config shows the effective configuration: every key of the example configuration (which
// documents every key) appears under the same table, so a new config key cannot be forgotten.
TEST(ConfigJson, ShowsEveryKeyOfTheExampleConfiguration) {
  const auto shown = config_json(config::Config{});
  const auto example = toml::parse(config::example_config());
  for (const auto& [table_name, table] : example) {
    ASSERT_TRUE(table.is_table()) << table_name.str();
    const auto key = std::string(table_name.str());
    ASSERT_TRUE(shown.contains(key)) << "table [" << key << "] missing from /api/config";
    for (const auto& [name, value] : *table.as_table()) {
      if (value.is_table()) continue;  // [auth.lockout], [auth.pam]: checked by name below
      EXPECT_TRUE(shown[key].contains(std::string(name.str())))
          << key << "." << name.str() << " missing from /api/config";
    }
  }
  for (const auto* sub : {"lockout", "pam"}) {
    for (const auto& [name, value] : *example["auth"][sub].as_table()) {
      EXPECT_TRUE(shown["auth"][sub].contains(std::string(name.str())))
          << "auth." << sub << "." << name.str() << " missing from /api/config";
    }
  }
}

}  // namespace
}  // namespace rustsocks::api

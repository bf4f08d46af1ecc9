// The router's order of checks and its error mapping, without sockets.
#include "api/router.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rustsocks::api {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr const char* kToken = "tok-0123456789abcdef";

Router::Options options(std::string base = "/") {
  return {.base_path = std::move(base),
          .tokens = {kToken},
          .metrics_require_token = false,
          .requests_per_second = 1000};
}

Response call(Router& router, Request request) {
  Response out;
  out.status = 0;
  router.dispatch(request, [&out](Response r) { out = std::move(r); });
  return out;
}

Request get(std::string target, std::string authorization = {}) {
  Request r;
  r.target = std::move(target);
  r.authorization = std::move(authorization);
  return r;
}

Router sample(Router::Options o = options()) {
  Router router(o);
  router.add({.path = "/health", .access = Access::Open}, [](const Request&) {
    return json_response(200, {{"status", "ok"}});
  });
  router.add({.path = "/metrics", .access = Access::Metrics},
             [](const Request&) { return json_response(200, {}); });
  router.add({.path = "/api/thing"}, [](const Request&) { return json_response(200, {}); });
  router.add({.method = Method::Post, .path = "/api/thing"},
             [](const Request&) { return json_response(201, {}); });
  router.add({.method = Method::Post, .path = "/api/limited", .per_minute = 2},
             [](const Request&) { return json_response(200, {}); });
  return router;
}

TEST(Router, ServesAnOpenRouteWithoutToken) {
  auto router = sample();
  EXPECT_EQ(call(router, get("/health")).status, 200);
  EXPECT_EQ(call(router, get("/health?verbose=1")).status, 200);
}

TEST(Router, AnswersAnUnknownPathWith404AsJson) {
  auto router = sample();
  auto response = call(router, get("/nope", std::string("Bearer ") + kToken));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(response.body),
            (nlohmann::json{{"error", "not_found"}, {"message", "no such route"}}));
}

TEST(Router, AnswersAWrongMethodWith405AndAllow) {
  auto router = sample();
  auto request = get("/api/thing");
  request.method = Method::Delete;
  auto response = call(router, request);
  EXPECT_EQ(response.status, 405);
  EXPECT_THAT(response.headers, Contains(Pair("Allow", "GET, POST")));
  EXPECT_THAT(response.body, HasSubstr("method_not_allowed"));
}

TEST(Router, AsksForTheTokenOnApiRoutes) {
  auto router = sample();
  EXPECT_EQ(call(router, get("/api/thing")).status, 401);
  EXPECT_EQ(call(router, get("/api/thing", "Bearer wrong-token-0000000")).status, 401);
  EXPECT_EQ(call(router, get("/api/thing", kToken)).status, 401);  // no scheme
  EXPECT_EQ(call(router, get("/api/thing", std::string("Basic ") + kToken)).status, 401);
  auto response = call(router, get("/api/thing", std::string("Bearer ") + kToken));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(call(router, get("/api/thing", std::string("bearer ") + kToken)).status, 200);
  auto refused = call(router, get("/api/thing"));
  EXPECT_THAT(refused.headers, Contains(Pair("WWW-Authenticate", "Bearer")));
  EXPECT_THAT(refused.body, HasSubstr("\"error\":\"unauthorized\""));
}

TEST(Router, MetricsNeedATokenOnlyWhenConfigured) {
  auto open = sample();
  EXPECT_EQ(call(open, get("/metrics")).status, 200);
  auto o = options();
  o.metrics_require_token = true;
  auto closed = sample(o);
  EXPECT_EQ(call(closed, get("/metrics")).status, 401);
  EXPECT_EQ(call(closed, get("/metrics", std::string("Bearer ") + kToken)).status, 200);
}

TEST(Router, NoConfiguredTokenRefusesEveryApiRoute) {
  Router::Options o = options();
  o.tokens.clear();
  auto router = sample(o);
  auto response = call(router, get("/api/thing", "Bearer "));
  EXPECT_EQ(response.status, 401);
  EXPECT_THAT(response.body, HasSubstr("no API token is configured"));
}

TEST(Router, ServesRoutesUnderTheBasePathOnly) {
  auto router = sample(options("/rs"));
  EXPECT_EQ(call(router, get("/rs/health")).status, 200);
  EXPECT_EQ(call(router, get("/health")).status, 404);
  EXPECT_EQ(call(router, get("/rshealth")).status, 404);
  EXPECT_EQ(call(router, get("/rsx/health")).status, 404);
}

TEST(Router, HeadIsServedByTheGetRoute) {
  auto router = sample();
  auto request = get("/health");
  request.method = Method::Head;
  EXPECT_EQ(call(router, request).status, 200);
}

TEST(Router, LimitsAllRequestsWith429AndRetryAfter) {
  auto o = options();
  o.requests_per_second = 2;
  auto router = sample(o);
  auto request = get("/health");
  EXPECT_EQ(call(router, request).status, 200);
  EXPECT_EQ(call(router, request).status, 200);
  auto refused = call(router, request);
  EXPECT_EQ(refused.status, 429);
  EXPECT_THAT(refused.headers, Contains(Pair("Retry-After", "1")));
  request.received += std::chrono::seconds(1);
  EXPECT_EQ(call(router, request).status, 200);
}

TEST(Router, AppliesARouteLimitAfterTheToken) {
  auto router = sample();
  auto request = get("/api/limited");
  request.method = Method::Post;
  EXPECT_EQ(call(router, request).status, 401);  // unauthenticated calls use up nothing
  request.authorization = std::string("Bearer ") + kToken;
  EXPECT_EQ(call(router, request).status, 200);
  EXPECT_EQ(call(router, request).status, 200);
  auto refused = call(router, request);
  EXPECT_EQ(refused.status, 429);
  EXPECT_THAT(refused.headers, Contains(Pair("Retry-After", "30")));
  request.received += std::chrono::seconds(30);
  EXPECT_EQ(call(router, request).status, 200);
}

TEST(Router, RejectsProgrammingErrorsAtRegistration) {
  Router router(options());
  router.add({.path = "/a"}, [](const Request&) { return Response{}; });
  EXPECT_THROW(router.add({.path = "/a"}, [](const Request&) { return Response{}; }),
               std::logic_error);
  EXPECT_THROW(router.add({.path = "b"}, [](const Request&) { return Response{}; }),
               std::logic_error);
  EXPECT_THROW(router.add({.path = "/api/open", .access = Access::Open},
                          [](const Request&) { return Response{}; }),
               std::logic_error);
}

TEST(Router, LetsAnAsyncHandlerAnswerLater) {
  Router router(options());
  Reply saved;
  router.add_async({.path = "/api/later"},
                   [&saved](const Request&, Reply reply) { saved = std::move(reply); });
  Response out;
  out.status = 0;
  router.dispatch(get("/api/later", std::string("Bearer ") + kToken),
                  [&out](Response r) { out = std::move(r); });
  EXPECT_EQ(out.status, 0U);
  ASSERT_TRUE(saved);
  saved(json_response(202, {}));
  EXPECT_EQ(out.status, 202U);
}

TEST(Http, ParsesOnlyJsonObjects) {
  Request request;
  Response error;
  request.body = "{\"a\":1}";
  EXPECT_TRUE(parse_json_object(request, error));
  request.body = "{\"a\":";
  EXPECT_FALSE(parse_json_object(request, error));
  EXPECT_EQ(error.status, 400U);
  EXPECT_THAT(error.body, HasSubstr("bad_json"));
  request.body = "[1]";
  EXPECT_FALSE(parse_json_object(request, error));
  EXPECT_EQ(error.status, 400U);
}

}  // namespace
}  // namespace rustsocks::api

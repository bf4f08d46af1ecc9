#include "app/acl_api.hpp"

#include "acl/routes.hpp"
#include "core/log.hpp"

namespace rustsocks::app {
namespace {

// The API's error shape ({"error": code, "message": text}) around the route logic's answer; a
// failed reload keeps its details (the errors with their line:column) beside it.
api::Response to_response(const acl::RouteResult& result) {
  const auto status = static_cast<unsigned>(result.status);
  if (result.status == 400) {
    return api::error_response(status, "bad_request", result.body.value("error", "bad request"));
  }
  if (result.status == 422) {
    auto body = result.body;
    body["error"] = "reload_failed";
    body["message"] = "the ACL file did not load; the current rules stay in force";
    return api::json_response(status, body);
  }
  return api::json_response(status, result.body);
}

api::Response disabled() {
  return api::error_response(409, "acl_disabled", "the ACL is not enabled ([acl] enabled = false)");
}

}  // namespace

void add_acl_routes(api::Router& router, api::Health& health, acl::AclStore* store) {
  router.add({.method = api::Method::Get,
              .path = "/api/acl/rules",
              .summary = "The ACL as loaded: rules per user, group and client, guard, counts"},
             [store](const api::Request&) {
               if (store == nullptr) return disabled();
               return api::json_response(200, acl::rules_json(*store->current()));
             });
  const nlohmann::json test_schema = {
      {"type", "object"},
      {"required", {"target", "port"}},
      {"properties",
       {{"user", {{"type", "string"}}},
        {"groups", {{"type", "array"}, {"items", {{"type", "string"}}}}},
        {"client", {{"type", "string"}}},
        {"target", {{"type", "string"}}},
        {"port", {{"type", "integer"}}},
        {"command", {{"type", "string"}, {"enum", {"connect", "bind", "udp"}}}},
        {"address", {{"type", "string"}}}}}};
  router.add({.method = api::Method::Post,
              .path = "/api/acl/test",
              .summary = "Evaluate one request against the loaded ACL (decision, rule, reason)",
              .request_schema = test_schema},
             [store](const api::Request& request) {
               if (store == nullptr) return disabled();
               api::Response error;
               auto body = api::parse_json_object(request, error);
               if (!body) return error;
               return to_response(acl::test_json(*store->current(), *body));
             });
  router.add({.method = api::Method::Post,
              .path = "/api/acl/reload",
              .summary = "Reload the ACL file now; a broken file keeps the current rules",
              .per_minute = 60},
             [store](const api::Request& request) {
               if (store == nullptr) return disabled();
               core::log_event(spdlog::level::info, "acl_reload_requested",
                               {core::text_field("peer", request.peer)});
               return to_response(acl::reload_json(store->reload("api")));
             });
  if (store == nullptr) return;
  health.add_check("acl", [store]() -> std::optional<std::string> {
    if (store->current() == nullptr) return "no ACL rules are loaded";
    return std::nullopt;
  });
}

}  // namespace rustsocks::app

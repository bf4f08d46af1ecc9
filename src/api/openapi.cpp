#include "api/openapi.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace rustsocks::api {
namespace {

using nlohmann::json;

std::string lowered(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

json error_ref(std::string_view description) {
  return {
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

json operation(const RouteSpec& spec, bool metrics_require_token) {
  json op{
      {"summary", spec.summary},
      {"responses",
       {{"200", {{"description", "success"}, {"content", {{spec.response_type, json::object()}}}}},
        {"429", error_ref("too many requests")}}}};
  const bool token =
      spec.access == Access::Token || (spec.access == Access::Metrics && metrics_require_token);
  if (token) {
    op["security"] = json::array({{{"bearer", json::array()}}});
    op["responses"]["401"] = error_ref("missing or wrong bearer token");
  } else {
    op["security"] = json::array();
  }
  if (!spec.request_schema.is_null()) {
    op["requestBody"] = {{"required", true},
                         {"content", {{"application/json", {{"schema", spec.request_schema}}}}}};
    op["responses"]["400"] = error_ref("the body is not valid JSON or misses a field");
    op["responses"]["413"] = error_ref("the body is over 64 KiB");
  }
  return op;
}

}  // namespace

json openapi_document(const Router& router, std::string_view version) {
  json paths = json::object();
  for (const auto& spec : router.routes()) {
    paths[spec.path][lowered(method_name(spec.method))] =
        operation(spec, router.metrics_require_token());
  }
  const std::string& base = router.base_path();
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "rustsocks management API"}, {"version", version}}},
          {"servers", json::array({{{"url", base}}})},
          {"paths", std::move(paths)},
          {"components",
           {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
            {"schemas",
             {{"Error",
               {{"type", "object"},
                {"required", {"error", "message"}},
                {"properties",
                 {{"error", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}}};
}

}  // namespace rustsocks::api

#include "api/http.hpp"

#include <array>

namespace rustsocks::api {
namespace {

struct MethodName {
  Method method;
  std::string_view name;
};

constexpr auto kMethods = std::to_array<MethodName>({{Method::Get, "GET"},
                                                     {Method::Head, "HEAD"},
                                                     {Method::Post, "POST"},
                                                     {Method::Put, "PUT"},
                                                     {Method::Delete, "DELETE"},
                                                     {Method::Patch, "PATCH"},
                                                     {Method::Options, "OPTIONS"}});

}  // namespace

Method method_from(std::string_view name) {
  for (const auto& each : kMethods) {
    if (each.name == name) return each.method;
  }
  return Method::Other;
}

std::string_view method_name(Method method) {
  for (const auto& each : kMethods) {
    if (each.method == method) return each.name;
  }
  return "OTHER";
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

Response json_response(unsigned status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  // Replace invalid UTF-8 instead of throwing: some values (PAM messages) come from outside.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.body += '\n';
  return response;
}

Response error_response(unsigned status, std::string_view code, std::string_view message) {
  return json_response(status, {{"error", code}, {"message", message}});
}

std::optional<nlohmann::json> parse_json_object(const Request& request, Response& error) {
  auto parsed = nlohmann::json::parse(request.body, nullptr, false);
  if (parsed.is_discarded()) {
    error = error_response(400, "bad_json", "the request body is not valid JSON");
    return std::nullopt;
  }
  if (!parsed.is_object()) {
    error = error_response(400, "bad_json", "the request body must be a JSON object");
    return std::nullopt;
  }
  return parsed;
}

}  // namespace rustsocks::api

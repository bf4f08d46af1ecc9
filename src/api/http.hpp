// The API's request and response as plain values, independent of Beast: the server fills a
// Request from the wire and writes the Response back; routes and handlers only see these, so they
// are tested without sockets. Errors are JSON {"error": code, "message": text}.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace rustsocks::api {

enum class Method { Get, Head, Post, Put, Delete, Patch, Options, Other };

Method method_from(std::string_view name);    // "GET" -> Get; anything unknown -> Other
std::string_view method_name(Method method);  // Get -> "GET"

struct Request {
  Method method = Method::Get;
  std::string target;         // path and query as received ("/api/status?x=1")
  std::string authorization;  // the Authorization header, "" when absent; never logged
  std::string body;
  std::string peer;  // the client's IP address as text
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Allow, Retry-After, ...
};

// The path without query string or fragment.
std::string_view path_of(std::string_view target);

Response json_response(unsigned status, const nlohmann::json& body);
// {"error": code, "message": message}; code is a short snake_case word ("not_found").
Response error_response(unsigned status, std::string_view code, std::string_view message);

// The body as a JSON object; nullopt with `error` set to a 400 response when it is not one.
std::optional<nlohmann::json> parse_json_object(const Request& request, Response& error);

}  // namespace rustsocks::api

// Maps (method, path) to a handler and applies what every route shares, in this order: the
// global rate limit (429), the route (404, 405), the bearer token (401), the route's own rate
// limit (429). Other modules add their routes here at start-up (see add() below and docs/api.md);
// the server calls dispatch() on the control thread only, so nothing here is locked.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http.hpp"
#include "api/token_bucket.hpp"
#include "api/token_set.hpp"

namespace rustsocks::api {

enum class Access {
  Open,     // no token (only /health)
  Token,    // Authorization: Bearer <token>; every /api/* route
  Metrics,  // a token only when [api] metrics_require_token
};

// What a route is, for dispatch and for the OpenAPI description (openapi.hpp).
struct RouteSpec {
  Method method = Method::Get;
  std::string path{};  // relative to base_path, exact match: "/api/acl/rules"
  Access access = Access::Token;
  std::string summary{};            // one line, shown in /api/openapi.json
  nlohmann::json request_schema{};  // JSON Schema of the body; null = no body
  std::string response_type = "application/json";
  unsigned per_minute = 0;  // the route's own rate limit; 0 = only the global one
};

using Reply = std::function<void(Response)>;
// Most handlers answer at once...
using Handler = std::function<Response(const Request&)>;
// ...some finish later (a PAM check on a worker): they call `reply` exactly once, on the control
// thread.
using AsyncHandler = std::function<void(const Request&, Reply reply)>;

class Router {
 public:
  struct Options {
    std::string base_path = "/";  // normalised by config: "/" or "/a/b"
    std::vector<std::string> tokens;
    bool metrics_require_token = false;
    unsigned requests_per_second = 50;
  };
  explicit Router(const Options& options);

  // Throws std::logic_error on a programming error: a path not starting with '/', a method and
  // path registered twice, or an /api/* route that is not Access::Token.
  void add(RouteSpec spec, Handler handler);
  void add_async(RouteSpec spec, AsyncHandler handler);

  // Answers `request` through `reply` (at once, or later for an async route).
  void dispatch(const Request& request, const Reply& reply);

  const std::vector<RouteSpec>& routes() const { return specs_; }
  const std::string& base_path() const { return base_path_; }
  bool metrics_require_token() const { return metrics_require_token_; }

 private:
  struct Entry {
    AsyncHandler handler;
    std::unique_ptr<TokenBucket> limit;  // null without per_minute
  };
  // The path relative to base_path, or nullopt when the request is outside it.
  std::optional<std::string_view> relative(std::string_view path) const;

  std::string base_path_;
  TokenSet tokens_;
  bool metrics_require_token_;
  TokenBucket global_;
  std::vector<RouteSpec> specs_;
  std::vector<Entry> entries_;  // parallel to specs_
};

}  // namespace rustsocks::api

#include "api/router.hpp"

#include <stdexcept>

namespace rustsocks::api {
namespace {

Response too_many(long retry_after) {
  auto response = error_response(429, "too_many_requests", "rate limit reached, try again later");
  response.headers.emplace_back("Retry-After", std::to_string(retry_after));
  return response;
}

std::string allowed_methods(const std::vector<RouteSpec>& specs, std::string_view path) {
  std::string allow;
  for (const auto& spec : specs) {
    if (spec.path != path) continue;
    if (!allow.empty()) allow += ", ";
    allow += method_name(spec.method);
  }
  return allow;
}

}  // namespace

Router::Router(const Options& options)
    : base_path_(options.base_path.empty() ? "/" : options.base_path),
      tokens_(options.tokens),
      metrics_require_token_(options.metrics_require_token),
      global_(options.requests_per_second, std::chrono::seconds(1), options.requests_per_second) {}

void Router::add(RouteSpec spec, Handler handler) {
  add_async(std::move(spec), [handler = std::move(handler)](const Request& request, Reply reply) {
    reply(handler(request));
  });
}

void Router::add_async(RouteSpec spec, AsyncHandler handler) {
  if (spec.path.empty() || spec.path.front() != '/') {
    throw std::logic_error("api route path must start with '/': " + spec.path);
  }
  if (spec.path.starts_with("/api/") && spec.access != Access::Token) {
    throw std::logic_error("api route " + spec.path + " must require a token");
  }
  for (const auto& known : specs_) {
    if (known.path == spec.path && known.method == spec.method) {
      throw std::logic_error("api route registered twice: " + spec.path);
    }
  }
  Entry entry{std::move(handler), nullptr};
  if (spec.per_minute > 0) {
    entry.limit =
        std::make_unique<TokenBucket>(spec.per_minute, std::chrono::minutes(1), spec.per_minute);
  }
  specs_.push_back(std::move(spec));
  entries_.push_back(std::move(entry));
}

std::optional<std::string_view> Router::relative(std::string_view path) const {
  if (base_path_ == "/") return path;
  if (!path.starts_with(base_path_)) return std::nullopt;
  path.remove_prefix(base_path_.size());
  if (path.empty()) return std::string_view("/");
  if (path.front() != '/') return std::nullopt;  // "/rsx" is not under "/rs"
  return path;
}

void Router::dispatch(const Request& request, const Reply& reply) {
  if (!global_.take(request.received))
    return reply(too_many(global_.retry_after(request.received)));
  const auto path = relative(path_of(request.target));
  if (!path) return reply(error_response(404, "not_found", "no such route"));
  std::size_t found = specs_.size();
  bool path_known = false;
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].path != *path) continue;
    path_known = true;
    const bool head_of_get = request.method == Method::Head && specs_[i].method == Method::Get;
    if (specs_[i].method == request.method || head_of_get) found = i;
  }
  if (found == specs_.size()) {
    if (!path_known) return reply(error_response(404, "not_found", "no such route"));
    auto response =
        error_response(405, "method_not_allowed",
                       std::string(method_name(request.method)) + " is not allowed on this route");
    response.headers.emplace_back("Allow", allowed_methods(specs_, *path));
    return reply(std::move(response));
  }
  const RouteSpec& spec = specs_[found];
  const bool needs_token =
      spec.access == Access::Token || (spec.access == Access::Metrics && metrics_require_token_);
  if (needs_token && !tokens_.authorizes(request.authorization)) {
    auto response = error_response(401, "unauthorized",
                                   tokens_.empty() ? "no API token is configured ([api] tokens)"
                                                   : "a valid bearer token is required");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return reply(std::move(response));
  }
  Entry& entry = entries_[found];
  if (entry.limit && !entry.limit->take(request.received)) {
    return reply(too_many(entry.limit->retry_after(request.received)));
  }
  entry.handler(request, reply);
}

}  // namespace rustsocks::api

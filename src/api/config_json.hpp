// GET /api/config: the effective configuration as JSON, every secret replaced by "<redacted>"
// (API tokens, static users' passwords and password hashes). Paths and names are not secrets.
#pragma once

#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace rustsocks::api {

inline constexpr const char* kRedacted = "<redacted>";

nlohmann::json config_json(const config::Config& config);

}  // namespace rustsocks::api

// GET /api/openapi.json: an OpenAPI 3.0 description built from the router's own route list, so a
// registered route cannot be missing from it (openapi_test.cpp checks every route anyway).
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "api/router.hpp"

namespace rustsocks::api {

nlohmann::json openapi_document(const Router& router, std::string_view version);

}  // namespace rustsocks::api

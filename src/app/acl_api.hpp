// The ACL's management routes and readiness check, registered on the API's router: the route
// logic lives in acl/routes.hpp (pure JSON functions); this file maps it onto HTTP.
//   GET  /api/acl/rules   the loaded rules
//   POST /api/acl/test    one decision from the sessions' evaluator
//   POST /api/acl/reload  reload the file now (as SIGHUP and the watcher do)
// With the ACL disabled the routes exist and answer 409 acl_disabled. Runs on the control thread.
#pragma once

#include "acl/acl_store.hpp"
#include "api/health.hpp"
#include "api/router.hpp"

namespace rustsocks::app {

// store: null when [acl] is disabled; otherwise it must outlive the router.
void add_acl_routes(api::Router& router, api::Health& health, acl::AclStore* store);

}  // namespace rustsocks::app

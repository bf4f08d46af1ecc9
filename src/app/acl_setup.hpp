// Builds the ACL from [acl] at start-up: the store (file loaded, or start-up fails with every
// error), the guard's list of the server's own endpoints, the watcher, and the open-proxy
// warning when the ACL is off.
#pragma once

#include <memory>
#include <vector>

#include "acl/acl_store.hpp"
#include "config/config.hpp"
#include "core/asio.hpp"

namespace rustsocks::app {

// The endpoints the guard protects for a listener: itself, and for a wildcard address ("0.0.0.0"
// or "::") the same port on every local interface address of that family.
std::vector<acl::Endpoint> own_endpoints(const tcp::endpoint& listener);

// Null when [acl] is disabled (after warning when the listener is not on loopback). Throws
// std::runtime_error with the file's errors. `own`: every listening endpoint of this process
// (SOCKS, and the API's once it exists).
std::unique_ptr<acl::AclStore> make_acl_store(const config::Config& config,
                                              std::vector<acl::Endpoint> own);

}  // namespace rustsocks::app

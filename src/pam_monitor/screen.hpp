// The PAM monitor's own checks, made before any PAM call: they refuse what must never reach libpam
// whatever the PAM stack says (a service outside the configured list, which on Debian would fall
// back to `other` = pam_unix; an empty password; a pam.address request without an address).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/pam_wire.hpp"

namespace rustsocks::pam_monitor {

// The refusal to send back (stage kStageMonitor), or nullopt when PAM may run the request.
std::optional<auth::PamReply> screen(const auth::PamRequest& request,
                                     const std::vector<std::string>& services);

}  // namespace rustsocks::pam_monitor

#include "pam_monitor/screen.hpp"

#include <algorithm>

#include <security/pam_appl.h>

namespace rustsocks::pam_monitor {
namespace {

auth::PamReply refusal(const auth::PamRequest& request, int code, std::string message) {
  return auth::PamReply{.id = request.id,
                        .pam_code = code,
                        .stage = auth::kStageMonitor,
                        .message = std::move(message)};
}

}  // namespace

std::optional<auth::PamReply> screen(const auth::PamRequest& request,
                                     const std::vector<std::string>& services) {
  if (std::find(services.begin(), services.end(), request.service) == services.end()) {
    return refusal(request, PAM_SERVICE_ERR, "PAM service not allowed by the configuration");
  }
  // PAM_DISALLOW_NULL_AUTHTOK is passed too, but modules honour it only if they choose to.
  if (request.check_password && request.password.empty()) {
    return refusal(request, PAM_AUTH_ERR, "empty password");
  }
  if (!request.check_password && request.rhost.empty()) {
    return refusal(request, PAM_AUTH_ERR, "no client address");
  }
  return std::nullopt;
}

}  // namespace rustsocks::pam_monitor

// One PAM transaction, run inside a PAM worker process (never in the server): pam_start,
// PAM_RHOST/PAM_RUSER, pam_authenticate then pam_acct_mgmt, pam_end. Blocking by nature.
#pragma once

#include "auth/pam_wire.hpp"

namespace rustsocks::pam_monitor {

// The reply for `request`: its id, the code of the last PAM call made and that call's stage.
// Both calls get PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK, so `nullok` in a stack lets no account
// without a password in (pam.md §1.1). libpam's failure delay goes to a callback that ignores it,
// so a failure returns at once (the server applies its own constant delay). The conversation
// answers only an echo-off prompt, with the password when check_password is set; any other
// prompt fails it. verbose: the reply carries PAM's text.
auth::PamReply run_transaction(const auth::PamRequest& request, bool verbose);

}  // namespace rustsocks::pam_monitor

#include "pam_monitor/transaction.hpp"

#include <cstdlib>
#include <cstring>
#include <string>

#include <security/pam_appl.h>

#include <string.h>

namespace rustsocks::pam_monitor {
namespace {

constexpr int kPamFlags = PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK;

struct Conversation {
  const std::string* password = nullptr;  // null: no prompt may be answered (pam.address)
  bool verbose = false;
  std::string notes;  // PAM_ERROR_MSG / PAM_TEXT_INFO lines, kept when verbose
};

void free_responses(pam_response* responses, int count) {
  for (int i = 0; i < count; ++i) {
    if (responses[i].resp == nullptr) continue;
    ::explicit_bzero(responses[i].resp, std::strlen(responses[i].resp));
    std::free(responses[i].resp);  // NOLINT(cppcoreguidelines-no-malloc): libpam's contract
  }
  std::free(responses);  // NOLINT(cppcoreguidelines-no-malloc)
}

// libpam frees the array and each answer, hence calloc/strdup.
int converse(int count, const pam_message** messages, pam_response** out, void* data) {
  if (count <= 0 || count > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
  auto* conversation = static_cast<Conversation*>(data);
  auto* responses = static_cast<pam_response*>(
      std::calloc(static_cast<std::size_t>(count), sizeof(pam_response)));  // NOLINT
  if (responses == nullptr) return PAM_BUF_ERR;
  for (int i = 0; i < count; ++i) {
    const pam_message* message = messages[i];
    const int style = message->msg_style;
    if (style == PAM_ERROR_MSG || style == PAM_TEXT_INFO) {
      if (conversation->verbose && message->msg != nullptr) {
        if (!conversation->notes.empty()) conversation->notes += "; ";
        conversation->notes += message->msg;
      }
      continue;
    }
    // An echo-on prompt asks for the user name, which is set already: never answer it.
    if (style != PAM_PROMPT_ECHO_OFF || conversation->password == nullptr) {
      free_responses(responses, count);
      return PAM_CONV_ERR;
    }
    responses[i].resp = ::strdup(conversation->password->c_str());
    if (responses[i].resp == nullptr) {
      free_responses(responses, count);
      return PAM_BUF_ERR;
    }
  }
  *out = responses;
  return PAM_SUCCESS;
}

// Installed as PAM_FAIL_DELAY: libpam then calls this instead of sleeping.
void skip_fail_delay(int /*status*/, unsigned /*delay_us*/, void* /*data*/) {}

int set_items(pam_handle_t* handle, const auth::PamRequest& request) {
  int code = PAM_SUCCESS;
  if (!request.rhost.empty()) code = pam_set_item(handle, PAM_RHOST, request.rhost.c_str());
  if (code == PAM_SUCCESS && !request.ruser.empty()) {
    code = pam_set_item(handle, PAM_RUSER, request.ruser.c_str());
  }
  // libpam takes the function as a `const void*`; copying the pointer's bytes is the portable way.
  void (*callback)(int, unsigned, void*) = &skip_fail_delay;
  const void* item = nullptr;
  static_assert(sizeof item == sizeof callback);
  std::memcpy(&item, &callback, sizeof item);
  if (code == PAM_SUCCESS) code = pam_set_item(handle, PAM_FAIL_DELAY, item);
  return code;
}

std::string describe(pam_handle_t* handle, int code, const std::string& notes) {
  std::string text = pam_strerror(handle, code);
  if (!notes.empty()) text += ": " + notes;
  return text;
}

}  // namespace

auth::PamReply run_transaction(const auth::PamRequest& request, bool verbose) {
  Conversation conversation{request.check_password ? &request.password : nullptr, verbose, {}};
  const pam_conv conv{&converse, &conversation};
  auth::PamReply reply{
      .id = request.id, .pam_code = PAM_SYSTEM_ERR, .stage = auth::kStageAuth, .message = ""};
  pam_handle_t* handle = nullptr;
  int code = pam_start(request.service.c_str(), request.user.c_str(), &conv, &handle);
  if (code != PAM_SUCCESS || handle == nullptr) {
    reply.pam_code = code != PAM_SUCCESS ? code : PAM_SYSTEM_ERR;
    if (verbose) reply.message = "pam_start failed";
    return reply;
  }
  code = set_items(handle, request);
  if (code == PAM_SUCCESS) code = pam_authenticate(handle, kPamFlags);
  if (code == PAM_SUCCESS) {
    reply.stage = auth::kStageAccount;
    code = pam_acct_mgmt(handle, kPamFlags);
  }
  reply.pam_code = code;
  if (verbose) reply.message = describe(handle, code, conversation.notes);
  pam_end(handle, code);
  return reply;
}

}  // namespace rustsocks::pam_monitor

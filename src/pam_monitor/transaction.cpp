#include "pam_monitor/transaction.hpp"

#include <cstdlib>
#include <cstring>
#include <span>
#include <string>

#include <security/pam_appl.h>

namespace rustsocks::pam_monitor {
namespace {

constexpr int kPamFlags = PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK;

struct Conversation {
  const std::string* password = nullptr;  // null: no prompt may be answered (pam.address)
  bool verbose = false;
  std::string notes;  // PAM_ERROR_MSG / PAM_TEXT_INFO lines, kept when verbose
};

// libpam's allocation contract: the array and each answer come from malloc and libpam frees them.
// NOLINTBEGIN(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
void free_responses(std::span<pam_response> responses) {
  for (auto& response : responses) {
    if (response.resp == nullptr) continue;
    ::explicit_bzero(response.resp, std::strlen(response.resp));
    std::free(response.resp);
  }
  std::free(responses.data());
}

pam_response* allocate_responses(std::size_t count) {
  return static_cast<pam_response*>(std::calloc(count, sizeof(pam_response)));
}
// NOLINTEND(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)

// Keeps an informational or error line for a verbose reply.
void note(Conversation& conversation, const pam_message& message) {
  if (!conversation.verbose || message.msg == nullptr) return;
  if (!conversation.notes.empty()) conversation.notes += "; ";
  conversation.notes += message.msg;
}

int converse(int count, const pam_message** messages, pam_response** out, void* data) {
  if (count <= 0 || count > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
  auto& conversation = *static_cast<Conversation*>(data);
  const auto size = static_cast<std::size_t>(count);
  const std::span<const pam_message*> prompts(messages, size);
  const std::span<pam_response> answers(allocate_responses(size), size);
  if (answers.data() == nullptr) return PAM_BUF_ERR;
  for (std::size_t i = 0; i < size; ++i) {
    const int style = prompts[i]->msg_style;
    if (style == PAM_ERROR_MSG || style == PAM_TEXT_INFO) {
      note(conversation, *prompts[i]);
      continue;
    }
    // An echo-on prompt asks for the user name, which is set already: never answer it.
    if (style != PAM_PROMPT_ECHO_OFF || conversation.password == nullptr) {
      free_responses(answers);
      return PAM_CONV_ERR;
    }
    answers[i].resp = ::strdup(conversation.password->c_str());
    if (answers[i].resp == nullptr) {
      free_responses(answers);
      return PAM_BUF_ERR;
    }
  }
  *out = answers.data();
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

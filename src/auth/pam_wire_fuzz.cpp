// libFuzzer target for the PAM monitor's frames (auth/pam_wire.hpp). Beyond "no crash, no
// over-read" it checks the contract the root monitor relies on: whatever decodes re-encodes to
// exactly the same bytes (so nothing was skipped or trailing), stays within the limits, and every
// strict prefix of it is rejected.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "auth/pam_wire.hpp"

namespace {

namespace auth = rustsocks::auth;

void require(bool holds) {
  if (!holds) std::abort();
}

bool same_bytes(const std::vector<std::uint8_t>& encoded, std::span<const std::uint8_t> in) {
  return std::equal(encoded.begin(), encoded.end(), in.begin(), in.end());
}

void check_request(std::span<const std::uint8_t> in, const auth::PamRequest& request) {
  require(request.service.size() <= auth::kMaxServiceLength && !request.service.empty());
  require(request.rhost.size() <= auth::kMaxRhostLength && !request.user.empty());
  require(request.check_password || request.password.empty());
  require(same_bytes(auth::encode(request), in));
  require(auth::peek_request_id(in) == request.id);
  require(!auth::decode_request(in.first(in.size() - 1)));
}

void check_reply(std::span<const std::uint8_t> in, const auth::PamReply& reply) {
  require(reply.stage <= auth::kStageMonitor && reply.pam_code >= 0 && reply.pam_code <= 255);
  require(same_bytes(auth::encode(reply), in));
  require(!auth::decode_reply(in.first(in.size() - 1)));
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer links against.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  if (auto request = auth::decode_request(in)) check_request(in, *request);
  if (auto reply = auth::decode_reply(in)) check_reply(in, *reply);
  return 0;
}

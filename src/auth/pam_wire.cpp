#include "auth/pam_wire.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace rustsocks::auth {
namespace {

// Bounds-checked reads: every accessor returns nullopt instead of reading past the end.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  std::optional<std::uint8_t> u8() {
    if (in_.size() - pos_ < 1) return std::nullopt;
    return in_[pos_++];
  }
  std::optional<std::uint32_t> u32() {
    if (in_.size() - pos_ < 4) return std::nullopt;
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      value = (value << 8U) | in_[pos_++];
    }
    return value;
  }
  // Appends n bytes to `out`; fails on a short frame or a NUL byte.
  bool text(std::size_t n, std::string& out) {
    if (in_.size() - pos_ < n) return false;
    auto field = in_.subspan(pos_, n);
    if (std::find(field.begin(), field.end(), std::uint8_t{0}) != field.end()) return false;
    out.assign(field.begin(), field.end());
    pos_ += n;
    return true;
  }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(value >> static_cast<unsigned>(shift)));
  }
}

bool fits(const std::string& field, std::size_t min, std::size_t max) {
  return field.size() >= min && field.size() <= max && field.find('\0') == std::string::npos;
}

bool request_fits(const PamRequest& r) {
  return fits(r.service, 1, kMaxServiceLength) && fits(r.user, 1, kMaxUserLength) &&
         fits(r.password, 0, r.check_password ? kMaxPasswordLength : 0) &&
         fits(r.rhost, 0, kMaxRhostLength) && fits(r.ruser, 0, kMaxRuserLength);
}

struct Lengths {
  std::uint8_t service, user, password, rhost, ruser;
};

bool lengths_fit(const Lengths& n, bool check_password) {
  return n.service >= 1 && n.service <= kMaxServiceLength && n.user >= 1 &&
         n.rhost <= kMaxRhostLength && (check_password || n.password == 0);
}

}  // namespace

std::vector<std::uint8_t> encode(const PamRequest& request) {
  if (!request_fits(request)) return {};
  std::vector<std::uint8_t> out;
  out.reserve(kRequestHeaderSize + request.service.size() + request.user.size() +
              request.password.size() + request.rhost.size() + request.ruser.size());
  out.push_back(kRequestTag);
  put_u32(out, request.id);
  out.push_back(request.check_password ? kFlagCheckPassword : 0);
  const std::array fields = {&request.service, &request.user, &request.password, &request.rhost,
                             &request.ruser};
  for (const auto* field : fields) {
    out.push_back(static_cast<std::uint8_t>(field->size()));
  }
  for (const auto* field : fields) {
    out.insert(out.end(), field->begin(), field->end());
  }
  return out;
}

std::vector<std::uint8_t> encode(const PamReply& reply) {
  const auto message_size = std::min(reply.message.size(), kMaxMessageLength);
  std::vector<std::uint8_t> out;
  out.reserve(kReplyHeaderSize + message_size);
  out.push_back(kReplyTag);
  put_u32(out, reply.id);
  const bool code_fits = reply.pam_code >= 0 && reply.pam_code <= 255;
  out.push_back(code_fits ? static_cast<std::uint8_t>(reply.pam_code) : std::uint8_t{255});
  out.push_back(reply.stage <= kStageMonitor ? reply.stage : kStageMonitor);
  out.push_back(static_cast<std::uint8_t>(message_size));
  out.insert(out.end(), reply.message.begin(),
             reply.message.begin() + static_cast<std::ptrdiff_t>(message_size));
  return out;
}

std::optional<PamRequest> decode_request(std::span<const std::uint8_t> frame) {
  // One named result on every path (NRVO): the password is never copied into a temporary.
  std::optional<PamRequest> result;
  if (frame.size() < kRequestHeaderSize || frame.size() > kMaxRequestSize) return result;
  Reader in(frame);
  auto tag = in.u8();
  auto id = in.u32();
  auto flags = in.u8();
  std::array<std::uint8_t, 5> raw{};
  for (auto& length : raw) {
    length = in.u8().value_or(0);
  }
  const Lengths n{raw[0], raw[1], raw[2], raw[3], raw[4]};
  if (tag != kRequestTag || !id || !flags || (*flags & ~kFlagCheckPassword) != 0) return result;
  const bool check_password = (*flags & kFlagCheckPassword) != 0;
  if (!lengths_fit(n, check_password)) return result;
  result.emplace();
  result->id = *id;
  result->check_password = check_password;
  const bool ok = in.text(n.service, result->service) && in.text(n.user, result->user) &&
                  in.text(n.password, result->password) && in.text(n.rhost, result->rhost) &&
                  in.text(n.ruser, result->ruser) && in.at_end();
  if (!ok) {
    wipe(result->password);
    result.reset();
  }
  return result;
}

std::optional<PamReply> decode_reply(std::span<const std::uint8_t> frame) {
  std::optional<PamReply> result;
  if (frame.size() < kReplyHeaderSize || frame.size() > kMaxReplySize) return result;
  Reader in(frame);
  auto tag = in.u8();
  auto id = in.u32();
  auto code = in.u8();
  auto stage = in.u8();
  auto message_size = in.u8();
  if (tag != kReplyTag || !id || !code || !stage || !message_size) return result;
  if (*stage > kStageMonitor) return result;
  if (frame.size() != kReplyHeaderSize + *message_size) return result;
  const auto message = frame.subspan(kReplyHeaderSize);
  result.emplace();
  result->id = *id;
  result->pam_code = *code;
  result->stage = *stage;
  result->message.assign(message.begin(), message.end());
  return result;
}

std::optional<std::uint32_t> peek_request_id(std::span<const std::uint8_t> frame) {
  Reader in(frame);
  if (in.u8() != kRequestTag) return std::nullopt;
  return in.u32();
}

void wipe(std::string& secret) noexcept {
  if (!secret.empty()) ::explicit_bzero(secret.data(), secret.size());
  secret.clear();
}

void wipe(std::vector<std::uint8_t>& secret) noexcept {
  if (!secret.empty()) ::explicit_bzero(secret.data(), secret.size());
  secret.clear();
}

void wipe(std::span<std::uint8_t> secret) noexcept {
  if (!secret.empty()) ::explicit_bzero(secret.data(), secret.size());
}

}  // namespace rustsocks::auth

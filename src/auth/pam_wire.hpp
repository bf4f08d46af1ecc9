// The frames exchanged between the server (auth/pam_client) and the root PAM monitor
// (pam_monitor/), and between the monitor and its PAM workers: one SOCK_SEQPACKET message is one
// frame. Pure byte code (no Asio, no libpam). The monitor acts on nothing it did not decode here,
// so every length is checked, nothing may trail a frame, and the decoders are fuzzed.
//
// Request, integers big-endian (header 11 bytes, at most 904 in all):
//   +------+-------+-------+------+------+------+------+------+---------+------+----------+-------+-------+
//   | 0x51 | ID(4) | FLAGS | SLEN | ULEN | PLEN | HLEN | RLEN | SERVICE | USER | PASSWORD | RHOST |
//   RUSER |
//   +------+-------+-------+------+------+------+------+------+---------+------+----------+-------+-------+
//   FLAGS: bit 0 = check_password (pam.username); the other bits must be 0.
//   SLEN 1..64, ULEN 1..255, PLEN 0..255 (0 when check_password is off), HLEN 0..64, RLEN 0..255.
//   No field holds a NUL byte (libpam takes C strings).
// Reply (header 8 bytes, at most 263 in all):
//   +------+-------+----------+-------+------+---------+
//   | 0x52 | ID(4) | PAM_CODE | STAGE | MLEN | MESSAGE |
//   +------+-------+----------+-------+------+---------+
//   PAM_CODE: libpam's return code (PAM_SUCCESS = 0). STAGE: 0 pam_authenticate, 1 pam_acct_mgmt,
//   2 the monitor answered without a PAM verdict (refused service, worker died, overload).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rustsocks::auth {

inline constexpr std::uint8_t kRequestTag = 0x51;  // 'Q'
inline constexpr std::uint8_t kReplyTag = 0x52;    // 'R'
inline constexpr std::uint8_t kFlagCheckPassword = 0x01;

inline constexpr std::size_t kMaxServiceLength = 64;
inline constexpr std::size_t kMaxUserLength = 255;
inline constexpr std::size_t kMaxPasswordLength = 255;
inline constexpr std::size_t kMaxRhostLength = 64;
inline constexpr std::size_t kMaxRuserLength = 255;
inline constexpr std::size_t kMaxMessageLength = 255;

inline constexpr std::size_t kRequestHeaderSize = 11;
inline constexpr std::size_t kMaxRequestSize = kRequestHeaderSize + kMaxServiceLength +
                                               kMaxUserLength + kMaxPasswordLength +
                                               kMaxRhostLength + kMaxRuserLength;
inline constexpr std::size_t kReplyHeaderSize = 8;
inline constexpr std::size_t kMaxReplySize = kReplyHeaderSize + kMaxMessageLength;

inline constexpr std::uint8_t kStageAuth = 0;
inline constexpr std::uint8_t kStageAccount = 1;
inline constexpr std::uint8_t kStageMonitor = 2;

// One PAM transaction as Dante runs it: PAM_USER = user, PAM_RHOST = rhost (numeric, IPv4-mapped
// addresses already turned into IPv4), PAM_RUSER = ruser; pam_authenticate then pam_acct_mgmt.
// check_password: pam.username (the password answers the prompt). Off: pam.address, the password
// is empty and any prompt fails the conversation (pam.md §4).
struct PamRequest {
  std::uint32_t id = 0;
  std::string service;
  std::string user;
  std::string password;
  std::string rhost;
  std::string ruser;
  bool check_password = true;

  friend bool operator==(const PamRequest&, const PamRequest&) = default;
};

struct PamReply {
  std::uint32_t id = 0;
  int pam_code = 0;  // PAM_SUCCESS etc.
  std::uint8_t stage = kStageAuth;
  std::string message;  // PAM's own text when the monitor is verbose; never a password

  friend bool operator==(const PamReply&, const PamReply&) = default;
};

// Empty when a field breaks the limits above (too long, NUL byte, empty service or user, or a
// password without check_password): such a request cannot be sent.
std::vector<std::uint8_t> encode(const PamRequest& request);
// Total: a message longer than kMaxMessageLength is cut, a pam_code outside 0..255 becomes 255
// (no PAM code, so never a success), and an unknown stage becomes kStageMonitor.
std::vector<std::uint8_t> encode(const PamReply& reply);

// nullopt unless `frame` is exactly one well-formed frame of that kind.
std::optional<PamRequest> decode_request(std::span<const std::uint8_t> frame);
std::optional<PamReply> decode_reply(std::span<const std::uint8_t> frame);

// The ID of something that starts like a request, so a malformed one can still be answered.
std::optional<std::uint32_t> peek_request_id(std::span<const std::uint8_t> frame);

// Overwrite secrets in a way the compiler may not drop (explicit_bzero), then empty them.
void wipe(std::string& secret) noexcept;
void wipe(std::vector<std::uint8_t>& secret) noexcept;
void wipe(std::span<std::uint8_t> secret) noexcept;

}  // namespace rustsocks::auth

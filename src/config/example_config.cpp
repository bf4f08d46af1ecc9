// The example configuration: every implemented key at its default, with what it means. It must
// load unchanged with no warning (tested); config/rustsocks.toml ships the same text.
#include <string_view>

#include "config/config.hpp"

namespace rustsocks::config {
namespace {

constexpr std::string_view kIntro =
    R"toml(# rustsocks configuration (TOML). Every key is shown at its default value, so deleting a
# line changes nothing. The full reference, with bounds, is docs/config.md.
#
# RustSocks configuration files load too: RustSocks keys this build does not implement produce
# one warning each and are ignored. The security features it lacks (TLS, GSSAPI) stop the start
# with an error instead, so they are never silently dropped. Unknown keys, wrong types and
# out-of-range values are errors.

)toml";

constexpr std::string_view kServer = R"toml([server]
# Account to switch to right after start-up when started as root: 1 to 32 characters of a-z,
# 0-9, '_' and '-', starting with a letter or '_'.
user = "socks"
# Address to listen on: an IPv4 or IPv6 literal, no hostname ("0.0.0.0" or "::" for all).
bind_address = "127.0.0.1"
# TCP port to listen on: 0 to 65535 (0 picks a free port and logs it).
bind_port = 1080
# Most client connections served at once; more are closed on accept: 1 to 1000000.
max_connections = 1000
# Worker threads; 0 = one per CPU core: 0 to 256.
workers = 0
# Time a client has to finish the SOCKS5 greeting and request, in ms: 100 to 300000.
handshake_timeout_ms = 10000
# Time to connect to a target, all of its addresses together, in ms: 100 to 300000.
# (RustSocks' [server.pool] connect_timeout_ms is read as this key when this one is absent.)
connect_timeout_ms = 5000
# Time to resolve a target's domain name, in ms: 100 to 300000.
dns_timeout_ms = 5000
# Close a relayed connection after this many seconds with no byte either way; 0 = never:
# 0 to 604800 (7 days).
idle_timeout_secs = 300
# On SIGINT or SIGTERM, stop accepting and give live connections this many seconds to finish:
# 0 to 3600.
shutdown_grace_secs = 10
# Relay plain TCP with Linux splice(2), without copying through user space.
splice = true
# Length of the listen queue (the kernel caps it at net.core.somaxconn): 1 to 65535.
listen_backlog = 4096
# BIND and UDP ASSOCIATE (docs/udp-and-bind.md). Address BIND listeners and UDP relay sockets
# bind to and report in their replies; "" = the address the client reached the proxy on. An
# IPv4 or IPv6 literal; clients of the other family still use the address they reached.
external_address = ""
# BIND: seconds to wait for the incoming connection (then reply 0x06): 1 to 3600.
bind_accept_timeout_secs = 120
# UDP ASSOCIATE: end an association after this many seconds with no datagram either way;
# 0 = only when its TCP control connection closes: 0 to 86400.
udp_idle_timeout_secs = 120
# UDP ASSOCIATE: largest datagram payload relayed, in bytes; larger ones are dropped:
# 512 to 65507.
udp_max_datagram_bytes = 65507
# UDP ASSOCIATE: datagrams per second per association, both ways together (bursts of one
# second's worth); more are dropped; 0 = no limit: 0 to 10000000.
udp_rate_limit_pps = 50000

)toml";

constexpr std::string_view kLogging = R"toml([logging]
# trace, debug, info, warn (or "warning"), error, critical or off.
# (A top-level log_level key is read as this key when this one is absent.)
level = "info"
# "pretty" for human-readable lines, "json" for one JSON object per line.
format = "pretty"
# File to append the log to; "" = standard error.
file = ""

)toml";

constexpr std::string_view kApi = R"toml([sessions]
# The management API: /health, /metrics and /api/* over HTTP/1.1 (docs/api.md).
stats_api_enabled = false
# Address of the API: an IPv4 or IPv6 literal. Anything but loopback needs an [api] token.
stats_api_bind_address = "127.0.0.1"
# TCP port of the API: 0 to 65535.
stats_api_port = 9090
# Prefix of every API path, /health and /metrics included ("/rs" serves /rs/health).
base_path = "/"

[api]
# Bearer tokens for /api/* (several, so a token can be rotated): 16 to 256 printable ASCII
# characters each. Clients send "Authorization: Bearer <token>".
tokens = []
# File with more tokens, one a line (blank lines and # comments are skipped); "" = none.
token_file = ""
# Ask for a token on /metrics too.
metrics_require_token = false
# Serve POST /api/auth/pam/test, which checks a password through PAM (a password oracle).
pam_test_enabled = false
# API connections served at once; more are refused: 1 to 10000.
max_connections = 64
# Time a client has to send one whole request (also the keep-alive idle limit), in ms:
# 100 to 300000.
read_timeout_ms = 10000
# Requests per second over all API clients; more get 429: 1 to 100000.
requests_per_second = 50
# POST /api/auth/pam/test calls per minute; more get 429: 1 to 600.
pam_tests_per_minute = 10

)toml";

constexpr std::string_view kAuth = R"toml([auth]
# Check made on connect, before any SOCKS byte: "none", or "pam.address" (PAM, with the client's
# address as PAM_RHOST, no password).
client_method = "none"
# PAM service (a file in /etc/pam.d) for client_method = "pam.address".
# (RustSocks' [auth.pam] address_service is read as this key when this one is absent.)
client_pam_service = "rustsocks-client"
# SOCKS5 authentication: "none", "userpass" (the [[auth.users]] below), "pam.username" (the
# client's username and password checked by PAM) or "pam.address" (PAM with the address only).
# (RustSocks' older name for this key, method, is read as this key when this one is absent.)
socks_method = "none"
# PAM service (a file in /etc/pam.d) for socks_method = "pam.username" or "pam.address".
# (RustSocks' [auth.pam] username_service is read as this key when this one is absent.)
socks_pam_service = "rustsocks"
# Every failed authentication waits this long before the failure is sent, in ms: 0 to 10000.
failure_delay_ms = 1000
# Remember a successful userpass login for this many seconds, so the password hash is not
# recomputed on every connection; 0 = off: 0 to 86400.
userpass_cache_ttl_secs = 60

)toml";

constexpr std::string_view kAuthDetails = R"toml([auth.lockout]
# Refuse authentication from a client IP that failed too often.
enabled = true
# Failures from one client IP within window_secs that lock it out: 1 to 1000.
max_failures = 5
# The window in which failures are counted, in seconds: 1 to 86400.
window_secs = 60
# How long a locked-out IP is refused, in seconds: 1 to 604800 (7 days).
duration_secs = 300

[auth.pam]
# PAM_USER for "pam.address" checks: 1 to 255 bytes.
default_user = "rhostusr"
# PAM_RUSER given with every PAM check: 1 to 255 bytes.
default_ruser = "rhostusr"
# Log PAM's own messages (never a password).
verbose = false
# Refuse to start when the service file of a PAM method in use is missing (libpam would
# silently use /etc/pam.d/other instead). RustSocks' default was false, and it only warned.
verify_service = true
# PAM worker processes (at most this many PAM checks run at once): 1 to 64.
monitor_workers = 4
# Time one PAM check may take, end to end, in ms: 100 to 300000.
timeout_ms = 10000
# Remember a successful "pam.username" login for this many seconds; 0 = off: 0 to 86400.
cache_ttl_secs = 60

# Users for socks_method = "userpass": one [[auth.users]] table each, with a unique username
# (1 to 255 bytes) and a crypt(3) password_hash ($y$ yescrypt, $6$ SHA-512, or $2b$, $2y$, $2a$
# bcrypt), made with `rustsocks hash-password`. A plain-text password = "..." loads too, with a
# warning.
# [[auth.users]]
# username = "alice"
# password_hash = "$y$j9T$..."

)toml";

constexpr std::string_view kAcl = R"toml([acl]
# Access control (docs/acl.md): per-user and per-group rules in a separate TOML file, checked
# when a client connects (its address) and on every request: every address about to be dialled
# (after DNS), every UDP datagram's destination, BIND's incoming peer. Off = an open proxy for
# whoever reaches the listener (a warning at start-up when that listener is not on loopback).
enabled = false
# The ACL file; required when enabled. A relative path is taken from the working directory.
config_file = ""
# Reload the file when it changes (editors' save-by-rename and Kubernetes ConfigMap symlink swaps
# included). SIGHUP reloads it either way. A broken file keeps the rules in force.
watch = false
# User the rules see when SOCKS gives no username (socks_method "none" or "pam.address").
anonymous_user = "anonymous"
# Block loopback, link-local (cloud metadata) and the server's own listening addresses unless a
# rule names them by address or CIDR ("*" does not open them).
block_internal = true
# On reload, close live sessions that the new rules block.
terminate_on_reload = false
)toml";

}  // namespace

std::string example_config() {
  std::string text;
  for (const std::string_view part : {kIntro, kServer, kLogging, kApi, kAuth, kAuthDetails, kAcl}) {
    text += part;
  }
  return text;
}

}  // namespace rustsocks::config

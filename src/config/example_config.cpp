// The example configuration: every implemented key at its default, with what it means. It must
// load unchanged with no warning (tested); config/rustsocks.toml ships the same text.
#include "config/config.hpp"

namespace rustsocks::config {

std::string example_config() {
  return R"toml(# rustsocks configuration (TOML). Every key is shown at its default value, so deleting a
# line changes nothing. The full reference, with bounds, is docs/config.md.
#
# RustSocks configuration files load too: RustSocks keys this build does not implement produce
# one warning each and are ignored. The security features it lacks (authentication other than
# "none", ACLs, TLS) stop the start with an error instead, so they are never silently dropped.
# Unknown keys, wrong types and out-of-range values are errors.

[server]
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

[logging]
# trace, debug, info, warn (or "warning"), error, critical or off.
# (A top-level log_level key is read as this key when this one is absent.)
level = "info"
# "pretty" for human-readable lines, "json" for one JSON object per line.
format = "pretty"
# File to append the log to; "" = standard error.
file = ""

[auth]
# Authentication of SOCKS clients. "none" is the only method in this build; any other value
# (userpass, pam.username, pam.address, gssapi) is an error rather than an open proxy.
# RustSocks' older name for this key, method, is accepted too.
socks_method = "none"
# Check done on connect, before any SOCKS byte: "none" is the only method in this build.
client_method = "none"
)toml";
}

}  // namespace rustsocks::config

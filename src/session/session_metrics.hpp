// The session's metrics, bumped only in session.cpp and only at step boundaries (once per
// session at its end for counts and bytes, never in the relay loop). Label values are bounded:
// command and reply names from fixed lists, never a user or a target.
#pragma once

#include <string_view>

#include "metrics/registry.hpp"
#include "socks5/messages.hpp"

namespace rustsocks::session {

// "connect", "bind", "udp_associate"; "none" when no request was read.
const char* command_name(socks5::Command command);

struct SessionMetrics {
  metrics::Histogram& handshake;         // rustsocks_handshake_duration_seconds
  metrics::Histogram& upstream_connect;  // rustsocks_upstream_connect_duration_seconds
  metrics::Counter& dns_failures;        // rustsocks_dns_failures_total
  metrics::Counter& bytes_up;            // rustsocks_bytes_total{direction="up"}
  metrics::Counter& bytes_down;          // rustsocks_bytes_total{direction="down"}
  metrics::Counter& client_refused;      // rustsocks_connections_rejected_total{reason=...}

  // rustsocks_sessions_total{command, reply}: registered on a pair's first use, then lock-free.
  // Unknown names count as "other", so a label value can never come from outside.
  static metrics::Counter& sessions(std::string_view command, std::string_view reply);
};

// The process' one set (registered in the global registry on first use).
SessionMetrics& session_metrics();

// At start-up, so a scrape shows every family (with HELP and TYPE) before the first session:
// the session metrics and sessions_total{command="connect",reply="succeeded"}.
void register_session_metrics();

}  // namespace rustsocks::session

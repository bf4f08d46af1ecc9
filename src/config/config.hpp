// The server's configuration as plain data: defaults here, validated once by load_config(),
// immutable afterwards. Nothing reads the TOML tree after load.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rustsocks::config {

enum class LogFormat { Pretty, Json };

struct Server {
  std::string user = "socks";              // account to run as after start-up when started as root
  std::string bind_address = "127.0.0.1";  // an IPv4 or IPv6 literal
  std::uint16_t bind_port = 1080;
  std::size_t max_connections = 1000;  // 0 is rejected at load
  unsigned workers = 0;                // 0 = one per core
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds connect_timeout{5'000};  // per dial, all candidate addresses together
  std::chrono::milliseconds dns_timeout{5'000};
  std::chrono::seconds idle_timeout{300};   // relay: no byte either way for this long; 0 = off
  std::chrono::seconds shutdown_grace{10};  // SIGINT/SIGTERM: live sessions may finish this long
  bool splice = true;                       // Linux zero-copy relay for plain TCP
  int listen_backlog = 4096;
  // BIND and UDP ASSOCIATE (docs/udp-and-bind.md).
  std::string external_address;                   // "" = the address the client reached us on
  std::chrono::seconds bind_accept_timeout{120};  // BIND: wait this long for the incoming peer
  std::chrono::seconds udp_idle_timeout{120};     // no datagram either way for this long; 0 = off
  std::size_t udp_max_datagram = 65'507;          // bytes of DATA, each way; larger are dropped
  std::uint32_t udp_rate_limit = 50'000;          // datagrams/s per association, burst 1 s; 0 = off
};

enum class ClientMethod { None, PamAddress };
enum class SocksMethod { None, UserPass, PamAddress, PamUsername };

// One [[auth.users]] entry: exactly one of password_hash (crypt(3)) or password (plain, warned).
struct StaticUser {
  std::string username;
  std::string password_hash;
  std::string password;
};

struct Lockout {
  bool enabled = true;
  unsigned max_failures = 5;           // failures from one client IP within `window`...
  std::chrono::seconds window{60};     // ...lock that IP out of authentication...
  std::chrono::seconds duration{300};  // ...for this long
};

struct Pam {
  std::string default_user = "rhostusr";      // PAM_USER for pam.address
  std::string default_ruser = "rhostusr";     // PAM_RUSER
  bool verbose = false;                       // log PAM's own messages (never a password)
  bool verify_service = true;                 // a missing service file is a start-up error
  unsigned monitor_workers = 4;               // PAM worker processes in the monitor
  std::chrono::milliseconds timeout{10'000};  // one PAM transaction, end to end
  std::chrono::seconds cache_ttl{60};         // successful pam.username logins; 0 = off
};

struct Auth {
  ClientMethod client_method = ClientMethod::None;
  std::string client_pam_service = "rustsocks-client";
  SocksMethod socks_method = SocksMethod::None;
  std::string socks_pam_service = "rustsocks";
  Pam pam;
  std::vector<StaticUser> users;
  std::chrono::milliseconds failure_delay{1'000};  // every failed attempt waits this long
  Lockout lockout;
  std::chrono::seconds userpass_cache_ttl{60};  // successful userpass logins; 0 = off
};

struct Logging {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  LogFormat format = LogFormat::Pretty;
  std::string file;  // empty = stderr
};

// The management API (api/): RustSocks' [sessions] stats_api_* and base_path keys, and our [api].
struct Api {
  bool enabled = false;                    // [sessions] stats_api_enabled
  std::string bind_address = "127.0.0.1";  // [sessions] stats_api_bind_address, an IP literal
  std::uint16_t port = 9090;               // [sessions] stats_api_port (0: ephemeral, tests)
  std::string base_path = "/";             // [sessions] base_path, normalised: "/" or "/a/b"
  std::vector<std::string> tokens;         // [api] tokens, then the lines of token_file
  std::string token_file;                  // [api] token_file ("" = none), already read
  bool metrics_require_token = false;
  bool pam_test_enabled = false;
  std::size_t max_connections = 64;                // API connections at once; more are refused
  std::chrono::milliseconds read_timeout{10'000};  // to read one whole request (and keep-alive)
  unsigned requests_per_second = 50;               // every client together; over it: 429
  unsigned pam_tests_per_minute = 10;              // POST /api/auth/pam/test; over it: 429
};

// [acl]: the ACL file (docs/acl.md) and how it is applied.
struct Acl {
  bool enabled = false;
  std::string config_file;  // required when enabled; relative to the working directory
  bool watch = false;       // reload on change (inotify); SIGHUP reloads either way
  std::string anonymous_user = "anonymous";  // the ACL's user when SOCKS gives no username
  bool block_internal = true;        // the built-in guard (loopback, link-local, own listeners)
  bool terminate_on_reload = false;  // close live sessions that reloaded rules block
};

struct Config {
  Server server;
  Logging logging;
  Auth auth;
  Api api;
  Acl acl;
};

// Everything a load produced: a config when there were no errors, plus every error and warning
// as one line each ("path:line:column: message").
struct LoadResult {
  std::optional<Config> config;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

// The methods as spelt in the config file, the logs, the API and metric labels.
const char* method_name(ClientMethod method);
const char* method_name(SocksMethod method);

// source_name is used in messages (usually the file path).
LoadResult load_config(std::string_view toml_text, std::string_view source_name);
// Reads the file; a missing or unreadable file is an error naming the path.
LoadResult load_config_file(const std::string& path);
// A complete, commented example configuration that loads unchanged with no warnings.
std::string example_config();

}  // namespace rustsocks::config

// Dropping root for good after start-up: the account lookup, the drop itself, and the proof that
// it cannot be undone. Called once, before any thread exists.
#pragma once

#include <string>

#include <sys/types.h>

namespace rustsocks::app {

struct RunAs {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Looks up the account; throws std::runtime_error naming it and how to create it when missing,
// or when it is root itself.
RunAs lookup_run_user(const std::string& name);

// setgroups (just the account's primary group), setgid, setuid; then verifies that no uid or gid
// is 0 and that setuid(0) fails. Throws std::runtime_error on any failure: a half-dropped server
// must not run.
void drop_privileges(const RunAs& account);

}  // namespace rustsocks::app

#include "app/privileges.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace rustsocks::app {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

RunAs lookup_run_user(const std::string& name) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  int rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0 || found == nullptr) {
    throw std::runtime_error("server.user: the account '" + name +
                             "' does not exist; create it with: useradd -r -s /usr/sbin/nologin " +
                             name);
  }
  if (found->pw_uid == 0 || found->pw_gid == 0) {
    throw std::runtime_error("server.user: '" + name +
                             "' has uid or gid 0; choose an unprivileged account");
  }
  return RunAs{name, found->pw_uid, found->pw_gid};
}

void drop_privileges(const RunAs& account) {
  gid_t groups[] = {account.gid};  // NOLINT(*-avoid-c-arrays)
  if (::setgroups(1, groups) != 0) fail("setgroups");
  if (::setresgid(account.gid, account.gid, account.gid) != 0) fail("setresgid");
  if (::setresuid(account.uid, account.uid, account.uid) != 0) fail("setresuid");
  uid_t ruid = 0;
  uid_t euid = 0;
  uid_t suid = 0;
  gid_t rgid = 0;
  gid_t egid = 0;
  gid_t sgid = 0;
  if (::getresuid(&ruid, &euid, &suid) != 0 || ::getresgid(&rgid, &egid, &sgid) != 0) {
    fail("getresuid");
  }
  if (ruid == 0 || euid == 0 || suid == 0 || rgid == 0 || egid == 0 || sgid == 0) {
    throw std::runtime_error("privilege drop incomplete: a uid or gid is still 0");
  }
  if (::setuid(0) == 0 || ::seteuid(0) == 0) {
    throw std::runtime_error("privilege drop failed: root could be regained");
  }
  std::vector<gid_t> now(static_cast<std::size_t>(::getgroups(0, nullptr)) + 1);
  int count = ::getgroups(static_cast<int>(now.size()), now.data());
  for (int i = 0; i < count; ++i) {
    if (now[static_cast<std::size_t>(i)] == 0) {
      throw std::runtime_error("privilege drop incomplete: still in group 0");
    }
  }
}

}  // namespace rustsocks::app

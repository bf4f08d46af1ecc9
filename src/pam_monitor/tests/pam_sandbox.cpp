#include "pam_sandbox.hpp"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>

#include "support/loopback.hpp"

namespace rustsocks::pam_monitor::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kModuleDir = RUSTSOCKS_PAM_WRAPPER_MODULE_DIR;

// pam_wrapper copies the service folder to /tmp/pam.X for each process that uses PAM; the copy
// of a process that ends with _exit (our workers) stays behind until reclaimed. Remove the ones
// whose owner is dead, as pam_wrapper itself does when it next needs that letter.
void remove_stale_pam_wrapper_copies() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/tmp", ec)) {
    const auto name = entry.path().filename().string();
    if (name.size() != 5 || !name.starts_with("pam.")) continue;
    std::ifstream pid_file(entry.path() / "pid");
    long pid = 0;
    if (!(pid_file >> pid) || pid <= 0) continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
  }
}

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "rustsocks-pam-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// nss_wrapper reads its file names once per process, at its first lookup, and a child inherits
// that state: the accounts live in one folder for the whole test process (same for every test).
struct NssFiles {
  NssFiles() : dir(make_temp_dir()) {
    std::ofstream(dir / "passwd") << "rhostusr:x:40001:40001::/nonexistent:/bin/false\n"
                                     "rs_blank:x:40011:40011::/nonexistent:/bin/false\n"
                                     "rs_pw:x:40012:40012::/nonexistent:/bin/false\n";
    std::ofstream(dir / "group") << "rhostusr:x:40001:\nrs_blank:x:40011:\nrs_pw:x:40012:\n";
  }
  ~NssFiles() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  NssFiles(const NssFiles&) = delete;
  NssFiles& operator=(const NssFiles&) = delete;
  fs::path dir;
};

const NssFiles& nss_files() {
  static const NssFiles files;
  return files;
}

std::string stat_field(pid_t pid, std::size_t index) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return {};
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  for (std::size_t i = 0; i <= index && fields >> field; ++i) {}
  return field;
}

}  // namespace

PamSandbox::PamSandbox() : dir_(make_temp_dir()) {
  fs::create_directory(dir_ / "pam.d");
  const auto passdb = (dir_ / "passdb").string();
  const auto access = (dir_ / "access.conf").string();
  const auto matrix = kModuleDir + "/pam_matrix.so passdb=" + passdb + "\n";
  write("passdb", "alice:secret:rs-user\nblank::rs-user\n");
  write("access.conf", "+ : rhostusr : 127.0.0.1 ::1 192.0.2.0/24\n- : ALL : ALL\n");
  write("pam.d/other",
        "auth required pam_deny.so\naccount required pam_deny.so\n"
        "password required pam_deny.so\nsession required pam_deny.so\n");
  write("pam.d/rs-user", "auth required " + matrix + "account required " + matrix);
  write("pam.d/rs-acct-deny", "auth required " + matrix + "account required pam_deny.so\n");
  write("pam.d/rs-delay", "auth optional pam_faildelay.so delay=2000000\nauth required " + matrix +
                              "account required pam_permit.so\n");
  write("pam.d/rs-slow", "auth required pam_exec.so quiet /bin/sleep 1\nauth required " + matrix +
                             "account required pam_permit.so\n");
  write("pam.d/rs-addr", "auth required pam_access.so accessfile=" + access +
                             "\naccount required pam_access.so accessfile=" + access + "\n");
  write("pam.d/rs-unlisted", "auth required pam_permit.so\naccount required pam_permit.so\n");
  write("pam.d/rs-nullok", "auth required pam_unix.so nullok\naccount required pam_unix.so\n");
  // pam_wrapper reads this at the first pam_start of each worker (after the monitor is forked).
  ::setenv("PAM_WRAPPER_SERVICE_DIR", (dir_ / "pam.d").c_str(), 1);
  ::setenv("NSS_WRAPPER_PASSWD", (nss_files().dir / "passwd").c_str(), 1);
  ::setenv("NSS_WRAPPER_GROUP", (nss_files().dir / "group").c_str(), 1);
}

PamSandbox::~PamSandbox() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
  remove_stale_pam_wrapper_copies();
}

void PamSandbox::write(const std::string& name, const std::string& text) const {
  std::ofstream out(dir_ / name);
  out << text;
}

std::string PamSandbox::skip_reason() const {
  if (::dlsym(RTLD_DEFAULT, "pam_wrapper_enabled") == nullptr)
    return "libpam_wrapper.so is not preloaded (run the test through ctest)";
  if (::dlsym(RTLD_DEFAULT, "nss_wrapper_enabled") == nullptr)
    return "libnss_wrapper.so is not preloaded (run the test through ctest)";
  const char* enabled = std::getenv("PAM_WRAPPER");
  if (enabled == nullptr || std::string(enabled) != "1") return "PAM_WRAPPER=1 is not set";
  if (kModuleDir.empty() || !fs::exists(kModuleDir + "/pam_matrix.so"))
    return "pam_matrix.so (package libpam-wrapper) not found";
  return {};
}

std::vector<std::string> sandbox_services() {
  return {"rs-user", "rs-acct-deny", "rs-delay", "rs-slow", "rs-addr", "rs-nullok"};
}

auth::PamRequest username_request(std::string service, std::string user, std::string password) {
  return auth::PamRequest{.id = 0,
                          .service = std::move(service),
                          .user = std::move(user),
                          .password = std::move(password),
                          .rhost = "127.0.0.1",
                          .ruser = "rhostusr",
                          .check_password = true};
}

auth::PamRequest address_request(std::string service, std::string rhost) {
  return auth::PamRequest{.id = 0,
                          .service = std::move(service),
                          .user = "rhostusr",
                          .password = "",
                          .rhost = std::move(rhost),
                          .ruser = "rhostusr",
                          .check_password = false};
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(name));
    if (stat_field(pid, 1) == std::to_string(parent) && stat_field(pid, 0) != "Z")
      children.push_back(pid);
  }
  return children;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  return stat_field(pid, 0) == "Z";
}

void PamMonitorTest::SetUp() {
  if (auto why = sandbox_.skip_reason(); !why.empty()) GTEST_SKIP() << why;
}

void PamMonitorTest::TearDown() {
  channels_.clear();
  if (monitor_.pid > 0) stop_monitor(monitor_);
}

void PamMonitorTest::start(MonitorOptions options, unsigned channels,
                           std::chrono::milliseconds timeout) {
  if (options.services.empty()) options.services = sandbox_services();
  monitor_ = start_monitor(options, channels);
  for (auto& fd : monitor_.channels) {
    channels_.push_back(
        std::make_unique<auth::PamChannel>(io_.get_executor(), std::move(fd), timeout));
  }
  monitor_.channels.clear();
}

auth::PamOutcome PamMonitorTest::authenticate(auth::PamRequest request, std::size_t channel) {
  return rustsocks::testing::run_bounded(io_, channels_.at(channel)->authenticate(request),
                                         std::chrono::seconds(30));
}

bool PamMonitorTest::run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  io_.restart();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline)
    io_.run_one_for(10ms);
  return done();
}

}  // namespace rustsocks::pam_monitor::testing

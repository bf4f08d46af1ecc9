#include "acl/acl_store.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "acl/acl_metrics.hpp"

namespace rustsocks::acl {
namespace {

constexpr std::size_t kMaxFileSize = 16UL * 1024 * 1024;

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += (out.empty() ? "" : "\n") + line;
  return out;
}

}  // namespace

std::optional<std::string> read_file(const std::string& path, std::string& problem) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = path + ": cannot open the ACL file: " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    problem = path + ": cannot read the ACL file";
    return std::nullopt;
  }
  std::string out = text.str();
  if (out.size() > kMaxFileSize) {
    problem = path + ": the ACL file is larger than 16 MiB";
    return std::nullopt;
  }
  return out;
}

Compiled compile_acl(std::string_view toml_text, std::string_view source_name, const Guard& guard) {
  Compiled out;
  auto loaded = load_acl(toml_text, source_name);
  out.errors = std::move(loaded.errors);
  out.warnings = std::move(loaded.warnings);
  if (loaded.file) out.rules = std::make_shared<const RuleSet>(std::move(*loaded.file), guard);
  return out;
}

AclStore::AclStore(std::string path, Guard guard)
    : path_(std::move(path)), guard_(std::move(guard)) {
  (void)acl_metrics();  // register the series at start-up so they show as 0
}

void AclStore::replace(std::shared_ptr<const RuleSet> next) {
  rules_.store(std::move(next), std::memory_order_release);
}

void AclStore::load_initial() {
  std::string problem;
  auto text = read_file(path_, problem);
  if (!text) throw std::runtime_error(problem);
  auto compiled = compile_acl(*text, path_, guard_);
  for (const auto& warning : compiled.warnings)
    spdlog::warn("acl: {}", warning);
  if (!compiled.rules) throw std::runtime_error(joined(compiled.errors));
  last_text_ = std::move(*text);
  spdlog::info("acl: loaded {} rule(s) from {}", compiled.rules->rule_count(), path_);
  replace(std::move(compiled.rules));
}

ReloadResult AclStore::reload(std::string_view trigger, bool only_if_changed) {
  const std::lock_guard lock(reload_mutex_);
  const auto start = std::chrono::steady_clock::now();
  ReloadResult result;
  std::string problem;
  auto text = read_file(path_, problem);
  if (text && only_if_changed && *text == last_text_) {
    result.ok = true;
    result.unchanged = true;
    result.rules = current() ? current()->rule_count() : 0;
    return result;
  }
  Compiled compiled;
  if (text) {
    compiled = compile_acl(*text, path_, guard_);
    last_text_ = std::move(*text);
  } else {
    compiled.errors.push_back(problem);
  }
  result.took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  result.warnings = std::move(compiled.warnings);
  result.errors = std::move(compiled.errors);
  if (!compiled.rules) {
    acl_metrics().reload_failure.inc();
    spdlog::error("acl: reload ({}) failed, keeping the current rules: {}", trigger,
                  joined(result.errors));
    result.rules = current() ? current()->rule_count() : 0;
    return result;
  }
  for (const auto& warning : result.warnings)
    spdlog::warn("acl: {}", warning);
  result.ok = true;
  result.rules = compiled.rules->rule_count();
  replace(compiled.rules);
  acl_metrics().reload_success.inc();
  spdlog::info("acl: reloaded ({}) {} rule(s) from {} in {} us", trigger, result.rules, path_,
               result.took.count());
  if (on_replace_) on_replace_(compiled.rules);
  return result;
}

}  // namespace rustsocks::acl

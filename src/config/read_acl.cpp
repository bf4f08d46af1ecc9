// [acl]: whether the ACL is on, where its file is, and how it applies (docs/acl.md). The ACL
// file itself is acl::load_acl()'s, read at start-up by app/.
#include "config/key_spec.hpp"

namespace rustsocks::config {
namespace {

constexpr std::size_t kMaxUser = 255;

void read_bool(const toml::table& root, std::string_view path, bool& into) {
  if (const auto* value = root.at_path(path).as_boolean()) into = value->get();
}

}  // namespace

void read_acl(const toml::table& root, Acl& acl, Diagnostics& out) {
  read_bool(root, "acl.enabled", acl.enabled);
  read_bool(root, "acl.watch", acl.watch);
  read_bool(root, "acl.block_internal", acl.block_internal);
  read_bool(root, "acl.terminate_on_reload", acl.terminate_on_reload);
  if (const auto* file = root.at_path("acl.config_file").as_string()) {
    if (file->get().find('\0') != std::string::npos) {
      out.error(file->source(), key_label("acl.config_file") + " must not contain a NUL character");
    } else {
      acl.config_file = file->get();
    }
  }
  if (const auto* user = root.at_path("acl.anonymous_user").as_string()) {
    if (is_plain_text(user->get(), kMaxUser)) {
      acl.anonymous_user = user->get();
    } else {
      out.error(user->source(), key_label("acl.anonymous_user") + " must be 1 to 255 bytes");
    }
  }
  const auto* enabled = root.at_path("acl.enabled").as_boolean();
  if (acl.enabled && acl.config_file.find_first_not_of(" \t") == std::string::npos) {
    out.error(enabled->source(), key_label("acl.enabled") +
                                     " is true, but 'acl.config_file' is not set; name the ACL "
                                     "file (see docs/acl.md)");
  }
}

}  // namespace rustsocks::config

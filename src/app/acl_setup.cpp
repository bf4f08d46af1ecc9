#include "app/acl_setup.hpp"

#include <filesystem>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include <ifaddrs.h>
#include <netinet/in.h>

#include "session/acl_gate.hpp"

namespace rustsocks::app {
namespace {

void add_interface_addresses(const tcp::endpoint& listener, std::vector<acl::Endpoint>& out) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return;
  const bool v6 = listener.address().is_v6();
  for (const ifaddrs* at = list; at != nullptr; at = at->ifa_next) {
    if (at->ifa_addr == nullptr) continue;
    if (!v6 && at->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(at->ifa_addr);  // NOLINT
      out.push_back({acl::ipv4(ntohl(in->sin_addr.s_addr)), listener.port()});
    } else if (v6 && at->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(at->ifa_addr);  // NOLINT
      std::array<std::uint8_t, 16> bytes{};
      std::copy(std::begin(in6->sin6_addr.s6_addr), std::end(in6->sin6_addr.s6_addr),
                bytes.begin());
      out.push_back({acl::ipv6(bytes), listener.port()});
    }
  }
  ::freeifaddrs(list);
}

}  // namespace

std::vector<acl::Endpoint> own_endpoints(const tcp::endpoint& listener) {
  std::vector<acl::Endpoint> out{{session::to_acl_ip(listener.address()), listener.port()}};
  if (listener.address().is_unspecified()) add_interface_addresses(listener, out);
  return out;
}

std::unique_ptr<acl::AclStore> make_acl_store(const config::Config& config,
                                              std::vector<acl::Endpoint> own) {
  if (!config.acl.enabled) {
    error_code ec;
    const auto address = asio::ip::make_address(config.server.bind_address, ec);
    if (!ec && !address.is_loopback()) {
      spdlog::warn(
          "ACL disabled while listening on {}: this is an open proxy for every client that can "
          "reach it (enable [acl], or listen on loopback)",
          config.server.bind_address);
    }
    return nullptr;
  }
  const auto path = std::filesystem::absolute(config.acl.config_file).lexically_normal().string();
  acl::Guard guard{.block_internal = config.acl.block_internal, .own = std::move(own)};
  auto store = std::make_unique<acl::AclStore>(path, std::move(guard));
  store->load_initial();
  if (!config.acl.block_internal) {
    spdlog::warn(
        "acl: block_internal = false: clients may reach loopback, link-local (cloud "
        "metadata) and this server's own ports through the proxy");
  }
  return store;
}

}  // namespace rustsocks::app

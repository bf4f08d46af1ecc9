#include "session/reply_for.hpp"

#include <boost/asio/error.hpp>

namespace rustsocks::session {

socks5::Reply reply_for(const boost::system::error_code& ec) {
  namespace error = boost::asio::error;
  using core::Errc;
  using socks5::Reply;
  if (!ec) return Reply::Succeeded;
  if (ec == error::connection_refused) return Reply::ConnectionRefused;
  if (ec == error::network_unreachable) return Reply::NetworkUnreachable;
  if (ec == error::host_unreachable || ec == Errc::DnsFailure || ec == Errc::DnsTimeout ||
      ec == Errc::EmptyDomain) {
    return Reply::HostUnreachable;
  }
  if (ec == Errc::ConnectTimeout || ec == error::timed_out) return Reply::TtlExpired;
  if (ec == Errc::NotAllowed) return Reply::NotAllowed;
  if (ec == Errc::CommandNotSupported) return Reply::CommandNotSupported;
  if (ec == Errc::AddressTypeNotSupported) return Reply::AddressTypeNotSupported;
  return Reply::GeneralFailure;
}

std::string_view reply_name(socks5::Reply reply) {
  using socks5::Reply;
  switch (reply) {
    case Reply::Succeeded:
      return "succeeded";
    case Reply::GeneralFailure:
      return "general_failure";
    case Reply::NotAllowed:
      return "not_allowed";
    case Reply::NetworkUnreachable:
      return "network_unreachable";
    case Reply::HostUnreachable:
      return "host_unreachable";
    case Reply::ConnectionRefused:
      return "connection_refused";
    case Reply::TtlExpired:
      return "ttl_expired";
    case Reply::CommandNotSupported:
      return "command_not_supported";
    case Reply::AddressTypeNotSupported:
      return "address_type_not_supported";
  }
  return "unknown";
}

}  // namespace rustsocks::session

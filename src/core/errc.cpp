#include "core/errc.hpp"

#include <string>

namespace rustsocks::core {
namespace {

// boost::system::error_category has a protected non-virtual destructor by design (categories are
// never deleted through a base pointer), which -Wnon-virtual-dtor cannot see.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "rustsocks"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::Ok:
        return "success";
      case Errc::BadVersion:
        return "not a SOCKS5 message (bad version byte)";
      case Errc::NoMethods:
        return "greeting offers no authentication method";
      case Errc::NoAcceptableMethod:
        return "no acceptable authentication method";
      case Errc::BadReservedByte:
        return "reserved byte is not zero";
      case Errc::CommandNotSupported:
        return "command not supported";
      case Errc::AddressTypeNotSupported:
        return "address type not supported";
      case Errc::EmptyDomain:
        return "empty domain name";
      case Errc::MessageTooLarge:
        return "message too large";
      case Errc::HandshakeTimeout:
        return "handshake timed out";
      case Errc::ConnectTimeout:
        return "connect timed out";
      case Errc::DnsTimeout:
        return "name resolution timed out";
      case Errc::DnsFailure:
        return "name resolution failed";
      case Errc::BadSubnegotiationVersion:
        return "bad username/password sub-negotiation version";
      case Errc::EmptyCredential:
        return "empty username or password";
      case Errc::AuthenticationFailed:
        return "authentication failed";
      case Errc::NotAllowed:
        return "not allowed by the address check";
      case Errc::ClientRefused:
        return "client refused by the client tier";
    }
    return "unknown rustsocks error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace rustsocks::core

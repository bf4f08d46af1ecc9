// The project's own error codes, in boost::system's vocabulary so they travel next to Asio's.
// Every failing step returns an error_code; session/ maps it to a SOCKS reply in one place.
#pragma once

#include <type_traits>

#include <boost/system/error_code.hpp>

namespace rustsocks::core {

enum class Errc {
  Ok = 0,
  BadVersion,               // first byte is not 5 (SOCKS4, HTTP, random bytes)
  NoMethods,                // greeting with NMETHODS == 0
  NoAcceptableMethod,       // no offered method fits the configured one
  BadReservedByte,          // RSV != 0 in a request
  CommandNotSupported,      // CMD other than CONNECT (for now)
  AddressTypeNotSupported,  // ATYP other than 1, 3, 4
  EmptyDomain,              // domain of length 0
  MessageTooLarge,          // more bytes than any valid message of that kind can hold
  HandshakeTimeout,
  ConnectTimeout,
  DnsTimeout,
  DnsFailure,
  BadSubnegotiationVersion,  // RFC 1929 sub-negotiation VER is not 1
  EmptyCredential,           // RFC 1929 ULEN or PLEN of 0
  AuthenticationFailed,      // wrong credentials, refused account, locked out, PAM unavailable
  NotAllowed,                // the SOCKS-tier address check (or later the ACL) refused
  ClientRefused,             // the client tier refused the connection before any SOCKS byte
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace rustsocks::core

template <>
struct boost::system::is_error_code_enum<rustsocks::core::Errc> : std::true_type {};

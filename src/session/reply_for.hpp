// The one mapping from a failure to the SOCKS5 reply code that names its real cause (RFC 1928 §6).
#pragma once

#include <string_view>

#include <boost/system/error_code.hpp>

#include "socks5/messages.hpp"

namespace rustsocks::session {

socks5::Reply reply_for(const boost::system::error_code& ec);
std::string_view reply_name(socks5::Reply reply);

}  // namespace rustsocks::session

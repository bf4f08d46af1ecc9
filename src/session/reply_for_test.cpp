#include "session/reply_for.hpp"

#include <boost/asio/error.hpp>
#include <gtest/gtest.h>

namespace rustsocks::session {
namespace {

using socks5::Reply;
namespace error = boost::asio::error;

TEST(ReplyFor, NamesTheRealCauseOfAFailedConnect) {
  EXPECT_EQ(reply_for({}), Reply::Succeeded);
  EXPECT_EQ(reply_for(error::connection_refused), Reply::ConnectionRefused);
  EXPECT_EQ(reply_for(error::network_unreachable), Reply::NetworkUnreachable);
  EXPECT_EQ(reply_for(error::host_unreachable), Reply::HostUnreachable);
  EXPECT_EQ(reply_for(core::Errc::DnsFailure), Reply::HostUnreachable);
  EXPECT_EQ(reply_for(core::Errc::DnsTimeout), Reply::HostUnreachable);
  EXPECT_EQ(reply_for(core::Errc::ConnectTimeout), Reply::TtlExpired);
  EXPECT_EQ(reply_for(error::timed_out), Reply::TtlExpired);
  EXPECT_EQ(reply_for(core::Errc::CommandNotSupported), Reply::CommandNotSupported);
  EXPECT_EQ(reply_for(core::Errc::AddressTypeNotSupported), Reply::AddressTypeNotSupported);
  EXPECT_EQ(reply_for(core::Errc::NotAllowed), Reply::NotAllowed);
  EXPECT_EQ(reply_for(error::access_denied), Reply::GeneralFailure);
}

TEST(ReplyName, GivesEveryReplyAStableName) {
  EXPECT_EQ(reply_name(Reply::TtlExpired), "ttl_expired");
  EXPECT_EQ(reply_name(Reply::Succeeded), "succeeded");
  EXPECT_EQ(reply_name(Reply::GeneralFailure), "general_failure");
}

}  // namespace
}  // namespace rustsocks::session

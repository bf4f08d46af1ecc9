// Specification of read_password (`rustsocks hash-password`): one line from a pipe or file; on a
// terminal, echo off and the password asked twice.
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include "auth/password_hash.hpp"
#include "core/unique_fd.hpp"

namespace rustsocks::auth {
namespace {

using File = std::unique_ptr<std::FILE, decltype(&::fclose)>;

// A FILE* over fixed bytes.
struct Input {
  explicit Input(std::string_view bytes)
      : text(bytes), file(::fmemopen(text.data(), text.size(), "r"), &::fclose) {}
  std::string text;
  File file;
};

std::optional<std::string> read_from(std::string_view bytes) {
  Input in(bytes);
  return read_password(in.file.get(), false);
}

TEST(ReadPassword, HashesOneLineFromAPipe) {
  auto hash = read_from("s3cret pass\nignored second line\n");
  ASSERT_TRUE(hash.has_value());
  EXPECT_TRUE(hash->starts_with("$y$"));
  EXPECT_TRUE(verify_password("s3cret pass", *hash));
}

TEST(ReadPassword, AcceptsALastLineWithoutNewlineAndStripsCarriageReturn) {
  auto bare = read_from("abc");
  ASSERT_TRUE(bare.has_value());
  EXPECT_TRUE(verify_password("abc", *bare));
  auto crlf = read_from("abc\r\n");
  ASSERT_TRUE(crlf.has_value());
  EXPECT_TRUE(verify_password("abc", *crlf));
}

TEST(ReadPassword, RefusesNoInputAnEmptyLineANulByteAndTooLongAPassword) {
  EXPECT_FALSE(read_from("").has_value());
  EXPECT_FALSE(read_from("\n").has_value());
  EXPECT_FALSE(read_from("\r\n").has_value());
  EXPECT_FALSE(read_from(std::string_view{"a\0b\n", 4}).has_value());
  EXPECT_FALSE(read_from(std::string(512, 'x') + "\n").has_value());
  EXPECT_TRUE(read_from(std::string(511, 'x') + "\n").has_value());
}

// A pseudo-terminal: the test types on `master`, read_password reads the slave side.
struct Terminal {
  Terminal() {
    int m = -1;
    int s = -1;
    if (::openpty(&m, &s, nullptr, nullptr, nullptr) != 0) throw std::runtime_error("openpty");
    master = core::UniqueFd(m);
    slave = File(::fdopen(s, "r"), &::fclose);
  }

  bool echoes() const {
    termios mode{};
    ::tcgetattr(::fileno(slave.get()), &mode);
    return (mode.c_lflag & static_cast<tcflag_t>(ECHO)) != 0;
  }
  // Types `keys` once echo is off, as a person would after the prompt.
  std::thread type_when_quiet(std::string keys) const {
    return std::thread([this, keys = std::move(keys)] {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (echoes() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      (void)::write(master.get(), keys.data(), keys.size());
    });
  }
  // Everything the terminal displayed so far.
  std::string screen() const {
    std::string out;
    std::array<char, 256> buffer{};
    pollfd ready{.fd = master.get(), .events = POLLIN, .revents = 0};
    while (::poll(&ready, 1, 0) == 1) {
      auto n = ::read(master.get(), buffer.data(), buffer.size());
      if (n <= 0) break;
      out.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return out;
  }

  core::UniqueFd master;
  File slave{nullptr, &::fclose};
};

TEST(ReadPassword, AsksTwiceOnATerminalWithoutEchoAndRestoresEcho) {
  Terminal terminal;
  ASSERT_TRUE(terminal.echoes());
  auto typist = terminal.type_when_quiet("tty secret\ntty secret\n");
  auto hash = read_password(terminal.slave.get(), true);
  typist.join();
  ASSERT_TRUE(hash.has_value());
  EXPECT_TRUE(verify_password("tty secret", *hash));
  EXPECT_TRUE(terminal.echoes());
  EXPECT_EQ(terminal.screen().find("secret"), std::string::npos);
}

TEST(ReadPassword, RefusesTwoDifferentEntriesOnATerminal) {
  Terminal terminal;
  auto typist = terminal.type_when_quiet("first try\nsecond try\n");
  EXPECT_FALSE(read_password(terminal.slave.get(), true).has_value());
  typist.join();
  EXPECT_TRUE(terminal.echoes());
}

}  // namespace
}  // namespace rustsocks::auth

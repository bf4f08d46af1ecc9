// Specification of read_password (`rustsocks hash-password`): one line from a pipe or file; on a
// terminal, echo off and the password asked twice.
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include "auth/password_hash.hpp"
#include "core/unique_fd.hpp"

namespace rustsocks::auth {
namespace {

// A FILE* over fixed bytes, closed on destruction.
struct Input {
  explicit Input(std::string_view bytes) : text(bytes) {
    file = ::fmemopen(text.data(), text.size(), "r");
  }
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  ~Input() {
    if (file != nullptr) std::fclose(file);
  }
  std::string text;
  std::FILE* file = nullptr;
};

std::optional<std::string> read_from(std::string_view bytes) {
  Input in(bytes);
  return read_password(in.file, false);
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
    slave_file = ::fdopen(s, "r");
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;
  ~Terminal() { std::fclose(slave_file); }

  bool echoes() const {
    termios mode{};
    ::tcgetattr(::fileno(slave_file), &mode);
    return (mode.c_lflag & static_cast<tcflag_t>(ECHO)) != 0;
  }
  // Types `keys` once echo is off, as a person would after the prompt.
  std::thread type_when_quiet(std::string keys) {
    return std::thread([this, keys = std::move(keys)] {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (echoes() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      (void)::write(master.get(), keys.data(), keys.size());
    });
  }
  // Everything the terminal displayed so far.
  std::string screen() const {
    ::fcntl(master.get(), F_SETFL, O_NONBLOCK);
    std::string out;
    char buffer[256];  // NOLINT(cppcoreguidelines-avoid-c-arrays)
    for (ssize_t n; (n = ::read(master.get(), buffer, sizeof buffer)) > 0;)
      out.append(buffer, static_cast<std::size_t>(n));
    return out;
  }

  core::UniqueFd master;
  std::FILE* slave_file = nullptr;
};

TEST(ReadPassword, AsksTwiceOnATerminalWithoutEchoAndRestoresEcho) {
  Terminal terminal;
  ASSERT_TRUE(terminal.echoes());
  auto typist = terminal.type_when_quiet("tty secret\ntty secret\n");
  auto hash = read_password(terminal.slave_file, true);
  typist.join();
  ASSERT_TRUE(hash.has_value());
  EXPECT_TRUE(verify_password("tty secret", *hash));
  EXPECT_TRUE(terminal.echoes());
  EXPECT_EQ(terminal.screen().find("secret"), std::string::npos);
}

TEST(ReadPassword, RefusesTwoDifferentEntriesOnATerminal) {
  Terminal terminal;
  auto typist = terminal.type_when_quiet("first try\nsecond try\n");
  EXPECT_FALSE(read_password(terminal.slave_file, true).has_value());
  typist.join();
  EXPECT_TRUE(terminal.echoes());
}

}  // namespace
}  // namespace rustsocks::auth

// Reloads swap whole snapshots: a broken file keeps the rules in force, and readers running
// during swaps always see one complete rule set (run under TSan by `make test-tsan`).
#include "acl/acl_store.hpp"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "acl/acl_metrics.hpp"

namespace rustsocks::acl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TempFile {
 public:
  TempFile() {
    auto dir = std::filesystem::temp_directory_path() /
               ("acl_store_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    dir_ = dir;
    path_ = (dir / "acl.toml").string();
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  void write(const std::string& text) const { std::ofstream(path_, std::ios::trunc) << text; }
  const std::string& path() const { return path_; }

 private:
  static inline int counter = 0;
  std::filesystem::path dir_;
  std::string path_;
};

std::string allow_all(const std::string& description) {
  return "[[users]]\nusername = \"u\"\n[[users.rules]]\naction = \"allow\"\ndescription = \"" +
         description + "\"\ndestinations = [\"*\"]\nports = [\"*\"]\n";
}

std::string decide(const AclStore& store) {
  Query q;
  q.user = "u";
  q.target.name = "example.com";
  q.port = 80;
  const auto rules = store.current();
  const Decision d = rules->evaluate(q);
  return d.rule != nullptr ? d.rule->description : std::string(verdict_name(d.verdict));
}

TEST(AclStore, LoadsAtStartAndFailsLoudlyOnABrokenFile) {
  TempFile file;
  file.write(allow_all("first"));
  AclStore store(file.path(), {});
  store.load_initial();
  EXPECT_EQ(decide(store), "first");
  file.write("[[users]]\nusername = 3\n");
  AclStore broken(file.path(), {});
  try {
    broken.load_initial();
    FAIL() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("acl.toml:2:12: 'username' in [[users]] is required"));
  }
}

TEST(AclStore, ReloadSwapsAndABrokenFileKeepsTheCurrentRules) {
  TempFile file;
  file.write(allow_all("first"));
  AclStore store(file.path(), {});
  store.load_initial();
  int notified = 0;
  store.on_replace([&notified](const std::shared_ptr<const RuleSet>&) { ++notified; });
  const auto failures = acl_metrics().reload_failure.value();
  const auto successes = acl_metrics().reload_success.value();

  file.write(allow_all("second"));
  auto ok = store.reload("test");
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.rules, 1U);
  EXPECT_EQ(decide(store), "second");
  EXPECT_EQ(notified, 1);

  file.write(allow_all("third") + "ports = [\"x\"]\n");
  auto bad = store.reload("test");
  EXPECT_FALSE(bad.ok);
  EXPECT_THAT(bad.errors, ElementsAre(HasSubstr("acl.toml:")));
  EXPECT_EQ(decide(store), "second");
  EXPECT_EQ(notified, 1);
  EXPECT_EQ(acl_metrics().reload_failure.value(), failures + 1);
  EXPECT_EQ(acl_metrics().reload_success.value(), successes + 1);
}

TEST(AclStore, OnlyIfChangedSkipsTheSameBytes) {
  TempFile file;
  file.write(allow_all("first"));
  AclStore store(file.path(), {});
  store.load_initial();
  EXPECT_TRUE(store.reload("watch", true).unchanged);
  file.write(allow_all("second"));
  EXPECT_FALSE(store.reload("watch", true).unchanged);
  EXPECT_EQ(decide(store), "second");
  EXPECT_FALSE(store.reload("sighup", false).unchanged);
}

TEST(AclStore, AMissingFileIsAFailedReload) {
  TempFile file;
  file.write(allow_all("first"));
  AclStore store(file.path(), {});
  store.load_initial();
  std::filesystem::remove(file.path());
  auto result = store.reload("test");
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.errors, ElementsAre(HasSubstr("cannot open the ACL file")));
  EXPECT_EQ(decide(store), "first");
}

// Each generation's rules all carry the same description, so a reader that saw a mix of two
// generations would report two descriptions for one snapshot.
TEST(AclStore, ReadersSeeWholeSnapshotsDuringSwaps) {
  auto generation = [](int n) {
    std::string text = "[[users]]\nusername = \"u\"\n";
    for (int port = 0; port < 20; ++port) {
      text += "[[users.rules]]\naction = \"allow\"\ndescription = \"gen" + std::to_string(n) +
              "\"\ndestinations = [\"*\"]\nports = [\"" + std::to_string(port) + "\"]\n";
    }
    auto loaded = load_acl(text, "gen.toml");
    return std::make_shared<const RuleSet>(std::move(*loaded.file), Guard{});
  };
  AclStore store("unused", {});
  store.replace(generation(0));
  std::atomic<bool> stop{false};
  std::atomic<int> mixed{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto rules = store.current();
        Query q;
        q.user = "u";
        q.target.name = "x.org";
        std::string first;
        for (std::uint16_t port = 0; port < 20; ++port) {
          q.port = port;
          const auto d = rules->evaluate(q);
          if (first.empty()) first = d.rule->description;
          if (d.rule->description != first) mixed.fetch_add(1);
        }
      }
    });
  }
  for (int n = 1; n <= 200; ++n)
    store.replace(generation(n));
  stop.store(true);
  for (auto& reader : readers)
    reader.join();
  EXPECT_EQ(mixed.load(), 0);
  Query q;
  q.user = "u";
  q.target.name = "x.org";
  EXPECT_EQ(store.current()->evaluate(q).rule->description, "gen200");
}

}  // namespace
}  // namespace rustsocks::acl

// ACL benchmarks (bench preset): a decision with 10,000 rules (target p99 <= 2 us, measured per
// call and reported as the p50_ns / p99_ns counters) and a reload of 10,000 rules, parse and
// compile (target < 100 ms).
#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "acl/acl_store.hpp"

namespace rustsocks::acl {
namespace {

constexpr int kRules = 10'000;

// 10,000 rules: 100 users with 40 rules each and 60 groups with 100 each; destinations mix
// networks, exact domains, wildcards and "*"; ports, protocols and priorities vary.
std::string ten_thousand_rules(int users_share_one_principal) {
  std::mt19937 random(7);
  auto pick = [&random](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
  std::string text = "[global]\ndefault_policy = \"block\"\n";
  int made = 0;
  auto rules = [&](const char* table, int count) {
    for (int i = 0; i < count; ++i, ++made) {
      std::string destination;
      switch (made % 5) {
        case 0:
          destination =
              "10." + std::to_string(made % 256) + "." + std::to_string(pick(256)) + ".0/24";
          break;
        case 1:
          destination = "host" + std::to_string(made) + ".corp.example";
          break;
        case 2:
          destination = "*.svc" + std::to_string(made) + ".example.com";
          break;
        case 3:
          destination = "2001:db8:" + std::to_string(made % 9999) + "::/48";
          break;
        default:
          destination = "192.168." + std::to_string(made % 256) + "." + std::to_string(pick(256));
      }
      text += std::string("[[") + table + "]]\naction = \"" + (pick(3) == 0 ? "block" : "allow") +
              "\"\ndescription = \"rule " + std::to_string(made) + "\"\ndestinations = [\"" +
              destination + "\"]\nports = [\"" + std::to_string(1 + pick(1000)) + "-" +
              std::to_string(1000 + pick(64000)) +
              "\"]\nprotocols = [\"tcp\"]\npriority = " + std::to_string(pick(1000)) + "\n";
    }
  };
  if (users_share_one_principal != 0) {
    text += "[[users]]\nusername = \"user0\"\n";
    rules("users.rules", kRules);
    return text;
  }
  for (int g = 0; g < 60; ++g) {
    text += "[[groups]]\nname = \"group" + std::to_string(g) + "\"\n";
    rules("groups.rules", 100);
  }
  for (int u = 0; u < 100; ++u) {
    text += "[[users]]\nusername = \"user" + std::to_string(u) + "\"\ngroups = [\"group" +
            std::to_string(u % 60) + "\", \"group" + std::to_string((u * 7) % 60) + "\"]\n";
    rules("users.rules", 40);
  }
  return text;
}

struct Ask {
  std::string user;
  std::vector<std::string> groups;
  Target target;
  std::uint16_t port;
};

std::vector<Ask> queries(int single) {
  std::mt19937 random(11);
  auto pick = [&random](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
  std::vector<Ask> out;
  for (int i = 0; i < 4096; ++i) {
    Ask ask;
    ask.user = "user" + std::to_string(single != 0 ? 0 : pick(100));
    ask.groups = {"group" + std::to_string(pick(60)), "wheel", "staff"};
    const int made = pick(kRules);
    switch (i % 4) {
      case 0:
        ask.target.ip = parse_ip("10." + std::to_string(made % 256) + "." +
                                 std::to_string(pick(256)) + "." + std::to_string(pick(256)));
        break;
      case 1:
        ask.target.name = "host" + std::to_string(made) + ".corp.example";
        ask.target.ip = parse_ip("192.168." + std::to_string(pick(256)) + ".1");
        break;
      case 2:
        ask.target.name = "a.b.svc" + std::to_string(made) + ".example.com";
        break;
      default:
        ask.target.ip = parse_ip("2001:db8:" + std::to_string(made % 9999) + "::1");
    }
    ask.port = static_cast<std::uint16_t>(1 + pick(65000));
    out.push_back(std::move(ask));
  }
  return out;
}

void decide(benchmark::State& state) {
  const int single = static_cast<int>(state.range(0));
  auto compiled = compile_acl(ten_thousand_rules(single), "bench.toml", Guard{});
  if (!compiled.rules || compiled.rules->rule_count() != kRules) {
    state.SkipWithError("the rule set did not compile");
    return;
  }
  const auto asks = queries(single);
  std::vector<double> nanos;
  nanos.reserve(1 << 20);
  std::size_t i = 0;
  for (auto _ : state) {
    const Ask& ask = asks[i++ % asks.size()];
    Query query;
    query.user = ask.user;
    query.groups = ask.groups;
    query.target = ask.target;
    query.port = ask.port;
    const auto start = std::chrono::steady_clock::now();
    auto decision = compiled.rules->evaluate(query);
    const auto end = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(decision);
    if (nanos.size() < nanos.capacity()) {
      nanos.push_back(std::chrono::duration<double, std::nano>(end - start).count());
    }
  }
  std::sort(nanos.begin(), nanos.end());
  if (!nanos.empty()) {
    state.counters["p50_ns"] = nanos[nanos.size() / 2];
    state.counters["p99_ns"] = nanos[nanos.size() * 99 / 100];
    state.counters["max_ns"] = nanos.back();
  }
}
// 0: 100 users and 60 groups; 1: one user holding all 10,000 rules.
BENCHMARK(decide)->Arg(0)->Arg(1);

void reload(benchmark::State& state) {
  const std::string text = ten_thousand_rules(0);
  for (auto _ : state) {
    auto compiled = compile_acl(text, "bench.toml", Guard{});
    benchmark::DoNotOptimize(compiled);
  }
  state.counters["rules"] = kRules;
}
BENCHMARK(reload)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rustsocks::acl

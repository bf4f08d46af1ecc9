// socksbench table: renders the RESULT lines collected by compare.sh as one table.

#include "common.hpp"

namespace socksbench {

// table: renders the RESULT lines collected by compare.sh ("col=NAME scenario=... k=v ...").
using Fields = std::map<std::string, std::string>;

int cmd_table(const Args& a) {
  if (a.pos.empty()) die("table: FILE required");
  std::ifstream f(a.pos[0]);
  if (!f) die("cannot read " + a.pos[0]);
  std::vector<std::string> cols;
  {
    std::istringstream in(a.str("cols", "direct,rustsocks,dante,microsocks"));
    std::string tok;
    while (std::getline(in, tok, ','))
      cols.push_back(tok);
  }
  std::map<std::string, std::map<std::string, std::vector<Fields>>>
      rounds;                                                 // col -> scenario -> rounds
  std::map<std::string, std::map<std::string, Fields>> data;  // col -> scenario -> median round
  std::map<std::string, std::set<std::string>> notes;  // col -> remarks (e.g. needed SIGKILL)
  std::map<std::string, std::string> status;           // col -> note (missing/failed)
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string tok;
    Fields fl;
    while (in >> tok) {
      auto eq = tok.find('=');
      if (eq != std::string::npos) fl[tok.substr(0, eq)] = tok.substr(eq + 1);
    }
    if (!fl.count("col")) continue;
    if (fl.count("note")) {
      notes[fl["col"]].insert(fl["note"]);
    } else if (fl.count("status")) {
      std::string note = fl["status"];
      if (fl.count("reason")) note += ": " + fl["reason"];
      status[fl["col"]] = note;
    } else if (fl.count("scenario")) {
      rounds[fl["col"]][fl["scenario"]].push_back(fl);
    }
  }
  // Several rounds of one scenario: keep the median round by the scenario's main figure. A failed
  // round marks the cell as failed (ok=0) and keeps its error.
  auto main_key = [](const std::string& sc) -> std::string {
    if (sc.rfind("bulk_", 0) == 0) return "gbps";
    if (sc == "connrate") return "conn_per_s";
    if (sc == "rtt") return "p50_us";
    return {};
  };
  for (auto& [col, scs] : rounds) {
    for (auto& [sc, list] : scs) {
      std::string key = main_key(sc);
      std::vector<Fields> good;
      const Fields* bad = nullptr;
      for (auto& fl : list) {
        auto it = fl.find(key);
        bool ok = (!fl.count("ok") || fl.at("ok") != "0") &&
                  (key.empty() || (it != fl.end() && it->second != "nan"));
        if (ok)
          good.push_back(fl);
        else
          bad = &fl;
      }
      if (good.empty()) {
        data[col][sc] = list.back();
        continue;
      }
      if (!key.empty()) {
        std::sort(good.begin(), good.end(), [&](const Fields& x, const Fields& y) {
          return std::strtod(x.at(key).c_str(), nullptr) < std::strtod(y.at(key).c_str(), nullptr);
        });
      }
      Fields chosen = key.empty() ? good.back() : good[(good.size() - 1) / 2];
      chosen["rounds"] = std::to_string(list.size());
      if (bad) {
        chosen["ok"] = "0";
        chosen["error"] = std::to_string(list.size() - good.size()) + "_of_" +
                          std::to_string(list.size()) + "_rounds_failed:_" +
                          (bad->count("error")         ? bad->at("error")
                           : bad->count("first_error") ? bad->at("first_error")
                                                       : "");
      }
      data[col][sc] = chosen;
    }
  }
  auto get = [&](const std::string& col, const std::string& sc,
                 const std::string& key) -> std::optional<double> {
    auto ci = data.find(col);
    if (ci == data.end()) return std::nullopt;
    auto si = ci->second.find(sc);
    if (si == ci->second.end()) return std::nullopt;
    auto ki = si->second.find(key);
    if (ki == si->second.end() || ki->second == "nan") return std::nullopt;
    return std::strtod(ki->second.c_str(), nullptr);
  };
  auto field = [&](const std::string& col, const std::string& sc,
                   const std::string& key) -> std::string {
    auto ci = data.find(col);
    if (ci == data.end()) return {};
    auto si = ci->second.find(sc);
    if (si == ci->second.end()) return {};
    auto ki = si->second.find(key);
    return ki == si->second.end() ? std::string{} : ki->second;
  };
  auto fmt = [](double v, int dec) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", dec, v);
    return std::string(b);
  };
  auto absent = [&](const std::string& col, const std::string& sc) -> std::string {
    if (status.count(col)) return "n/a";
    return field(col, sc, "ok") == "0" ? "FAIL" : "-";
  };

  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"scenario (ratio = value / direct)"};
  for (auto& col : cols)
    header.push_back(col);
  rows.push_back(header);

  auto value_row = [&](const std::string& label, const std::string& sc, const std::string& key,
                       int dec, bool ratio) {
    std::vector<std::string> row{label};
    auto base = get("direct", sc, key);
    for (auto& col : cols) {
      auto v = get(col, sc, key);
      if (!v) {
        row.push_back(absent(col, sc));
        continue;
      }
      std::string cell = fmt(*v, dec);
      if (field(col, sc, "ok") == "0") cell += " FAIL";
      if (ratio && col != "direct" && base && *base > 0) cell += " (" + fmt(*v / *base, 2) + "x)";
      row.push_back(cell);
    }
    rows.push_back(row);
  };
  auto cpu_row = [&](const std::string& sc) {
    std::vector<std::string> row{"  cpu% proxy/tool/target/other"};
    for (auto& col : cols) {
      auto p = get(col, sc, "cpu_proxy"), t = get(col, sc, "cpu_tool"),
           g = get(col, sc, "cpu_target");
      auto o = get(col, sc, "cpu_other");
      if (!t) {
        row.push_back(status.count(col) ? "" : "-");
        continue;
      }
      row.push_back((p ? fmt(*p, 0) : std::string("-")) + "/" + fmt(*t, 0) + "/" +
                    (g ? fmt(*g, 0) : std::string("-")) + "/" +
                    (o ? fmt(*o, 0) : std::string("-")));
    }
    rows.push_back(row);
  };
  auto pair_row = [&](const std::string& label, const std::string& sc, const std::string& k1,
                      const std::string& k2, int dec) {
    std::vector<std::string> row{label};
    for (auto& col : cols) {
      auto v1 = get(col, sc, k1), v2 = get(col, sc, k2);
      row.push_back(v1 && v2 ? fmt(*v1, dec) + " / " + fmt(*v2, dec)
                             : (status.count(col) ? "" : "-"));
    }
    rows.push_back(row);
  };

  for (const char* dir : {"up", "down"}) {
    for (int n : {1, 8}) {
      std::string sc = std::string("bulk_") + dir + "_" + std::to_string(n);
      std::string label = std::string("bulk ") +
                          (std::string(dir) == "up" ? "upload" : "download") + ", " +
                          std::to_string(n) + (n == 1 ? " stream" : " streams") + " (Gbit/s)";
      value_row(label, sc, "gbps", 2, true);
      cpu_row(sc);
    }
  }
  value_row("conn rate, 50 workers (conn/s)", "connrate", "conn_per_s", 0, true);
  pair_row("  latency p50 / p99 (ms)", "connrate", "p50_ms", "p99_ms", 2);
  pair_row("  errors / timeouts", "connrate", "errors", "timeouts", 0);
  cpu_row("connrate");
  value_row("ping-pong RTT p50 (us)", "rtt", "p50_us", 1, true);
  value_row("ping-pong RTT p99 (us)", "rtt", "p99_us", 1, true);
  cpu_row("rtt");
  // Idle tunnels: the scenarios present in the file, smallest first.
  std::set<long> idle_counts;
  for (auto& [col, scs] : data)
    for (auto& [sc, fl] : scs)
      if (sc.rfind("idle_", 0) == 0) idle_counts.insert(std::strtol(sc.c_str() + 5, nullptr, 10));
  for (long n : idle_counts) {
    std::string sc = "idle_" + std::to_string(n);
    value_row("memory per idle tunnel @" + std::to_string(n) + " (KiB)", sc, "kib_per_tunnel", 2,
              false);
  }
  if (!idle_counts.empty()) {
    long n = *idle_counts.rbegin();
    std::string sc = "idle_" + std::to_string(n);
    std::vector<std::string> row{"  " + std::to_string(n) + " idle tunnels held"};
    for (auto& col : cols) {
      auto held = get(col, sc, "held");
      auto verified = get(col, sc, "verified");
      if (!held) {
        row.push_back(absent(col, sc));
        continue;
      }
      std::string cell = fmt(verified ? *verified : *held, 0) + "/" + std::to_string(n);
      cell += field(col, sc, "ok") == "1" ? " ok" : " FAIL";
      row.push_back(cell);
    }
    rows.push_back(row);
  }
  // Column widths and output.
  std::vector<std::size_t> width(header.size(), 0);
  for (auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string out;
    for (std::size_t i = 0; i < rows[r].size(); ++i) {
      std::string cell = rows[r][i];
      cell.resize(width[i], ' ');
      out += (i == 0 ? "" : " | ") + cell;
    }
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    std::printf("%s\n", out.c_str());
    if (r == 0) {
      std::string sep;
      for (std::size_t i = 0; i < width.size(); ++i)
        sep += (i == 0 ? "" : "-|-") + std::string(width[i], '-');
      std::printf("%s\n", sep.c_str());
    }
  }
  // Targets (docs/performance.md), judged for one column against direct of the same run.
  if (std::string j = a.str("judge", "");
      !j.empty() && std::find(cols.begin(), cols.end(), j) != cols.end()) {
    std::printf("\ntargets for %s:\n", j.c_str());
    auto verdict = [&](const std::string& what, std::optional<bool> met,
                       const std::string& detail) {
      std::printf("  %-8s %-52s %s\n", !met ? "n/a" : (*met ? "MET" : "NOT MET"), what.c_str(),
                  detail.c_str());
    };
    auto ratio = [&](const std::string& sc, const std::string& key) -> std::optional<double> {
      auto v = get(j, sc, key), b = get("direct", sc, key);
      if (!v || !b || *b <= 0) return std::nullopt;
      return *v / *b;
    };
    for (const char* sc : {"bulk_up_1", "bulk_up_8", "bulk_down_1", "bulk_down_8"}) {
      auto r = ratio(sc, "gbps");
      verdict(std::string(sc) + " >= 0.75x direct",
              r ? std::optional<bool>(*r >= 0.75) : std::nullopt,
              r ? fmt(*r, 3) + "x" : "not measured");
    }
    auto cr = ratio("connrate", "conn_per_s");
    auto p99 = get(j, "connrate", "p99_ms"), mp99 = get("microsocks", "connrate", "p99_ms");
    verdict("conn rate >= 0.5x direct", cr ? std::optional<bool>(*cr >= 0.5) : std::nullopt,
            cr ? fmt(*cr, 3) + "x" : "not measured");
    verdict("conn rate p99 below microsocks'",
            p99 && mp99 ? std::optional<bool>(*p99 < *mp99) : std::nullopt,
            p99 && mp99 ? fmt(*p99, 2) + " ms vs " + fmt(*mp99, 2) + " ms" : "not measured");
    auto rr = ratio("rtt", "p50_us");
    verdict("RTT p50 <= 1.8x direct", rr ? std::optional<bool>(*rr <= 1.8) : std::nullopt,
            rr ? fmt(*rr, 3) + "x" : "not measured");
    for (long n : idle_counts) {
      auto m = get(j, "idle_" + std::to_string(n), "kib_per_tunnel");
      verdict("<= 8 KiB per idle tunnel @" + std::to_string(n),
              m ? std::optional<bool>(*m <= 8.0) : std::nullopt,
              m ? fmt(*m, 2) + " KiB" : "not measured");
    }
    if (!idle_counts.empty()) {
      std::string sc = "idle_" + std::to_string(*idle_counts.rbegin());
      std::string okf = field(j, sc, "ok");
      verdict(std::to_string(*idle_counts.rbegin()) + " idle tunnels without error",
              okf.empty() ? std::nullopt : std::optional<bool>(okf == "1"),
              okf.empty() ? "not measured"
                          : field(j, sc, "verified") + " verified, " + field(j, sc, "failures") +
                                " failures, " + field(j, sc, "dropped") + " dropped");
    }
  }
  std::printf("\n");
  for (auto& col : cols) {
    if (status.count(col)) std::printf("%s: %s\n", col.c_str(), status[col].c_str());
    for (auto& n : notes[col])
      std::printf("%s: %s\n", col.c_str(), n.c_str());
    for (auto& [sc, fl] : data[col]) {
      auto it = fl.find("ok");
      if (it != fl.end() && it->second == "0") {
        std::string e =
            fl.count("error") ? fl["error"] : (fl.count("first_error") ? fl["first_error"] : "");
        std::printf("%s %s FAILED: %s\n", col.c_str(), sc.c_str(), e.c_str());
      }
    }
  }
  return 0;
}

}  // namespace socksbench

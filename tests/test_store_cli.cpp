// The results store through the real CLI: a run killed with SIGKILL resumes and ends as a clean
// run would; an unchanged re-run reuses every verdict and a changed fingerprint re-tests only
// its gremlin; shards 1/3, 2/3, 3/3 merged equal the whole run.

#include <catch2/catch.hpp>

#include <csignal>

#include "cli_helpers.hpp"
#include "warm_support.hpp"

namespace t = gremlins::testing;
namespace w = warm_support;
using namespace std::chrono_literals;

namespace {

// Zapped for ids starting with z, survived otherwise; each run takes `ms`.
std::vector<std::string> cold(int ms) {
  return {"--", "sh", "-c",
          "sleep " + std::to_string(ms / 1000.0) + "; case \"$ACTIVE_GREMLIN\" in z*) exit 1;; esac; exit 0"};
}

std::string manifest(const w::scratch_dir& dir, int n, const std::string& changed = "") {
  std::string text = "{\"version\": 1, \"gremlins\": [";
  for (int i = 0; i < n; ++i) {
    auto id = std::string(i % 2 ? "s" : "z") + std::to_string(100 + i);
    text += std::string(i ? "," : "") + "{\"id\": \"" + id + "\", \"fingerprint\": \"fp-" + id +
            (id == changed ? "-v2" : "") + "\"}";
  }
  auto path = dir / "manifest.json";
  std::ofstream(path) << text << "]}";
  return path;
}

std::map<std::string, std::string> statuses(const w::results_file& r) {
  std::map<std::string, std::string> out;
  for (const auto& [id, j] : r.by_id) out[id] = j.value("status", std::string());
  return out;
}

int reused_count(const w::results_file& r) {
  int n = 0;
  for (const auto& [id, j] : r.by_id) n += j.value("reused", false) ? 1 : 0;
  return n;
}

std::vector<std::string> args(std::vector<std::string> a, const std::vector<std::string>& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

}  // namespace

TEST_CASE("store: a run killed by SIGKILL resumes and ends as a clean run does", "[store-cli]") {
  w::scratch_dir dir;
  auto m = manifest(dir, 16);
  auto store = dir / "results.db";
  {
    t::cli_process killed(args({"run", "--manifest", m, "--store", store, "--workers", "2", "-q"}, cold(300)));
    std::this_thread::sleep_for(1500ms);  // some verdicts are in, others are not
    killed.signal(SIGKILL);
    killed.wait(10s);
  }
  auto resumed_json = dir / "resumed.json";
  auto resumed = w::run_cli(args({"--manifest", m, "--store", store, "--workers", "2", "--json", resumed_json, "-q"},
                                 cold(300)));
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  auto clean_json = dir / "clean.json";
  w::run_cli(args({"--manifest", m, "--workers", "2", "--json", clean_json, "-q"}, cold(300)));
  w::results_file r(resumed_json), c(clean_json);
  CHECK(r.by_id.size() == 16);
  CHECK(statuses(r) == statuses(c));
  CHECK(reused_count(r) > 0);   // what the killed run finished was not run again
  CHECK(reused_count(r) < 16);  // and what it did not finish was
}

TEST_CASE("store: an unchanged re-run reuses every verdict, a changed fingerprint re-tests its gremlin",
          "[store-cli]") {
  w::scratch_dir dir;
  auto store = dir / "results.db";
  auto json = dir / "r.json";
  auto first = w::run_cli(args({"--manifest", manifest(dir, 10), "--store", store, "--json", json, "-q"}, cold(0)));
  REQUIRE(first.exit_code == 0);
  auto all = statuses(w::results_file(json));
  auto again = w::run_cli(args({"--manifest", manifest(dir, 10), "--store", store, "--json", json}, cold(0)));
  INFO(again.output);
  w::results_file unchanged(json);
  CHECK(reused_count(unchanged) == 10);
  CHECK(statuses(unchanged) == all);
  CHECK_THAT(again.output, Catch::Contains("10 verdicts reused"));
  auto changed = w::run_cli(args({"--manifest", manifest(dir, 10, "z104"), "--store", store, "--json", json, "-q"},
                                 cold(0)));
  w::results_file one(json);
  CHECK(reused_count(one) == 9);
  CHECK_FALSE(one.by_id.at("z104").value("reused", false));
  CHECK(statuses(one) == all);
  auto forced = w::run_cli(args({"--manifest", manifest(dir, 10), "--store", store, "--force", "--json", json, "-q"},
                                cold(0)));
  CHECK(reused_count(w::results_file(json)) == 0);
}

TEST_CASE("shards: 1/3, 2/3 and 3/3 merged equal the whole run", "[store-cli]") {
  w::scratch_dir dir;
  auto m = manifest(dir, 30);
  std::vector<std::string> merge_args = {"merge"};
  for (const char* k : {"1/3", "2/3", "3/3"}) {
    auto out = dir / (std::string("shard") + k[0] + ".json");
    auto r = w::run_cli(args({"--manifest", m, "--shard", k, "--json", out, "-q"}, cold(0)));
    REQUIRE(r.exit_code == 0);
    merge_args.push_back(out);
  }
  auto merged = dir / "merged.json";
  merge_args.insert(merge_args.end(), {"--json", merged, "-q"});
  auto mr = t::run_cli(merge_args);
  INFO(mr.err);
  REQUIRE(mr.exit_code == 0);
  auto whole = dir / "whole.json";
  w::run_cli(args({"--manifest", m, "--json", whole, "-q"}, cold(0)));
  CHECK(statuses(w::results_file(merged)) == statuses(w::results_file(whole)));
  CHECK(w::results_file(merged).by_id.size() == 30);
}

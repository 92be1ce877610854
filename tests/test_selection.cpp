// What a run tests: the results store's verdicts reused (same fingerprint, or --resume), only
// the lines a change touched (--in-diff, and --since on a real git history), only one shard.

#include <catch2/catch.hpp>

#include "cli_helpers.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

#include "cli/selection.hpp"
#include "runtime/formats/results_json.hpp"
#include "runtime/process/runner.hpp"

using namespace gremlins;
using namespace gremlins::cli;
namespace fs = std::filesystem;

namespace {

gremlin at(const std::string& id, const std::string& file, int line, const std::string& fp = "") {
  gremlin g;
  g.id = id;
  g.file = file;
  g.line = line;
  g.end_line = line;
  g.fingerprint = fp;
  return g;
}

std::set<std::string> ids(const std::vector<gremlin>& gs) {
  std::set<std::string> out;
  for (const auto& g : gs) out.insert(g.id);
  return out;
}

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

}  // namespace

TEST_CASE("selection: the store's verdicts are reused for unchanged fingerprints, new ones recorded",
          "[selection]") {
  gremlins::testing::scratch_dir dir;
  process_runner runner;
  selection_options o;
  o.store = (dir / "results.db");
  std::vector<gremlin> gs = {at("a", "m.py", 1, "fa"), at("b", "m.py", 2, "fb"), at("c", "m.py", 3)};
  {
    auto first = select_gremlins(gs, o, runner);
    CHECK(first.to_test.size() == 3);
    for (const auto& g : first.to_test) record_verdict(first, worker_result{g.id, status::zapped, "t", 1, ""});
    first.store->flush();
  }
  gs[1].fingerprint = "fb-changed";
  auto second = select_gremlins(gs, o, runner);
  CHECK(ids(second.to_test) == std::set<std::string>{"b", "c"});
  REQUIRE(second.reused.size() == 1);
  CHECK(second.reused[0].gremlin_id == "a");
  o.resume = true;  // c has no fingerprint: reused by id only when resuming
  auto resumed = select_gremlins(gs, o, runner);
  CHECK(ids(resumed.to_test) == std::set<std::string>{"b"});
  o.force = true;
  auto forced = select_gremlins(gs, o, runner);
  CHECK(forced.to_test.size() == 3);
  CHECK(forced.store->load().empty());
}

TEST_CASE("selection: --in-diff keeps the gremlins on changed lines", "[selection]") {
  gremlins::testing::scratch_dir dir;
  process_runner runner;
  auto diff = (dir / "change.diff");
  std::ofstream(diff) << "--- a/pkg/m.py\n+++ b/pkg/m.py\n@@ -5,1 +5,2 @@\n-x\n+y\n+z\n";
  selection_options o;
  o.in_diff = diff;
  auto s = select_gremlins({at("on5", "pkg/m.py", 5), at("on6", "pkg/m.py", 6), at("on7", "pkg/m.py", 7),
                            at("other", "pkg/n.py", 5)},
                           o, runner);
  CHECK(ids(s.to_test) == std::set<std::string>{"on5", "on6"});
  CHECK(s.left_out == 2);
}

TEST_CASE("selection: --since REV on a real git history", "[selection]") {
  gremlins::testing::scratch_dir dir;
  process_runner runner;
  auto repo = dir.path();
  REQUIRE(sh("cd " + repo + " && git init -q && git config user.email t@example.com && git config user.name t && "
             "printf 'a\\nb\\nc\\nd\\n' > m.py && git add m.py && git commit -qm one && "
             "printf 'a\\nB\\nc\\nd\\ne\\n' > m.py") == 0);
  selection_options o;
  o.since = "HEAD";
  o.rootdir = repo;
  auto s = select_gremlins({at("l1", "m.py", 1), at("l2", "m.py", 2), at("l4", "m.py", 4), at("l5", "m.py", 5)}, o,
                           runner);
  CHECK(ids(s.to_test) == std::set<std::string>{"l2", "l5"});
  o.since = "no-such-revision";
  CHECK_THROWS_WITH(select_gremlins({at("l1", "m.py", 1)}, o, runner), Catch::Contains("--since no-such-revision"));
}

TEST_CASE("selection: --shard K/N keeps one shard, a bad shard is refused", "[selection]") {
  process_runner runner;
  std::vector<gremlin> gs;
  for (int i = 0; i < 60; ++i) gs.push_back(at("g" + std::to_string(i), "m.py", i + 1));
  std::set<std::string> seen;
  for (const char* k : {"1/3", "2/3", "3/3"}) {
    selection_options o;
    o.shard = k;
    auto s = select_gremlins(gs, o, runner);
    for (const auto& g : s.to_test) CHECK(seen.insert(g.id).second);
    CHECK(s.shard == k);
  }
  CHECK(seen.size() == 60);
  selection_options bad;
  bad.shard = "4/3";
  CHECK_THROWS_WITH(select_gremlins(gs, bad, runner), Catch::Contains("--shard"));
}

namespace {

gremlin spanning(const std::string& id, const std::string& file, int line, int end_line, const std::string& fp = "") {
  gremlin g = at(id, file, line, fp);
  g.end_line = end_line;
  return g;
}

std::vector<gremlin> project_gremlins() {
  return {spanning("calc_arith_py_g001", "calc/arith.py", 5, 5, "f1"),
          spanning("calc_arith_py_g002", "calc/arith.py", 9, 11, "f2"),
          spanning("calc_arith_py_g003", "calc/arith.py", 12, 12, "f3"),
          spanning("calc_stats_py_g001", "calc/stats.py", 5, 5, "f4"),
          spanning("odd:7", "calc/stats.py", 7, 7, "f5")};
}

std::set<std::string> chosen_ids(const std::vector<gremlin>& all, std::vector<std::string> patterns,
                                 const std::string& project = "") {
  selection_options o;
  o.patterns = std::move(patterns);
  o.project = project;
  std::set<std::string> out;
  for (auto i : choose_gremlins(all, o)) out.insert(all[i].id);
  return out;
}

std::string refusal_of(const std::vector<gremlin>& all, std::vector<std::string> patterns,
                       std::vector<std::string> origins = {}) {
  selection_options o;
  o.patterns = std::move(patterns);
  o.pattern_origins = std::move(origins);
  o.manifest = ".gremlins/manifest.json";
  try {
    choose_gremlins(all, o);
  } catch (const selection_error& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("selection: --pytest choices are ids, globs over ids, FILE:LINE, FILE:START-END and FILE",
          "[selection]") {
  auto all = project_gremlins();
  CHECK(chosen_ids(all, {"calc_arith_py_g002"}) == std::set<std::string>{"calc_arith_py_g002"});
  CHECK(chosen_ids(all, {"calc_arith_*"}) ==
        std::set<std::string>{"calc_arith_py_g001", "calc_arith_py_g002", "calc_arith_py_g003"});
  CHECK(chosen_ids(all, {"calc_*_g00[1]"}) == std::set<std::string>{"calc_arith_py_g001", "calc_stats_py_g001"});
  CHECK(chosen_ids(all, {"calc_arith_py_g00?", "calc_stats_py_g001"}).size() == 4);
  // A line meets a gremlin spanning several lines; a range meets every gremlin in it.
  CHECK(chosen_ids(all, {"calc/arith.py:10"}) == std::set<std::string>{"calc_arith_py_g002"});
  CHECK(chosen_ids(all, {"calc/arith.py:11-12"}) == std::set<std::string>{"calc_arith_py_g002", "calc_arith_py_g003"});
  CHECK(chosen_ids(all, {"calc/stats.py"}) == std::set<std::string>{"calc_stats_py_g001", "odd:7"});
  CHECK(chosen_ids(all, {"./calc/../calc/stats.py:5"}) == std::set<std::string>{"calc_stats_py_g001"});
  // An id wins over a location spelled the same.
  CHECK(chosen_ids(all, {"odd:7"}) == std::set<std::string>{"odd:7"});
}

TEST_CASE("selection: a path that resolves to a manifest file chooses it (absolute, from elsewhere)",
          "[selection]") {
  gremlins::testing::scratch_dir dir;
  auto project = dir / "proj";
  fs::create_directories(fs::path(project) / "calc");
  std::ofstream(fs::path(project) / "calc" / "arith.py") << "x = 1\n";
  auto all = project_gremlins();
  CHECK(chosen_ids(all, {(fs::path(project) / "calc" / "arith.py:12").string()}, project) ==
        std::set<std::string>{"calc_arith_py_g003"});
  // Relative to the current folder: from the project's parent.
  auto cwd = fs::current_path();
  fs::current_path(dir.path());
  auto from_parent = chosen_ids(all, {"proj/calc/arith.py:5"}, project);
  fs::current_path(cwd);
  CHECK(from_parent == std::set<std::string>{"calc_arith_py_g001"});
}

TEST_CASE("selection: a choice that matches nothing is refused, naming it and where it came from",
          "[selection]") {
  auto all = project_gremlins();
  CHECK(refusal_of(all, {"calc_nothing_*"}) ==
        "--gremlins: 'calc_nothing_*' matches no gremlin id (5 gremlins in .gremlins/manifest.json)");
  CHECK(refusal_of(all, {"calc/arith.py:1"}) == "--gremlins: 'calc/arith.py:1' has no gremlin on line 1 of calc/arith.py");
  CHECK(refusal_of(all, {"calc/arith.py:13-20"}) ==
        "--gremlins: 'calc/arith.py:13-20' has no gremlin on lines 13-20 of calc/arith.py");
  CHECK(refusal_of(all, {"calc/arith.py:9-5"}) ==
        "--gremlins: 'calc/arith.py:9-5' is no range of lines: START-END needs 1 <= START <= END");
  CHECK(refusal_of(all, {"calc/nope.py:3"}) ==
        "--gremlins: 'calc/nope.py:3' is no gremlin id, and calc/nope.py is no file with gremlins "
        "(calc/arith.py, calc/stats.py)");
  CHECK_THAT(refusal_of(all, {"calc_arith_py_g001", "bogus"}, {"ids.txt:1", "ids.txt:4"}),
             Catch::StartsWith("ids.txt:4: 'bogus' matches no gremlin: it is no gremlin id in .gremlins/manifest.json"));
  selection_options o;
  CHECK_THROWS_WITH(read_patterns_list("a,,b", o), "--gremlins: entry 2 is empty");
  gremlins::testing::scratch_dir dir;
  auto empty = dir.write("ids.txt", "# nothing\n\n");
  CHECK_THROWS_WITH(read_patterns_file(empty, o), Catch::Contains("nothing to choose in the file"));
  auto some = dir.write("some.txt", "  calc_arith_*  \n# a comment\n\ncalc/stats.py:5\n");
  selection_options p;
  read_patterns_file(some, p);
  CHECK(p.patterns == std::vector<std::string>{"calc_arith_*", "calc/stats.py:5"});
  CHECK(p.pattern_origins == std::vector<std::string>{some + ":1", some + ":4"});
}

TEST_CASE("selection: chosen gremlins are tested again, the others keep their current verdicts",
          "[selection]") {
  gremlins::testing::scratch_dir dir;
  process_runner runner;
  selection_options o;
  o.store = (dir / "results.db");
  auto all = project_gremlins();
  {
    auto first = select_gremlins(all, o, runner);
    REQUIRE(first.to_test.size() == 5);
    for (const auto& g : first.to_test)
      if (g.id != "odd:7") record_verdict(first, worker_result{g.id, status::survived, "", 1, ""});
    first.store->flush();
  }
  all[3].fingerprint = "f4-changed";  // calc_stats_py_g001's stored verdict is no longer current
  o.patterns = {"calc_arith_py_g002"};
  for (bool force : {false, true}) {
    o.force = force;  // a choice never empties the store
    auto s = select_gremlins(all, o, runner);
    CHECK(s.subset);
    CHECK(s.given == 5);
    CHECK(ids(s.to_test) == std::set<std::string>{"calc_arith_py_g002"});  // stored, yet tested again
    std::set<std::string> reused;
    for (const auto& r : s.reused) reused.insert(r.gremlin_id);
    CHECK(reused == std::set<std::string>{"calc_arith_py_g001", "calc_arith_py_g003"});
    CHECK(s.without_verdict == 2);  // odd:7 never tested; calc_stats_py_g001 changed
    CHECK(s.store->load().size() == 4);
  }
}

TEST_CASE("selection: without a store, the last results file stands in for it", "[selection]") {
  gremlins::testing::scratch_dir dir;
  process_runner runner;
  auto all = project_gremlins();
  run_report last;
  for (const auto& g : all) {
    last.results.push_back(worker_result{g.id, status::zapped, "t", 1, ""});
    last.gremlins.emplace(g.id, g);
  }
  auto path = (dir / "results.json");
  write_results_json(last, path);
  selection_options o;
  o.patterns = {"calc/arith.py:5"};
  o.previous_results = path;
  auto s = select_gremlins(all, o, runner);
  CHECK(ids(s.to_test) == std::set<std::string>{"calc_arith_py_g001"});
  CHECK(s.reused.size() == 4);
  all[4].fingerprint = "other";
  CHECK(select_gremlins(all, o, runner).reused.size() == 3);
  std::ofstream(path) << "not json";
  auto broken = select_gremlins(all, o, runner);
  CHECK(broken.reused.empty());
  CHECK_THAT(broken.notes.front(), Catch::StartsWith("the last results cannot be kept: "));
}

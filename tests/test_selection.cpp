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

TEST_CASE("selection: the store's verdicts are reused for unchanged fingerprints; new ones recorded",
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

TEST_CASE("selection: --shard K/N keeps one shard; a bad shard is refused", "[selection]") {
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

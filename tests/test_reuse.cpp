// Which stored verdicts a run reuses, which gremlins a shard tests, and which lines a unified
// diff changed: the pure rules behind --resume, incremental runs, --shard and --since/--in-diff.

#include <catch2/catch.hpp>

#include <set>

#include "runtime/formats/unified_diff.hpp"
#include "runtime/rules/reuse.hpp"

using namespace gremlins;

namespace {

gremlin with(const std::string& id, const std::string& fingerprint = "") {
  gremlin g;
  g.id = id;
  g.fingerprint = fingerprint;
  return g;
}

stored_verdict verdict(status s, const std::string& fingerprint = "") {
  return stored_verdict{worker_result{"", s, "", 1, ""}, fingerprint};
}

std::set<std::string> ids(const std::vector<gremlin>& gs) {
  std::set<std::string> out;
  for (const auto& g : gs) out.insert(g.id);
  return out;
}

}  // namespace

TEST_CASE("reuse: a verdict is reused when the fingerprint is unchanged", "[reuse]") {
  std::map<std::string, stored_verdict> stored = {
    {"same", verdict(status::zapped, "f1")},    {"changed", verdict(status::survived, "old")},
    {"err", verdict(status::error, "f3")},      {"nofp", verdict(status::survived)},
    {"timeout", verdict(status::timeout, "f5")},
  };
  std::vector<gremlin> gs = {with("same", "f1"), with("changed", "new"), with("err", "f3"), with("nofp"),
                             with("timeout", "f5"), with("fresh", "f6")};
  SECTION("incremental") {
    auto plan = plan_reuse(gs, stored, false, false);
    CHECK(ids(plan.to_test) == std::set<std::string>{"changed", "err", "nofp", "fresh"});
    REQUIRE(plan.reused.size() == 2);
    CHECK(plan.reused[0].gremlin_id == "same");
    CHECK(plan.reused[0].verdict == status::zapped);
    CHECK(plan.reused[1].verdict == status::timeout);
  }
  SECTION("resume also reuses a verdict stored without a fingerprint") {
    auto plan = plan_reuse(gs, stored, true, false);
    CHECK(ids(plan.to_test) == std::set<std::string>{"changed", "err", "fresh"});
  }
  SECTION("force reuses nothing") {
    auto plan = plan_reuse(gs, stored, true, true);
    CHECK(plan.to_test.size() == gs.size());
    CHECK(plan.reused.empty());
  }
}

TEST_CASE("shards: every gremlin in exactly one shard, stable when others come and go", "[reuse]") {
  REQUIRE(parse_shard("2/3"));
  CHECK(parse_shard("2/3")->index == 2);
  CHECK_FALSE(parse_shard("0/3"));
  CHECK_FALSE(parse_shard("4/3"));
  CHECK_FALSE(parse_shard("1/3x"));
  CHECK_FALSE(parse_shard("a/b"));
  std::vector<int> sizes(3, 0);
  for (int i = 0; i < 3000; ++i) {
    auto id = "calc_py_g" + std::to_string(i);
    int in = 0;
    for (std::uint32_t k = 1; k <= 3; ++k)
      if (in_shard(id, shard_spec{k, 3})) {
        ++in;
        ++sizes[k - 1];
      }
    CHECK(in == 1);
  }
  for (int s : sizes) CHECK(s > 800);  // a fair split, by hash
  // By id, not by position: the shard of a gremlin does not depend on the others.
  CHECK(in_shard("calc_py_g7", shard_spec{1, 3}) == in_shard("calc_py_g7", shard_spec{1, 3}));
  std::vector<gremlin> a = {with("x", "1"), with("y", "2")}, b = {with("y", "2"), with("x", "1")};
  CHECK(selection_digest(a) == selection_digest(b));
  b[0].fingerprint = "3";
  CHECK(selection_digest(a) != selection_digest(b));
}

TEST_CASE("unified diff: added and changed lines of the new side", "[reuse]") {
  auto diff = "diff --git a/calc/arith.py b/calc/arith.py\n"
              "--- a/calc/arith.py\n"
              "+++ b/calc/arith.py\n"
              "@@ -10,3 +10,4 @@ def f():\n"
              " context\n"
              "-old\n"
              "+new one\n"
              "+new two\n"
              " context\n"
              "@@ -40,2 +41,0 @@\n"
              "-gone\n"
              "-gone too\n"
              "--- a/old.py\n"
              "+++ /dev/null\n"
              "@@ -1,2 +0,0 @@\n"
              "-x\n"
              "-y\n";
  auto changes = parse_unified_diff(diff, "change.diff");
  REQUIRE(changes.count("calc/arith.py") == 1);
  CHECK(changes.at("calc/arith.py") == std::vector<std::pair<int, int>>{{11, 12}});
  CHECK(changes.count("old.py") == 0);
  CHECK(touches(changes, "calc/arith.py", 12, 12));
  CHECK(touches(changes, "/abs/project/calc/arith.py", 10, 11));
  CHECK_FALSE(touches(changes, "calc/arith.py", 10, 10));
  CHECK_FALSE(touches(changes, "calc/arith.py", 41, 42));
  CHECK_FALSE(touches(changes, "other/arith.py", 11, 11));
  CHECK_THROWS_WITH(parse_unified_diff("+++ b/x\n@@ nonsense\n", "d.diff"), Catch::Contains("d.diff:2"));
}

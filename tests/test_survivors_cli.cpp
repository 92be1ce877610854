// The survivor commands through the real CLI on a generic manifest (any language: here a shell
// script's comparison): the run's console diff and its "Results:" lines, `list`, `show` and
// `apply` with --results FILE, and their refusals (exit 2, naming what is wrong).
// adapters/pytest/tests/test_survivors_cli.py does the same on a real pytest project.

#include <catch2/catch.hpp>

#include "cli_helpers.hpp"

#include <nlohmann/json.hpp>

using namespace gremlins::testing;

namespace {

const char* const script_text =
    "#!/bin/sh\n"
    "x=$1\n"
    "if [ \"$x\" -gt 10 ]; then\n"
    "  echo big\n"
    "fi\n";

// Two gremlins on line 3: `-gt` to `-ge` survives, `-gt` to `-lt` is zapped (the test command
// fails for it); `-lt` is columns 15-17 (1-based, end exclusive) of `if [ "$x" -gt 10 ]; then`.
std::string manifest_text() {
  return R"({"version": 1, "gremlins": [
    {"id": "sh_g1", "file": "bin/size.sh", "line": 3, "column": 11, "end_line": 3, "end_column": 14,
     "operator": "comparison", "description": "-gt to -ge", "original": "-gt", "replacement": "-ge", "tests": ["t"]},
    {"id": "sh_g2", "file": "bin/size.sh", "line": 3, "column": 11, "end_line": 3, "end_column": 14,
     "operator": "comparison", "description": "-gt to -lt", "original": "-gt", "replacement": "-lt", "tests": ["t"]},
    {"id": "sh_g3", "file": "bin/size.sh", "line": 3, "column": 15, "end_line": 3, "end_column": 17,
     "operator": "number", "description": "10 to 11", "original": "10", "replacement": "11", "tests": []}]})";
}

}  // namespace

TEST_CASE("survivor commands: a generic manifest run shows diffs, and list, show and apply read its results",
          "[cli][survivors]") {
  scratch_dir d;
  std::filesystem::create_directories(d / "bin");
  d.write("bin/size.sh", script_text);
  auto manifest = d.write("m.json", manifest_text());
  auto mark = unique_marker("survivors");
  auto run = run_cli(run_args({"--manifest", manifest, "--rootdir", d.path(), "--timeout", "10", "--json", d / "r.json"},
                              mark, "[ \"$ACTIVE_GREMLIN\" = sh_g2 ] && exit 1; exit 0"));
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("  bin/size.sh:3  -gt to -ge  (comparison)  [sh_g1]\n"
                                      "    -if [ \"$x\" -gt 10 ]; then\n"
                                      "    +if [ \"$x\" -ge 10 ]; then\n"));
  CHECK_THAT(run.out, Catch::Contains("[sh_g3]\n    -if [ \"$x\" -gt 10 ]; then\n    +if [ \"$x\" -gt 11 ]; then\n"));
  CHECK_THAT(run.out, Catch::Contains("\nResults:\n  results file   " + d / "r.json"));
  auto results = nlohmann::json::parse(read_text(d / "r.json"));
  CHECK(results["sources"]["bin/size.sh"]["sha256"].get<std::string>().size() == 64);

  // A run that keeps nothing says so.
  auto bare = run_cli(run_args({"--manifest", manifest, "--rootdir", d.path(), "--timeout", "10"}, mark, "exit 0"));
  CHECK_THAT(bare.out, Catch::Contains("Results: not kept"));

  auto list = run_cli({"list", "--manifest", manifest});
  REQUIRE(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::Contains("sh_g3  bin/size.sh:3  number          0  10 to 11\n"));
  CHECK_THAT(list.out, Catch::Contains("3 gremlins in 1 file: 2 covered by a test, 1 not covered by any test\n"));
  auto bad = run_cli({"list", "--manifest", d.write("bad.json", "{\"gremlins\": [{\"line\": 1}]}")});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("bad.json:1: gremlins[0]: the required field 'id' is missing"));

  auto show = run_cli({"show", "sh_g2", "--results", d / "r.json"});
  REQUIRE(show.exit_code == 0);
  CHECK_THAT(show.out, Catch::StartsWith("sh_g2  zapped\n  bin/size.sh:3:11  -gt to -lt  (comparison)\n"));
  CHECK_THAT(show.out, Catch::Contains("@@ -1,5 +1,5 @@\n #!/bin/sh\n x=$1\n-if [ \"$x\" -gt 10 ]; then\n"
                                       "+if [ \"$x\" -lt 10 ]; then\n   echo big\n fi\n"));
  auto unknown = run_cli({"show", "sh_g1", "sh_g9", "--results", d / "r.json"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.out.empty());
  CHECK_THAT(unknown.err, Catch::Contains("no gremlin 'sh_g9': not in " + d / "r.json"));

  auto apply = run_cli({"apply", "sh_g1", "--results", d / "r.json"});
  REQUIRE(apply.exit_code == 0);
  CHECK(read_text(d / "bin/size.sh") == "#!/bin/sh\nx=$1\nif [ \"$x\" -ge 10 ]; then\n  echo big\nfi\n");
  auto again = run_cli({"apply", "sh_g2", "--results", d / "r.json"});
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.err, Catch::Contains(d / "bin/size.sh changed since the run"));
  CHECK(read_text(d / "bin/size.sh") == "#!/bin/sh\nx=$1\nif [ \"$x\" -ge 10 ]; then\n  echo big\nfi\n");
}

TEST_CASE("survivor commands: counts are said in words that agree with them (1 gremlin, 1 error)", "[cli][survivors]") {
  scratch_dir d;
  auto mark = unique_marker("plural");
  auto worker = program("fault_worker") + " --marker " + mark;
  // Only a worker command and the cold executor: the one gremlin is an error, nothing is scored.
  auto r = run_cli({"run", "--gremlins", "a", "--executor", "subprocess", "--worker-command", worker, "--fail-under",
                    "50", "--json", d / "r.json"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("no gremlin got a verdict (1 gremlin, 1 error)"));
  CHECK_THAT(r.out, Catch::StartsWith("gremlin-actors: 1 gremlin in "));
  auto again = run_cli({"report", d / "r.json", "--fail-under", "50"});
  CHECK(again.exit_code == 3);
  CHECK_THAT(again.err, Catch::Contains("no gremlin got a verdict (1 gremlin, 1 error)"));
}

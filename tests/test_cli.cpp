// The real gremlin-actors binary on real test commands (sh -c scripts keyed on
// ACTIVE_GREMLIN): verdicts read back from --json, time limits, process groups, bad input,
// exit codes, parallelism, interruption and the environment of a test run. Every test tags
// its commands (CT_MARK in their environment, unique sleep lengths on their command lines)
// and checks /proc afterwards that none of them is left.
#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"

using namespace gremlins::testing;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

/// The --json results by gremlin id.
std::map<std::string, json> results_by_id(const json& doc) {
  std::map<std::string, json> out;
  for (const auto& r : doc.at("results")) out[r.at("gremlin_id").get<std::string>()] = r;
  return out;
}

json read_json(const std::string& path) {
  auto text = read_text(path);
  INFO("results file " << path << ":\n" << text);
  REQUIRE_FALSE(text.empty());
  return json::parse(text);
}

std::string status_of(const std::map<std::string, json>& rs, const std::string& id) {
  auto it = rs.find(id);
  return it == rs.end() ? "(missing)" : it->second.at("status").get<std::string>();
}

/// Fails the test (after cleaning up) when a process tagged `marker` survived.
void check_nothing_left(const std::string& marker) {
  auto left = left_behind(marker);
  kill_all(left);
  INFO("processes left behind with marker " << marker);
  CHECK(left.empty());
}

}  // namespace

TEST_CASE("cli: each way a test command ends is classified as docs/protocol.md says", "[cli]") {
  scratch_dir d;
  auto mark = unique_marker("verdicts");
  auto script =
    "case \"$ACTIVE_GREMLIN\" in\n"
    "  pass) exit 0;;\n"
    "  fail) echo 'FAILED tests/test_x.py::test_add - assert 1 == 2'; exit 1;;\n"
    "  e2) echo collection-broke; exit 2;;\n"
    "  e3) exit 3;; e4) exit 4;; e5) exit 5;;\n"
    "  e7) exit 7;;\n"
    "  segv) exec \"$SEGV\";;\n"
    "esac\n"
    "exit 0";
  auto r = run_cli(run_args({"--gremlins", "pass,fail,e2,e3,e4,e5,e7,segv", "--workers", "2",
                             "--timeout", "30", "--json", d / "r.json", "--env",
                             "SEGV=" + program("proc_segv")},
                            mark, script));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = read_json(d / "r.json");
  auto rs = results_by_id(doc);
  CHECK(rs.size() == 8);
  CHECK(status_of(rs, "pass") == "survived");
  CHECK(status_of(rs, "fail") == "zapped");
  CHECK(rs["fail"]["killing_test"] == "tests/test_x.py::test_add");
  for (auto id : {"e2", "e3", "e4", "e5"}) {
    INFO(id);
    CHECK(status_of(rs, id) == "error");
    CHECK_THAT(rs[id]["error_output"].get<std::string>(), Catch::Contains(std::string("exited with ") + id[1]));
  }
  CHECK_THAT(rs["e2"]["error_output"].get<std::string>(), Catch::Contains("collection-broke"));
  CHECK(status_of(rs, "e7") == "zapped");
  CHECK(status_of(rs, "segv") == "zapped");
  CHECK_THAT(rs["segv"]["error_output"].get<std::string>(), Catch::Contains("SIGSEGV"));
  auto& sum = doc.at("summary");
  CHECK(sum.at("total") == 8);
  CHECK(sum.at("zapped") == 3);
  CHECK(sum.at("survived") == 1);
  CHECK(sum.at("error") == 4);
  CHECK(sum.at("score").get<double>() == Approx(75.0));
  CHECK(doc.at("pool").at("workers") == 2);
  check_nothing_left(mark);
}

TEST_CASE("cli: --signal-is-error and --error-exit-codes change the classification", "[cli]") {
  scratch_dir d;
  auto mark = unique_marker("classopts");
  auto script = "case \"$ACTIVE_GREMLIN\" in segv) exec \"$SEGV\";; e2) exit 2;; e9) exit 9;; esac; exit 0";
  auto r = run_cli(run_args({"--gremlins", "segv,e2,e9", "--timeout", "30", "--signal-is-error",
                             "--error-exit-codes", "9", "--json", d / "r.json", "--env",
                             "SEGV=" + program("proc_segv")},
                            mark, script));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rs = results_by_id(read_json(d / "r.json"));
  CHECK(status_of(rs, "segv") == "error");
  CHECK(status_of(rs, "e2") == "zapped");
  CHECK(status_of(rs, "e9") == "error");
  check_nothing_left(mark);
}

TEST_CASE("cli: hangs hit the time limit, grandchildren holding the pipes do not stall the run",
          "[cli]") {
  scratch_dir d;
  auto mark = unique_marker("hang");
  // The sleep lengths are unique so that /proc can tell this test's processes apart.
  auto script =
    "case \"$ACTIVE_GREMLIN\" in\n"
    "  hang) sleep 301.101;;\n"
    "  grandhang) sleep 301.102 & sleep 301.103;;\n"
    "  grandexit) sleep 301.104 & exit 0;;\n"
    "  grandfail) sleep 301.105 & exit 1;;\n"
    "esac\n"
    "exit 0";
  auto r = run_cli(run_args({"--gremlins", "hang,grandhang,grandexit,grandfail", "--timeout", "0.5",
                             "--json", d / "r.json"},
                            mark, script),
                   120s);
  INFO(r.err);
  REQUIRE_FALSE(r.timed_out);
  REQUIRE(r.exit_code == 0);
  auto rs = results_by_id(read_json(d / "r.json"));
  CHECK(status_of(rs, "hang") == "timeout");
  CHECK(status_of(rs, "grandhang") == "timeout");
  CHECK(status_of(rs, "grandexit") == "survived");
  CHECK(status_of(rs, "grandfail") == "zapped");
  // The limit is honoured: not cut short, and the hang ended long before its sleep would.
  for (auto id : {"hang", "grandhang"}) {
    INFO(id);
    auto ms = rs[id]["execution_time_ms"].get<double>();
    CHECK(ms >= 450);
    CHECK(ms < 20000);
  }
  CHECK(rs["grandexit"]["execution_time_ms"].get<double>() < 20000);
  CHECK(r.wall_ms < 60000);
  check_nothing_left(mark);
  check_nothing_left("301.10");
}

TEST_CASE("cli: a 50 MB flood neither blocks nor bloats, the tail of the output is kept", "[cli]") {
  scratch_dir d;
  auto mark = unique_marker("flood");
  auto script =
    "case \"$ACTIVE_GREMLIN\" in\n"
    "  flood) yes 0123456789abcdef | head -c 50000000; echo; echo END-OF-FLOOD; exit 3;;\n"
    "  floodz) head -c 50000000 /dev/zero; exit 1;;\n"
    "esac\n"
    "exit 0";
  auto r = run_cli(run_args({"--gremlins", "flood,floodz", "--workers", "2", "--timeout", "60",
                             "--json", d / "r.json"},
                            mark, script),
                   180s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rs = results_by_id(read_json(d / "r.json"));
  CHECK(status_of(rs, "flood") == "error");
  CHECK(status_of(rs, "floodz") == "zapped");
  auto tail = rs["flood"]["error_output"].get<std::string>();
  CHECK_THAT(tail, Catch::Contains("END-OF-FLOOD"));
  CHECK(tail.size() < 256 * 1024);
  // Keeping the 50 MB would take more than 50 MB of memory.
  CHECK(r.maxrss_kb < 45 * 1024);
  check_nothing_left(mark);
}

TEST_CASE("cli: bad input exits 2 before anything runs", "[cli]") {
  scratch_dir d;
  auto ran = d / "ran";
  auto mark = unique_marker("badinput");
  // The command creates `ran` whenever it runs, baseline or gremlin.
  auto touch = "touch \"$RAN\"";
  auto bad_manifest = d.write("bad.json", "{\n  \"gremlins\": [\n    {\"id\": \"a\"},\n    {\"id\": \"b\", \"line\": \"x\"}\n  ]\n}\n");
  auto broken_json = d.write("broken.json", "{\n  \"gremlins\": [\n    {\"id\": \"a\"\n  ]\n}\n");
  auto good_manifest = d.write("good.json", "{\"gremlins\": [{\"id\": \"a\"}]}");
  auto with = [&](std::vector<std::string> opts) {
    opts.insert(opts.end(), {"--env", "RAN=" + ran});
    return run_args(opts, mark, touch);
  };
  SECTION("the same command with good input runs (the check below can see a run)") {
    auto r = run_cli(with({"--manifest", good_manifest, "--timeout", "10"}));
    CHECK(r.exit_code == 0);
    CHECK(exists(ran));
  }
  SECTION("malformed manifest: wrong type, the message names the place") {
    auto r = run_cli(with({"--manifest", bad_manifest}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(bad_manifest + ":4:"));
    CHECK_THAT(r.err, Catch::Contains("gremlins[1].line"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("malformed manifest: not JSON, the message names the line") {
    auto r = run_cli(with({"--manifest", broken_json}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(broken_json + ":4:"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("a manifest that does not exist") {
    auto r = run_cli(with({"--manifest", d / "nope.json"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(d / "nope.json"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("unknown option") {
    auto r = run_cli(with({"--gremlins", "a", "--frobnicate"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--frobnicate"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("--workers 0") {
    auto r = run_cli(with({"--gremlins", "a", "--workers", "0"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--workers"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("--timeout 0") {
    auto r = run_cli(with({"--gremlins", "a", "--timeout", "0"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--timeout"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("--distribution that does not exist") {
    auto r = run_cli(with({"--gremlins", "a", "--distribution", "random"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--distribution"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("missing command") {
    auto r = run_cli({"run", "--gremlins", "a"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("no test command"));
  }
  SECTION("missing rootdir") {
    auto r = run_cli(with({"--gremlins", "a", "--rootdir", d / "no-such-dir"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--rootdir"));
    CHECK_THAT(r.err, Catch::Contains(d / "no-such-dir"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("bad --env") {
    auto r = run_cli(with({"--gremlins", "a", "--env", "NO_EQUALS_SIGN"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--env"));
    CHECK_THAT(r.err, Catch::Contains("NO_EQUALS_SIGN"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("no gremlins, or two sources of gremlins") {
    auto none = run_cli(with({}));
    CHECK(none.exit_code == 2);
    CHECK_THAT(none.err, Catch::Contains("--manifest"));
    auto both = run_cli(with({"--gremlins", "a", "--manifest", good_manifest}));
    CHECK(both.exit_code == 2);
    CHECK_FALSE(exists(ran));
  }
  SECTION("a duplicate id in --gremlins") {
    auto r = run_cli(with({"--gremlins", "a,b,a"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("duplicate"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("a test command that does not exist") {
    auto r = run_cli({"run", "--gremlins", "a", "--", d / "no-such-program"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("no-such-program"));
  }
  SECTION("no subcommand") {
    CHECK(run_cli({}).exit_code == 2);
  }
  check_nothing_left(mark);
}

TEST_CASE("cli: a failing baseline stops the run with exit 4 and shows its output", "[cli]") {
  scratch_dir d;
  auto mark = unique_marker("baseline");
  auto script = "if [ -n \"$ACTIVE_GREMLIN\" ]; then touch \"$RAN\"; fi; echo BASELINE-SAYS-NO; exit 1";
  auto r = run_cli(run_args({"--gremlins", "a,b", "--timeout", "10", "--env", "RAN=" + (d / "ran"),
                             "--json", d / "r.json"},
                            mark, script));
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err + r.out, Catch::Contains("BASELINE-SAYS-NO"));
  CHECK_FALSE(exists(d / "ran"));
  check_nothing_left(mark);
}

TEST_CASE("cli: --fail-under exits 3 when the score is below it", "[cli]") {
  scratch_dir d;
  auto mark = unique_marker("failunder");
  auto script = "[ \"$ACTIVE_GREMLIN\" = a ] && exit 1; exit 0";  // a zapped, b survived: 50%
  auto below = run_cli(run_args({"--gremlins", "a,b", "--timeout", "10", "--fail-under", "60"}, mark, script));
  CHECK(below.exit_code == 3);
  CHECK_THAT(below.err, Catch::Contains("50.00"));
  auto above = run_cli(run_args({"--gremlins", "a,b", "--timeout", "10", "--fail-under", "40"}, mark, script));
  CHECK(above.exit_code == 0);
  check_nothing_left(mark);
}

TEST_CASE("cli: --parallel --workers 2 runs two gremlins at once", "[cli]") {
  // Each gremlin leaves a file and waits for its partner's: both see it only when both run
  // at the same time (zapped); alone, a gives up after $WAIT tenths of a second (survived).
  scratch_dir d;
  auto mark = unique_marker("parallel");
  auto script =
    "[ -z \"$ACTIVE_GREMLIN\" ] && exit 0\n"
    "touch \"$D/$ACTIVE_GREMLIN\"\n"
    "if [ \"$ACTIVE_GREMLIN\" = a ]; then other=b; else other=a; fi\n"
    "i=0\n"
    "while [ $i -lt \"$WAIT\" ]; do [ -e \"$D/$other\" ] && exit 1; sleep 0.1; i=$((i+1)); done\n"
    "exit 0";
  auto common = std::vector<std::string>{"--gremlins", "a,b", "--timeout", "60", "--env", "D=" + d.path(),
                                         "--json", d / "r.json"};
  SECTION("--parallel --workers 2") {
    auto opts = common;
    opts.insert(opts.end(), {"--parallel", "--workers", "2", "--env", "WAIT=200"});
    auto r = run_cli(run_args(opts, mark, script));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = read_json(d / "r.json");
    auto rs = results_by_id(doc);
    CHECK(status_of(rs, "a") == "zapped");
    CHECK(status_of(rs, "b") == "zapped");
    CHECK(doc["pool"]["workers"] == 2);
  }
  SECTION("pytest-gremlins' spellings: --gremlin-parallel --gremlin-workers=2") {
    auto opts = common;
    opts.insert(opts.end(), {"--gremlin-parallel", "--gremlin-workers=2", "--env", "WAIT=200"});
    auto r = run_cli(run_args(opts, mark, script));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = read_json(d / "r.json");
    auto rs = results_by_id(doc);
    CHECK(status_of(rs, "a") == "zapped");
    CHECK(status_of(rs, "b") == "zapped");
    CHECK(doc["pool"]["workers"] == 2);
  }
  SECTION("without --parallel one worker runs them one after the other") {
    auto opts = common;
    opts.insert(opts.end(), {"--env", "WAIT=10"});
    auto r = run_cli(run_args(opts, mark, script));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = read_json(d / "r.json");
    auto rs = results_by_id(doc);
    CHECK(status_of(rs, "a") == "survived");  // b had not started
    CHECK(doc["pool"]["workers"] == 1);
  }
  SECTION("--parallel alone: one worker per CPU") {
    auto opts = common;
    opts.insert(opts.end(), {"--parallel", "--env", "WAIT=1"});
    auto r = run_cli(run_args(opts, mark, script));
    REQUIRE(r.exit_code == 0);
    auto cpus = std::thread::hardware_concurrency();
    CHECK(read_json(d / "r.json")["pool"]["workers"] == (cpus == 0 ? 1u : cpus));
  }
  check_nothing_left(mark);
}

TEST_CASE("cli: --help and --version exit 0", "[cli]") {
  auto help = run_cli({"--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("run"));
  auto run_help = run_cli({"run", "--help"});
  CHECK(run_help.exit_code == 0);
  CHECK_THAT(run_help.out, Catch::Contains("--gremlin-parallel"));
  CHECK_THAT(run_help.out, Catch::Contains("--timeout"));
  auto version = run_cli({"--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Catch::Contains("gremlin-actors"));
  CHECK_THAT(version.out, Catch::Matches(".*[0-9]+\\.[0-9]+\\.[0-9]+\\s*"));
}

TEST_CASE("cli: SIGINT mid-run exits 130, keeps the results so far, leaves no process", "[cli]") {
  scratch_dir d;
  auto mark = unique_marker("sigint");
  auto script =
    "case \"$ACTIVE_GREMLIN\" in '') exit 0;; g1|g2) exit 1;; esac\n"
    "touch \"$D/started-$ACTIVE_GREMLIN\"\n"
    "sleep 305.5";
  cli_process cli(run_args({"--gremlins", "g1,g2,g3,g4,g5", "--timeout", "120", "--env", "D=" + d.path(),
                            "--json", d / "r.json"},
                           mark, script));
  REQUIRE(wait_for_file(d / "started-g3", 60s));
  cli.signal(SIGINT);
  auto r = cli.wait(60s);
  INFO(r.err);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 130);
  auto doc = read_json(d / "r.json");
  CHECK(doc["interrupted"] == true);
  auto rs = results_by_id(doc);
  CHECK(status_of(rs, "g1") == "zapped");
  CHECK(status_of(rs, "g2") == "zapped");
  CHECK(status_of(rs, "g3") != "survived");
  CHECK_FALSE(exists(d / "started-g4"));
  check_nothing_left(mark);
  check_nothing_left("305.5");
}

TEST_CASE("cli: SIGINT during the baseline exits 130, runs no gremlin, leaves no process", "[cli]") {
  scratch_dir d;
  auto mark = unique_marker("sigint-baseline");
  auto script =
    "case \"$ACTIVE_GREMLIN\" in '') touch \"$D/baseline\"; sleep 306.5;; esac\n"
    "touch \"$D/ran-$ACTIVE_GREMLIN\"";
  cli_process cli(run_args({"--gremlins", "g1,g2", "--env", "D=" + d.path()}, mark, script));
  REQUIRE(wait_for_file(d / "baseline", 60s));
  cli.signal(SIGINT);
  auto r = cli.wait(60s);
  INFO(r.err);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 130);
  CHECK_THAT(r.err, Catch::Contains("interrupted during the baseline"));
  CHECK_FALSE(exists(d / "ran-g1"));
  check_nothing_left(mark);
  check_nothing_left("306.5");
}

TEST_CASE("cli: the test command's environment and folder", "[cli]") {
  scratch_dir d;
  scratch_dir root;
  scratch_dir instrumented;
  auto mark = unique_marker("environment");
  auto script =
    "printf '%s|%s|%s|%s|%s|%s\\n' \"${ACTIVE_GREMLIN-unset}\" \"$GREMLIN_WORKER_INDEX\" \"$MYVAR\" "
    "\"$SPACED\" \"${GREMLIN_INSTRUMENTED_DIR-unset}\" \"$(pwd)\" > \"$OUT/${ACTIVE_GREMLIN:-baseline}\"";
  cli_options opts;
  opts.env = {{"ACTIVE_GREMLIN", "inherited-from-caller"}};
  SECTION("with --instrumented-dir") {
    auto r = run_cli(run_args({"--gremlins", "g0,g1,g2,g3", "--workers", "2", "--distribution", "round-robin",
                               "--timeout", "10", "--env", "MYVAR=hello", "--env", "SPACED=a b=c",
                               "--env", "OUT=" + d.path(), "--rootdir", root.path(),
                               "--instrumented-dir", instrumented.path()},
                              mark, script),
                     120s, opts);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto tail = "|hello|a b=c|" + instrumented.path() + "|" + root.path() + "\n";
    CHECK(read_text(d / "g0") == "g0|0" + tail);
    CHECK(read_text(d / "g1") == "g1|1" + tail);
    CHECK(read_text(d / "g2") == "g2|0" + tail);
    CHECK(read_text(d / "g3") == "g3|1" + tail);
    // The baseline runs with no gremlin active, even when the caller had one set.
    CHECK(read_text(d / "baseline") == "unset|0" + tail);
  }
  SECTION("without --instrumented-dir, GREMLIN_INSTRUMENTED_DIR is not set") {
    auto r = run_cli(run_args({"--gremlins", "g0", "--timeout", "10", "--env", "OUT=" + d.path(),
                               "--rootdir", root.path()},
                              mark, script),
                     120s, opts);
    REQUIRE(r.exit_code == 0);
    CHECK(read_text(d / "g0") == "g0|0|||unset|" + root.path() + "\n");
  }
  check_nothing_left(mark);
}

TEST_CASE("cli: a manifest run: no_coverage gremlins are not run, manifest fields reach the JSON",
          "[cli]") {
  scratch_dir d;
  auto mark = unique_marker("manifest");
  auto manifest = d.write("m.json", R"({"version": 1, "gremlins": [
    {"id": "calc_g001", "file": "src/calc.py", "line": 12, "operator": "comparison",
     "description": "< to <=", "tests": ["t1"]},
    {"id": "calc_g002", "file": "src/calc.py", "line": 20, "tests": []},
    {"id": "calc_g003", "tests": ["t1", "t2"]}]})");
  auto script = "[ -n \"$ACTIVE_GREMLIN\" ] && touch \"$D/ran-$ACTIVE_GREMLIN\"; [ \"$ACTIVE_GREMLIN\" = calc_g001 ] && exit 1; exit 0";
  auto r = run_cli(run_args({"--manifest", manifest, "--timeout", "10", "--env", "D=" + d.path(), "--json",
                             d / "r.json"},
                            mark, script));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rs = results_by_id(read_json(d / "r.json"));
  CHECK(status_of(rs, "calc_g001") == "zapped");
  CHECK(rs["calc_g001"]["file"] == "src/calc.py");
  CHECK(rs["calc_g001"]["line"] == 12);
  CHECK(rs["calc_g001"]["description"] == "< to <=");
  CHECK(status_of(rs, "calc_g002") == "no_coverage");
  CHECK_FALSE(exists(d / "ran-calc_g002"));
  CHECK(status_of(rs, "calc_g003") == "survived");
  // Survivors are listed with file:line on the console.
  CHECK_THAT(r.out, Catch::Contains("calc_g003"));
  check_nothing_left(mark);
}

TEST_CASE("cli: --gremlin-ids FILE", "[cli]") {
  scratch_dir d;
  auto mark = unique_marker("idsfile");
  auto ids = d.write("ids.txt", "# two gremlins\nx1\n\n  x2\n");
  auto r = run_cli(run_args({"--gremlin-ids", ids, "--timeout", "10", "--json", d / "r.json"}, mark,
                            "[ \"$ACTIVE_GREMLIN\" = x2 ] && exit 1; exit 0"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rs = results_by_id(read_json(d / "r.json"));
  CHECK(rs.size() == 2);
  CHECK(status_of(rs, "x1") == "survived");
  CHECK(status_of(rs, "x2") == "zapped");
  check_nothing_left(mark);
}

TEST_CASE("cli: an output path that cannot be written exits 2 before anything runs", "[cli]") {
  scratch_dir d;
  auto ran = d / "ran";
  auto mark = unique_marker("outpath");
  auto manifest = d.write("m.json", "{\"gremlins\": [{\"id\": \"a\"}]}");
  auto with = [&](std::vector<std::string> opts) {
    opts.insert(opts.end(), {"--env", "RAN=" + ran, "--timeout", "10"});
    return run_args(opts, mark, "touch \"$RAN\"");  // leaves `ran` whenever it runs
  };
  SECTION("the same command with good paths runs (the check below can see a run)") {
    auto r = run_cli(with({"--manifest", manifest, "--json", d / "r.json", "--report-elements", d / "e.json"}));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(exists(ran));
  }
  SECTION("--json in a folder that does not exist") {
    auto r = run_cli(with({"--manifest", manifest, "--json", d / "no-such-dir/r.json"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::StartsWith("gremlin-actors: --json '" + d / "no-such-dir/r.json" + "'"));
    CHECK_THAT(r.err, Catch::Contains("does not exist"));
    CHECK_THAT(r.err, Catch::Contains("nothing was run"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("--report-html that is a folder") {
    auto r = run_cli(with({"--manifest", manifest, "--report-html", d.path()}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::StartsWith("gremlin-actors: --report-html"));
    CHECK_THAT(r.err, Catch::Contains("is a folder"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("--report-elements over the manifest") {
    auto r = run_cli(with({"--manifest", manifest, "--report-elements", manifest}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::StartsWith("gremlin-actors: --report-elements"));
    CHECK_THAT(r.err, Catch::Contains("the same file as"));
    CHECK_FALSE(exists(ran));
    CHECK(read_text(manifest) == "{\"gremlins\": [{\"id\": \"a\"}]}");
  }
  SECTION("--json over the --gremlin-ids file") {
    auto ids = d.write("ids.txt", "a\n");
    auto r = run_cli(with({"--gremlin-ids", ids, "--json", ids}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::StartsWith("gremlin-actors: --json"));
    CHECK_THAT(r.err, Catch::Contains("the same file as"));
    CHECK_FALSE(exists(ran));
  }
  SECTION("--json over the configuration file") {
    auto config = d.write("gremlin-actors.toml", "timeout = 10\n");
    auto r = run_cli(with({"--gremlins", "a", "--rootdir", d.path(), "--json", config}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::StartsWith("gremlin-actors: --json"));
    CHECK_THAT(r.err, Catch::Contains("the same file as"));
    CHECK_FALSE(exists(ran));
    CHECK(read_text(config) == "timeout = 10\n");
  }
  SECTION("two outputs on one path") {
    auto r = run_cli(with({"--gremlins", "a", "--json", d / "same.json", "--report-elements", d / "same.json"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("the same file as"));
    CHECK_FALSE(exists(ran));
  }
  check_nothing_left(mark);
}

TEST_CASE("cli: --fail-under fails when no gremlin got a verdict", "[cli]") {
  scratch_dir d;
  auto mark = unique_marker("noverdict");
  auto worker = program("fault_worker") + " --marker " + mark;
  SECTION("--executor subprocess with only a worker command: every gremlin is an error") {
    auto r = run_cli({"run", "--gremlins", "a,b", "--executor", "subprocess", "--worker-command", worker,
                      "--fail-under", "50", "--json", d / "r.json"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("no gremlin got a verdict"));
    CHECK_THAT(r.err + r.out, !Catch::Contains("score 100.00% is"));
    // The report command holds a saved run to the same rule.
    auto again = run_cli({"report", d / "r.json", "--fail-under", "50"});
    CHECK(again.exit_code == 3);
    CHECK_THAT(again.err, Catch::Contains("no gremlin got a verdict"));
    auto without = run_cli({"report", d / "r.json"});
    CHECK(without.exit_code == 0);
  }
  SECTION("a warm-up that fails, no cold command") {
    auto r = run_cli({"run", "--gremlins", "a,b", "--worker-command", worker + " --warmup-error",
                      "--warmup-retries", "0", "--fail-under", "0"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("no gremlin got a verdict"));
  }
  SECTION("without --fail-under the run itself is fine") {
    auto r = run_cli({"run", "--gremlins", "a,b", "--executor", "subprocess", "--worker-command", worker});
    CHECK(r.exit_code == 0);
  }
  check_nothing_left(mark);
}

TEST_CASE("cli: --fail-under compares the score as it is shown, to 2 decimals", "[cli]") {
  scratch_dir d;
  auto mark = unique_marker("rounded");
  auto script = "[ \"$ACTIVE_GREMLIN\" = a ] && exit 1; exit 0";  // a zapped, b survived: 50.00%
  // 50.004 is shown as 50.00: "score 50.00% is below --fail-under 50.00" would be a lie.
  auto shown_equal = run_cli(run_args({"--gremlins", "a,b", "--timeout", "10", "--fail-under", "50.004"}, mark, script));
  INFO(shown_equal.err);
  CHECK(shown_equal.exit_code == 0);
  auto below = run_cli(run_args({"--gremlins", "a,b", "--timeout", "10", "--fail-under", "50.006"}, mark, script));
  CHECK(below.exit_code == 3);
  CHECK_THAT(below.err, Catch::Contains("score 50.00% is below --fail-under 50.01"));
  check_nothing_left(mark);
}

TEST_CASE("cli: gremlin ids that are not valid UTF-8 exit 2 naming the option", "[cli]") {
  scratch_dir d;
  auto ran = d / "ran";
  auto mark = unique_marker("utf8ids");
  auto with = [&](std::vector<std::string> opts) {
    opts.insert(opts.end(), {"--env", "RAN=" + ran, "--timeout", "10"});
    return run_args(opts, mark, "touch \"$RAN\"");
  };
  SECTION("--gremlins") {
    auto r = run_cli(with({"--gremlins", "ok,bad\xff" "id"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--gremlins"));
    CHECK_THAT(r.err, Catch::Contains("UTF-8"));
  }
  SECTION("--manifest") {
    auto m = d.write("m.json", "{\"gremlins\": [{\"id\": \"bad\xff\"}]}");
    auto r = run_cli(with({"--manifest", m}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--manifest"));
    CHECK_THAT(r.err, Catch::Contains(m));
    CHECK_THAT(r.err, Catch::Contains("UTF-8"));
  }
  SECTION("--gremlin-ids") {
    auto ids = d.write("ids.txt", "ok\nbad\xc3\n");
    auto r = run_cli(with({"--gremlin-ids", ids}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--gremlin-ids"));
    CHECK_THAT(r.err, Catch::Contains(ids + ":2"));
    CHECK_THAT(r.err, Catch::Contains("UTF-8"));
  }
  CHECK_FALSE(exists(ran));
  check_nothing_left(mark);
}

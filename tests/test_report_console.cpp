// The console report: counts, score and its definition, rate, and the gremlins worth a look.
#include <catch2/catch.hpp>

#include "runtime/formats/console_report.hpp"
#include "runtime/formats/results_json.hpp"
#include "runtime/rules/utf8.hpp"
#include <filesystem>
#include "tests/test_report_fixture.hpp"

using namespace gremlins;
using namespace gremlins::testing;

namespace {

std::string plain(const run_report& r, std::size_t max = 20, bool all = false) {
  console_options o;
  o.max_survivors = max;
  o.show_all = all;
  return render_console_report(r, o);
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

std::string fmt_id(int i) {
  std::string n = std::to_string(i);
  return "a_g" + std::string(3 - n.size(), '0') + n;
}

}  // namespace

TEST_CASE("console report: counts, score with its definition, wall time and rate",
          "[report][console]") {
  std::string out = plain(sample_report("/p"));
  CHECK_THAT(out, Catch::Contains("8 gremlins in 2.00 s (4.0 gremlins/s)"));
  CHECK_THAT(out, Catch::Contains("2 workers (fork)"));
  CHECK_THAT(out, Catch::Contains("  zapped           2\n"));
  CHECK_THAT(out, Catch::Contains("  survived         3\n"));
  CHECK_THAT(out, Catch::Contains("  timeout          1\n"));
  CHECK_THAT(out, Catch::Contains("  error            1\n"));
  CHECK_THAT(out, Catch::Contains("  no_coverage      1\n"));
  CHECK_THAT(out, Catch::Contains("Score: 42.86%"));
  CHECK_THAT(out, Catch::Contains("(zapped + timeout) / (zapped + timeout + survived + no_coverage) = 3 / 7"));
  CHECK_THAT(out, Catch::Contains("errors are not scored"));
  CHECK(out.find('\x1b') == std::string::npos);
  CHECK_THAT(out, !Catch::Contains("Interrupted"));
}

TEST_CASE("console report: survivors at file:line grouped by file, sorted by line",
          "[report][console]") {
  std::string out = plain(sample_report("/p"));
  auto g2 = out.find("  src/calc.py:5  < to <=  (comparison)  [calc_g002]\n");
  auto g3 = out.find("  src/calc.py:8  > to >=  (comparison)  [calc_g003]\n");
  auto u1 = out.find("  src/util.py:2  * to /  (arithmetic)  [util_g001]\n");
  REQUIRE(g2 != std::string::npos);
  REQUIRE(g3 != std::string::npos);
  REQUIRE(u1 != std::string::npos);
  CHECK(out.find("Survived (3):") < g2);
  CHECK(g2 < g3);
  CHECK(g3 < u1);
  // A blank line separates the files.
  CHECK(out.substr(g3, u1 - g3).find("\n\n") != std::string::npos);
  CHECK_THAT(out, Catch::Contains("Timeouts (1):\n  src/calc.py:11  and to or  (boolean)  [calc_g004]"));
  CHECK_THAT(out, Catch::Contains("Not covered by any test (1):\n  src/util.py:2  2 to 3  (number)  [util_g002]"));
  // Zapped gremlins are not listed one by one.
  CHECK_THAT(out, !Catch::Contains("[calc_g001]"));
}

TEST_CASE("console report: errors with the first line of their output", "[report][console]") {
  std::string out = plain(sample_report("/p"));
  CHECK_THAT(out, Catch::Contains("Errors (1):\n  (no location)  [calc_g008]  "
                                  "collection failed: ImportError: no module named calc\n"));
  CHECK_THAT(out, !Catch::Contains("Traceback"));
  CHECK(first_line("\n  \n  boom  \nmore") == "boom");
  CHECK(first_line("") == "");
}

TEST_CASE("console report: survivors limited, with a hint to show all", "[report][console]") {
  run_report r;
  r.wall_ms = 1000;
  for (int i = 1; i <= 30; ++i) {
    std::string id = fmt_id(i);
    r.gremlins[id] = make_gremlin(id, "src/a.py", i, 0, 1, "comparison", "<", "<=", {"t"});
    r.results.push_back(make_result(id, status::survived));
  }
  std::string limited = plain(r, 20);
  CHECK(count_of(limited, "src/a.py:") == 20);
  CHECK_THAT(limited, Catch::Contains("  … 10 more, use --show-all\n"));
  CHECK_THAT(limited, Catch::Contains("src/a.py:20 "));
  CHECK_THAT(limited, !Catch::Contains("src/a.py:21 "));
  std::string all = plain(r, 20, true);
  CHECK(count_of(all, "src/a.py:") == 30);
  CHECK_THAT(all, !Catch::Contains("more, use --show-all"));
  CHECK(count_of(plain(r, 0), "src/a.py:") == 30);
  CHECK(count_of(plain(r, 5), "src/a.py:") == 5);
}

TEST_CASE("console report: colour only when asked, interrupted runs and unplaced gremlins",
          "[report][console]") {
  run_report r = sample_report("/p");
  r.interrupted = true;
  console_options o;
  o.color = true;
  o.mention_unplaced = true;
  std::string out = render_console_report(r, o);
  CHECK_THAT(out, Catch::Contains("\x1b[31m"));
  CHECK_THAT(out, Catch::Contains("\x1b[1m\x1b[31m42.86%\x1b[0m"));
  CHECK_THAT(out, Catch::StartsWith("\x1b[1m\x1b[33mInterrupted: these are the results so far."));
  CHECK_THAT(out, Catch::Contains("1 gremlin has no source file"));
  CHECK_THAT(plain(r), !Catch::Contains("have no source file"));
}

TEST_CASE("console report: invalid UTF-8 in ids, paths, descriptions and outputs prints as U+FFFD",
          "[report][console]") {
  temp_dir dir;
  run_report r = hostile_report(dir.path / "project");
  for (auto& res : r.results)
    if (res.gremlin_id == "bad\xff") res.verdict = status::survived;  // to be listed
  std::string out = plain(r, 0);
  CHECK(is_valid_utf8(out));
  const std::string R = "\xEF\xBF\xBD";
  CHECK_THAT(out, Catch::Contains("src/latin1.py:2  caf" + R + " to nothing  (string" + R + ")  [bad" + R + "]"));
  CHECK_THAT(out, Catch::Contains("src/latin1.py:1  # to   (comment)  [bad" + R + "]  Traceback\n"));
  CHECK_THAT(out, Catch::Contains("2 workers (fork" + R + ")"));
  console_options colored;
  colored.color = true;
  CHECK(is_valid_utf8(render_console_report(r, colored)));
}

TEST_CASE("console report: an interrupted run says how many were tested, scores those only, and "
          "counts the cancelled apart from the errors", "[report][console]") {
  run_report r = sample_report("/p");
  for (auto& c : cancelled_results(3)) r.results.push_back(c);
  r.interrupted = true;
  std::string out = plain(r);
  CHECK_THAT(out, Catch::StartsWith("Interrupted: these are the results so far.\n"));
  CHECK_THAT(out, Catch::Contains("interrupted after 2.00 s: 8 of 11 gremlins tested (4.0 tested/s)"));
  CHECK_THAT(out, !Catch::Contains("gremlins/s"));
  CHECK_THAT(out, !Catch::Contains("5.5"));  // 11 gremlins / 2 s would be a rate of untested ones
  CHECK_THAT(out, Catch::Contains("  error            1\n"));
  CHECK_THAT(out, Catch::Contains("  not tested       3\n"));
  CHECK_THAT(out, Catch::Contains("Score: 42.86%"));
  CHECK_THAT(out, Catch::Contains("= 3 / 7; errors are not scored; over the tested gremlins only: "
                                  "the 3 not tested are left out"));
  CHECK_THAT(out, Catch::Contains("Not tested (interrupted): 3 gremlins cancelled"));
  CHECK_THAT(out, Catch::Contains("Errors (1):\n  (no location)  [calc_g008]"));
  CHECK_THAT(out, !Catch::Contains("cancel_g00"));
  CHECK_THAT(out, !Catch::Contains("cancelled: the run was stopped"));

  // Nothing got a verdict: no score of 100 %, no rate.
  run_report none;
  none.wall_ms = 1500;
  none.interrupted = true;
  none.results = cancelled_results(5);
  std::string empty = plain(none);
  CHECK_THAT(empty, Catch::Contains("interrupted after 1.50 s: 0 of 5 gremlins tested\n"));
  CHECK_THAT(empty, Catch::Contains("Score: none"));
  CHECK_THAT(empty, !Catch::Contains("100"));
  CHECK_THAT(empty, !Catch::Contains("/s"));
  CHECK_THAT(empty, !Catch::Contains("Errors"));

  // Gremlins the run knew but has no result for are not tested either.
  run_report gap = sample_report("/p");
  gap.interrupted = true;
  gap.gremlins["later_g001"] = make_gremlin("later_g001", "src/a.py", 1, 0, 1, "x", "a", "b", {});
  CHECK_THAT(plain(gap), Catch::Contains("8 of 9 gremlins tested"));
}

TEST_CASE("console report: an interrupted run read back from its results file reads the same",
          "[report][console]") {
  temp_dir dir;
  run_report r = sample_report("/p");
  for (auto& c : cancelled_results(2)) r.results.push_back(c);
  r.interrupted = true;
  auto path = (dir.path / "r.json").string();
  write_results_json(r, path);
  std::string again = plain(read_results_json(path));
  CHECK_THAT(again, Catch::Contains("8 of 10 gremlins tested"));
  CHECK_THAT(again, Catch::Contains("Not tested (interrupted): 2"));
  CHECK_THAT(again, Catch::Contains("Errors (1):"));
}

namespace {

// src/rng.py on disk and a report of its gremlins with 1-based columns, as the adapter writes.
run_report rng_report(const std::filesystem::path& root) {
  write_file(root, "src/rng.py",
             "def clamp(low, high, x):\n"
             "    if low > high:\n"
             "        raise ValueError\n"
             "    return (x +\n"
             "            1)\n");
  write_file(root, "src/other.py", "def f(a):\n    return a == 1\n");
  run_report r;
  r.rootdir = root.string();
  r.wall_ms = 1000;
  auto g1 = make_gremlin("rng_g1", "src/rng.py", 2, 12, 13, "comparison", ">", ">=", {"t"});
  auto g2 = make_gremlin("rng_g2", "src/rng.py", 2, 12, 13, "comparison", ">", "<", {"t"});
  auto g3 = make_gremlin("rng_g3", "src/rng.py", 4, 12, 15, "return", "(x +\n            1)", "None", {"t"});
  g3.end_line = 5;
  g3.description = "return x to return None";
  auto o1 = make_gremlin("other_g1", "src/other.py", 2, 14, 16, "comparison", "==", "!=", {});
  for (auto g : {g1, g2, g3, o1}) r.gremlins[g.id] = g;
  r.results = {make_result("other_g1", status::no_coverage), make_result("rng_g1", status::survived),
               make_result("rng_g2", status::zapped, "t"), make_result("rng_g3", status::survived)};
  return r;
}

}  // namespace

TEST_CASE("console report: each survivor's source line and its mutant, as the gremlin makes it",
          "[report][console]") {
  temp_dir dir;
  run_report r = rng_report(dir.path);
  std::string out = plain(r);
  CHECK_THAT(out, Catch::Contains("Survived (2):\n"
                                  "  src/rng.py:2  > to >=  (comparison)  [rng_g1]\n"
                                  "    -    if low > high:\n"
                                  "    +    if low >= high:\n"
                                  "  src/rng.py:4  return x to return None  (return)  [rng_g3]\n"
                                  "    -    return (x +\n"
                                  "    -            1)\n"
                                  "    +    return None\n"));
  CHECK_THAT(out, Catch::Contains("Not covered by any test (1):\n"
                                  "  src/other.py:2  == to !=  (comparison)  [other_g1]\n"
                                  "    -    return a == 1\n"
                                  "    +    return a != 1\n"));
  CHECK_THAT(out, !Catch::Contains("if low < high"));  // the zapped one is not listed

  // A long span: four lines a side, then how many more.
  write_file(dir.path, "src/rng.py", "x = [\n1,\n2,\n3,\n4,\n5,\n]\n");
  r.gremlins["rng_g3"] = make_gremlin("rng_g3", "src/rng.py", 1, 5, 2, "return", "[\n1,\n2,\n3,\n4,\n5,\n]", "None", {"t"});
  r.gremlins["rng_g3"].end_line = 7;
  out = plain(r);
  CHECK_THAT(out, Catch::Contains("    -x = [\n    -1,\n    -2,\n    -3,\n    -… 3 more lines (gremlin-actors show rng_g3)\n"
                                  "    +x = None\n"));

  // The file no longer holds the gremlin's text there: a note, never a wrong diff.
  write_file(dir.path, "src/rng.py", "def clamp(low, high, x):\n    if high < low:\n");
  out = plain(r);
  CHECK_THAT(out, Catch::Contains("  src/rng.py:2  > to >=  (comparison)  [rng_g1]\n"
                                  "      (no diff: the file has other text at line 2 column 12 than the gremlin's '>'"));
  // A file the caller knows changed since the run: no diff at all.
  console_options o;
  o.changed_files = {"src/other.py"};
  CHECK_THAT(render_console_report(r, o), Catch::Contains("[other_g1]\n      (src/other.py changed since the run: no diff)\n"));
  o.diffs = false;
  CHECK_THAT(render_console_report(r, o), !Catch::Contains("    -"));
  // No source found (moved results): the list alone.
  r.rootdir = (dir.path / "gone").string();
  out = plain(r);
  CHECK_THAT(out, Catch::EndsWith("[other_g1]\n"));
  CHECK_THAT(out, !Catch::Contains("    -") && !Catch::Contains("no diff"));
}

TEST_CASE("console report: the diff lines are coloured through fmt when colour is on", "[report][console]") {
  temp_dir dir;
  run_report r = rng_report(dir.path);
  console_options o;
  o.color = true;
  std::string out = render_console_report(r, o);
  CHECK_THAT(out, Catch::Contains("    \x1b[31m-    if low > high:\x1b[0m\n    \x1b[32m+    if low >= high:\x1b[0m\n"));
  CHECK_THAT(out, Catch::Contains("\x1b[31mSurvived (2):\x1b[0m"));
}

TEST_CASE("console report: counts and nouns agree (1 gremlin, 1 worker)", "[report][console]") {
  run_report r;
  r.wall_ms = 1000;
  r.pool.workers = 1;
  r.pool.executor = "fork";
  r.results = {make_result("a", status::zapped)};
  std::string out = plain(r);
  CHECK_THAT(out, Catch::StartsWith("gremlin-actors: 1 gremlin in 1.00 s (1.0 gremlins/s), 1 worker (fork)\n"));
  r.interrupted = true;
  r.results = cancelled_results(1);
  out = plain(r);
  CHECK_THAT(out, Catch::Contains("0 of 1 gremlin tested"));
  CHECK_THAT(out, Catch::Contains("Not tested (interrupted): 1 gremlin cancelled"));
  console_options o;
  o.mention_unplaced = true;
  CHECK_THAT(render_console_report(r, o), Catch::Contains("Note: 1 gremlin has no source file in the manifest; "
                                                          "the elements/HTML report leaves it out."));
  CHECK(plural(0, "file") == "0 files");
  CHECK(plural(1, "file") == "1 file");
  CHECK(plural(2, "match", "matches") == "2 matches");
}

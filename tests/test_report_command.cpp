// `gremlin-actors report RESULTS.json`: re-rendering every report from a saved file.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli/report_command.hpp"
#include "runtime/formats/results_json.hpp"
#include "tests/test_report_fixture.hpp"
// The test binary links the library only, not the CLI's objects (see test_report_progress.cpp,
// which compiles cli/progress_line.cpp).
#ifndef GREMLINS_TESTS_LINK_CLI
#include "cli/report_command.cpp"
#endif

using namespace gremlins;
using namespace gremlins::testing;

namespace {

struct captured {
  int code;
  std::string out;
  std::string err;
};

std::string slurp(std::FILE* f) {
  std::rewind(f);
  std::string s;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

captured run_report_command(const cli::report_command_options& o) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  int code = cli::report_command(o, out, err);
  return {code, slurp(out), slurp(err)};
}

struct saved_run {
  temp_dir dir;
  std::string results;
  saved_run() {
    write_sample_project(dir.path);
    results = (dir.path / "results.json").string();
    write_results_json(sample_report(dir.str()), results);
  }
};

/// Sets an environment variable for one scope and puts the old value back.
struct env_var {
  std::string name;
  std::optional<std::string> old;
  env_var(std::string n, const std::string& value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~env_var() {
    if (old) ::setenv(name.c_str(), old->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
};

}  // namespace

TEST_CASE("report: the console report from a saved results file", "[report][command]") {
  saved_run run;
  cli::report_command_options o;
  o.results_file = run.results;
  auto r = run_report_command(o);
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Catch::Contains("8 gremlins in 2.00 s"));
  CHECK_THAT(r.out, Catch::Contains("Score: 42.86%"));
  CHECK_THAT(r.out, Catch::Contains("  src/calc.py:5  < to <=  (comparison)  [calc_g002]"));
  CHECK(r.out.find('\x1b') == std::string::npos);  // not a terminal: no colour
  o.quiet = true;
  CHECK(run_report_command(o).out.empty());
}

TEST_CASE("report: elements, JSON and HTML files from a saved results file", "[report][command]") {
  saved_run run;
  // A stand-in bundle keeps this test independent of the installed assets.
  write_file(run.dir.path, "assets/node_modules/mutation-testing-elements/dist/mutation-test-elements.js",
             "window.standIn = true;");
  env_var assets("GREMLIN_ASSETS_DIR", (run.dir.path / "assets").string());
  cli::report_command_options o;
  o.results_file = run.results;
  o.report_elements = (run.dir.path / "e.json").string();
  o.report_html = (run.dir.path / "r.html").string();
  o.json = (run.dir.path / "again.json").string();
  auto r = run_report_command(o);
  REQUIRE(r.code == 0);
  auto elements = nlohmann::json::parse(read_file(o.report_elements));
  CHECK(elements["files"]["src/calc.py"]["source"] == read_file(run.dir.path / "src/calc.py"));
  CHECK(elements["files"]["src/calc.py"]["mutants"].size() == 5);
  CHECK_THAT(read_file(o.report_html), Catch::Contains("window.standIn = true;"));
  CHECK(nlohmann::json::parse(read_file(o.json)) == nlohmann::json::parse(read_file(run.results)));
  CHECK_THAT(r.out, Catch::Contains("1 gremlin has no source file"));

  // --rootdir points at sources that moved.
  temp_dir moved;
  write_file(moved.path, "src/calc.py", "moved = True\n");
  o.rootdir = moved.str();
  REQUIRE(run_report_command(o).code == 0);
  CHECK(nlohmann::json::parse(read_file(o.report_elements))["files"]["src/calc.py"]["source"] ==
        "moved = True\n");
}

TEST_CASE("report: a bad file or missing assets exit 2 with a clear message", "[report][command]") {
  saved_run run;
  cli::report_command_options o;
  o.results_file = (run.dir.path / "nope.json").string();
  auto r = run_report_command(o);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::StartsWith("gremlin-actors report: " + o.results_file) &&
                        Catch::Contains("cannot open"));

  write_file(run.dir.path, "bad.json",
             R"({"schema": "gremlin-actors/results/1", "summary": {}, "results": [{"gremlin_id": "a", "status": 3}]})");
  o.results_file = (run.dir.path / "bad.json").string();
  r = run_report_command(o);
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("bad.json: field 'results[0].status' must be a string"));

  env_var assets("GREMLIN_ASSETS_DIR", (run.dir.path / "none").string());
  o.results_file = run.results;
  o.report_html = (run.dir.path / "r.html").string();
  r = run_report_command(o);
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("scripts/install-report-assets.sh"));
}

TEST_CASE("report: --fail-under exits 3 below the score", "[report][command]") {
  saved_run run;
  cli::report_command_options o;
  o.results_file = run.results;
  o.quiet = true;
  o.fail_under = 42.0;
  CHECK(run_report_command(o).code == 0);
  o.fail_under = 50.0;
  auto r = run_report_command(o);
  CHECK(r.code == 3);
  CHECK_THAT(r.err, Catch::Contains("score 42.86% is below --fail-under 50.00%"));
}

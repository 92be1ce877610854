// The mutation-testing-elements report: its content, and validity against the official schema
// (installed by scripts/install-report-assets.sh, checked with Debian's python3-jsonschema).
#include <catch2/catch.hpp>

#include <cstdio>
#include <set>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "runtime/formats/elements_report.hpp"
#include "runtime/formats/html_report.hpp"
#include "runtime/rules/utf8.hpp"
#include "tests/test_report_fixture.hpp"

using namespace gremlins;
using namespace gremlins::testing;
using nlohmann::json;

namespace {

const json* mutant(const json& doc, const std::string& file, const std::string& id) {
  for (const auto& m : doc["files"][file]["mutants"])
    if (m["id"] == id) return &m;
  return nullptr;
}

/// Runs a shell command; returns its exit code and fills `output` with stdout and stderr.
int run(const std::string& command, std::string& output) {
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  int st = ::pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/// Validates `doc` against the official schema; fails the test when the schema is missing.
int validate(const json& doc, std::string& output) {
  std::string schema = elements_schema_path();
  if (!std::filesystem::exists(schema))
    FAIL("the elements JSON schema is not installed (" << schema
         << "): run scripts/install-report-assets.sh as root");
  temp_dir dir;
  write_file(dir.path, "elements.json", doc.dump(2));
  std::string cmd = std::string("/usr/bin/python3 ") + GREMLINS_SOURCE_DIR +
                    "/tests/html/validate_elements.py '" + schema + "' '" +
                    (dir.path / "elements.json").string() + "'";
  return run(cmd, output);
}

}  // namespace

TEST_CASE("elements report: files, sources, mutants, locations and statuses", "[report][elements]") {
  temp_dir root;
  write_sample_project(root.path);
  json doc = to_elements_report(sample_report(root.str()));
  CHECK(doc["schemaVersion"] == "2");
  CHECK(doc["thresholds"] == json{{"high", 80}, {"low", 60}});
  CHECK(doc["framework"]["name"] == "gremlin-actors");
  CHECK(doc["framework"]["version"].is_string());
  CHECK(doc["performance"] == json{{"setup", 0}, {"initialRun", 0}, {"mutation", 2000}});
  CHECK(doc["projectRoot"] == root.str());
  REQUIRE(doc["files"].size() == 2);  // calc_g008 has no file: it cannot be placed
  const json& calc = doc["files"]["src/calc.py"];
  CHECK(calc["language"] == "python");
  CHECK(calc["source"] == read_file(root.path / "src/calc.py"));
  CHECK(calc["mutants"].size() == 5);
  CHECK(doc["files"]["src/util.py"]["mutants"].size() == 2);

  const json* g1 = mutant(doc, "src/calc.py", "calc_g001");
  REQUIRE(g1);
  CHECK((*g1)["mutatorName"] == "arithmetic");
  CHECK((*g1)["description"] == "+ to -");
  CHECK((*g1)["replacement"] == "-");
  CHECK((*g1)["status"] == "Killed");
  CHECK((*g1)["killedBy"] == json{"tests/test_calc.py::test_add"});
  CHECK((*g1)["coveredBy"] == json{"tests/test_calc.py::test_add"});
  CHECK((*g1)["duration"] == 13);  // 12.5 ms, rounded
  // Manifest columns are 0-based (ast col_offset): "+" at offset 13 of line 2 is column 14.
  CHECK((*g1)["location"] == json{{"start", {{"line", 2}, {"column", 14}}},
                                  {"end", {{"line", 2}, {"column", 15}}}});
  CHECK_FALSE(g1->contains("statusReason"));

  CHECK((*mutant(doc, "src/calc.py", "calc_g002"))["status"] == "Survived");
  CHECK_FALSE(mutant(doc, "src/calc.py", "calc_g002")->contains("killedBy"));
  const json& timeout = *mutant(doc, "src/calc.py", "calc_g004");
  CHECK(timeout["status"] == "Timeout");
  CHECK(timeout["statusReason"] == "time limit of 3 s exceeded");
  CHECK((*mutant(doc, "src/util.py", "util_g002"))["status"] == "NoCoverage");
  CHECK((*mutant(doc, "src/util.py", "util_g002"))["coveredBy"] == json::array());
}

TEST_CASE("elements report: status mapping, languages, unknown ends, missing sources",
          "[report][elements]") {
  CHECK(std::string(elements_status(status::zapped)) == "Killed");
  CHECK(std::string(elements_status(status::survived)) == "Survived");
  CHECK(std::string(elements_status(status::timeout)) == "Timeout");
  CHECK(std::string(elements_status(status::error)) == "RuntimeError");
  CHECK(std::string(elements_status(status::no_coverage)) == "NoCoverage");
  CHECK(language_of("src/a.py") == "python");
  CHECK(language_of("lib/x.CPP") == "cpp");
  CHECK(language_of("web/app.js") == "javascript");
  CHECK(language_of("web/app.ts") == "typescript");
  CHECK(language_of("README") == "plaintext");

  run_report r;
  r.rootdir = "/nonexistent-root";
  gremlin g;
  g.id = "e1";
  g.file = "gone.py";
  g.line = 3;
  g.column = 4;  // no end in the manifest: one character wide
  r.gremlins["e1"] = g;
  r.results = {make_result("e1", status::error, "", 1, std::string(5000, 'x') + "END")};
  json doc = to_elements_report(r);
  const json& m = doc["files"]["gone.py"]["mutants"][0];
  CHECK(doc["files"]["gone.py"]["source"] == "");
  CHECK(m["mutatorName"] == "unknown");
  CHECK(m["status"] == "RuntimeError");
  CHECK(m["location"] == json{{"start", {{"line", 3}, {"column", 5}}},
                              {"end", {{"line", 3}, {"column", 6}}}});
  std::string reason = m["statusReason"];
  CHECK(reason.size() < 2100);
  CHECK_THAT(reason, Catch::EndsWith("xEND"));  // the tail is kept: that is where errors say why
  CHECK_FALSE(doc.contains("testFiles"));
}

TEST_CASE("elements report: testFiles group pytest node ids by file", "[report][elements]") {
  temp_dir root;
  write_sample_project(root.path);
  json doc = to_elements_report(sample_report(root.str()));
  REQUIRE(doc.contains("testFiles"));
  const json& tf = doc["testFiles"]["tests/test_calc.py"];
  CHECK(tf["source"] == read_file(root.path / "tests/test_calc.py"));
  CHECK(tf["tests"] == json::array({{{"id", "tests/test_calc.py::test_add"}, {"name", "test_add"}},
                                    {{"id", "tests/test_calc.py::test_small"}, {"name", "test_small"}}}));
}

TEST_CASE("elements report validates against the official schema", "[report][elements][schema]") {
  temp_dir root;
  write_sample_project(root.path);
  run_report r = sample_report(root.str());
  r.gremlins["calc_g001"].is_static = true;
  std::string out;
  CHECK(validate(to_elements_report(r), out) == 0);
  INFO(out);
  CHECK_THAT(out, Catch::Contains("valid"));

  // The written file is the same document, and an empty run is valid too.
  write_elements_report(r, (root.path / "e.json").string());
  CHECK(json::parse(read_file(root.path / "e.json")) == to_elements_report(r));
  std::string empty_out;
  CHECK(validate(to_elements_report(run_report{}), empty_out) == 0);

  // The validator does see mistakes: a status the schema does not know is refused.
  json bad = to_elements_report(r);
  bad["files"]["src/calc.py"]["mutants"][0]["status"] = "Zapped";
  std::string bad_out;
  CHECK(validate(bad, bad_out) == 1);
  CHECK_THAT(bad_out, Catch::Contains("files/src/calc.py/mutants/0/status"));
}

TEST_CASE("elements report: invalid UTF-8 anywhere is written as U+FFFD, ids kept distinct",
          "[report][elements]") {
  temp_dir dir;
  run_report r = hostile_report(dir.path / "project");
  const std::string R = "\xEF\xBF\xBD";
  std::string path = (dir.path / "e.json").string();
  REQUIRE_NOTHROW(write_elements_report(r, path));
  std::string text = read_file(path);
  CHECK(is_valid_utf8(text));
  json doc = json::parse(text);
  const json& latin1 = doc["files"]["src/latin1.py"];
  CHECK(latin1["source"] == "# caf" + R + "\nx = '" + R + "'\n");
  REQUIRE(latin1["mutants"].size() == 3);
  std::set<std::string> ids;
  for (const auto& m : latin1["mutants"]) ids.insert(m["id"].get<std::string>());
  CHECK(ids == std::set<std::string>{"bad" + R, "bad" + R + "~2", "bad" + R + "~3"});
  const json* g = mutant(doc, "src/latin1.py", "bad" + R + "~3");
  REQUIRE(g);
  CHECK((*g)["description"] == "caf" + R + " to nothing");
  CHECK((*g)["killedBy"] == json{"tests/test_calc.py::test_" + R});
  CHECK((*g)["coveredBy"] == json{"tests/test_calc.py::test_" + R});
  // The tail of a long output is cut between characters, not inside one.
  std::string reason = (*mutant(doc, "src/calc.py", "calc_g004"))["statusReason"];
  CHECK_THAT(reason, Catch::StartsWith("…\xC3\xA9") && Catch::EndsWith("\xC3\xA9y"));
  // The test id is the same wherever it appears.
  bool listed = false;
  for (const auto& t : doc["testFiles"]["tests/test_calc.py"]["tests"])
    listed = listed || t["id"] == "tests/test_calc.py::test_" + R;
  CHECK(listed);
}

TEST_CASE("elements report of hostile text validates against the official schema",
          "[report][elements][schema]") {
  temp_dir dir;
  std::string out;
  CHECK(validate(to_elements_report(hostile_report(dir.path / "project")), out) == 0);
  INFO(out);
}

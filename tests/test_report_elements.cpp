// The mutation-testing-elements report: its content, and validity against the official schema
// (installed by scripts/install-report-assets.sh, checked with Debian's python3-jsonschema).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "runtime/formats/elements_report.hpp"
#include "runtime/formats/html_report.hpp"
#include "runtime/rules/utf8.hpp"
#include "tests/cli_helpers.hpp"
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
  // Manifest and schema both count 1-based characters, end exclusive: "+" of line 2 is 14..15.
  CHECK((*g1)["location"] == json{{"start", {{"line", 2}, {"column", 14}}},
                                  {"end", {{"line", 2}, {"column", 15}}}});
  CHECK((*mutant(doc, "src/calc.py", "calc_g004"))["location"] ==
        json{{"start", {{"line", 11}, {"column", 14}}}, {"end", {{"line", 11}, {"column", 17}}}});
  CHECK_FALSE(g1->contains("statusReason"));

  // Column 0 (unknown): the whole line, "    return x > 100", 18 characters.
  run_report no_column = sample_report(root.str());
  no_column.gremlins["calc_g003"].column = 0;
  CHECK((*mutant(to_elements_report(no_column), "src/calc.py", "calc_g003"))["location"] ==
        json{{"start", {{"line", 8}, {"column", 1}}}, {"end", {{"line", 8}, {"column", 19}}}});

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
  gremlin whole = g;  // no column either: the whole line (of a file that cannot be read: 1 wide)
  whole.id = "e2";
  whole.column = 0;
  r.gremlins["e2"] = whole;
  r.results = {make_result("e1", status::error, "", 1, std::string(5000, 'x') + "END"),
               make_result("e2", status::survived)};
  json doc = to_elements_report(r);
  const json& m = doc["files"]["gone.py"]["mutants"][0];
  CHECK(doc["files"]["gone.py"]["mutants"][1]["location"] ==
        json{{"start", {{"line", 3}, {"column", 1}}}, {"end", {{"line", 3}, {"column", 2}}}});
  CHECK(doc["files"]["gone.py"]["source"] == "");
  CHECK(m["mutatorName"] == "unknown");
  CHECK(m["status"] == "RuntimeError");
  CHECK(m["location"] == json{{"start", {{"line", 3}, {"column", 4}}},
                              {"end", {{"line", 3}, {"column", 5}}}});
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

namespace {

/// The byte offset of 1-based character column `column` of 1-based line `line` in `source`
/// (npos when the line is not there). Columns count UTF-8 characters, as the manifest does.
std::size_t offset_of(const std::string& source, long line, long column) {
  std::size_t pos = 0;
  for (long l = 1; l < line; ++l) {
    pos = source.find('\n', pos);
    if (pos == std::string::npos) return pos;
    ++pos;
  }
  for (long c = 1; c < column && pos < source.size(); ++c) {
    ++pos;
    while (pos < source.size() && (static_cast<unsigned char>(source[pos]) & 0xC0) == 0x80) ++pos;
  }
  return pos;
}

/// The text between two 1-based (line, column) positions, the end exclusive.
std::string span_of(const std::string& source, long line, long column, long end_line, long end_column) {
  auto from = offset_of(source, line, column);
  auto to = offset_of(source, end_line, end_column);
  if (from == std::string::npos || to == std::string::npos || to < from) return "<no such span>";
  return source.substr(from, to - from);
}

/// The whole lines from `line` to `end_line` with the span replaced by `replacement`.
std::string mutated_lines(const std::string& source, long line, long column, long end_line, long end_column,
                          const std::string& replacement) {
  auto first = offset_of(source, line, 1);
  auto from = offset_of(source, line, column);
  auto to = offset_of(source, end_line, end_column);
  auto last = source.find('\n', to);
  if (last == std::string::npos) last = source.size();
  return source.substr(first, from - first) + replacement + source.substr(to, last - to);
}

std::string html_unescape(const std::string& text) {
  static const std::pair<const char*, const char*> entities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", "\xC2\xA0"}, {"&amp;", "&"}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '&')
      for (const auto& [entity, ch] : entities)
        if (text.compare(i, std::strlen(entity), entity) == 0) {
          out += ch;
          i += std::strlen(entity);
          replaced = true;
          break;
        }
    if (!replaced) out += text[i++];
  }
  return out;
}

/// The bodies of the self-test sections whose label starts with `label`, by the rest of the label.
std::map<std::string, std::string> sections(const std::string& dom, const std::string& label) {
  std::map<std::string, std::string> found;
  std::size_t pos = 0;
  while ((pos = dom.find("=== " + label, pos)) != std::string::npos) {
    auto title_end = dom.find(" ===\n", pos);
    auto body_end = std::min(dom.find("\n=== ", title_end), dom.find("</pre>", title_end));
    std::string title = dom.substr(pos + 4 + label.size(), title_end - pos - 4 - label.size());
    found[title] = dom.substr(title_end + 5, body_end == std::string::npos ? std::string::npos
                                                                            : body_end - title_end - 5);
    pos = title_end;
  }
  return found;
}

std::string rtrim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

TEST_CASE("a real pytest run: the elements and HTML reports mark exactly each gremlin's original text",
          "[report][elements][html][chromium][pytest]") {
  namespace fs = std::filesystem;
  if (std::system("command -v chromium >/dev/null 2>&1") != 0)
    FAIL("chromium is not installed: run scripts/install-deps.sh as root");
  if (!fs::exists(elements_script_path()))
    FAIL(elements_script_path() << " is missing: run scripts/install-report-assets.sh as root");
  temp_dir dir;
  fs::path project = dir.path / "calc";
  fs::copy(fs::path(GREMLINS_SOURCE_DIR) / "examples/calc", project, fs::copy_options::recursive);
  fs::remove_all(project / ".gremlins");
  std::string results = (dir.path / "results.json").string();
  std::string elements = (dir.path / "elements.json").string();
  std::string html = (dir.path / "report.html").string();
  // The adapter writes the manifest, the runtime the results, the report writers read them.
  cli_options env;
  env.env = {{"GREMLIN_HTML_SELFTEST", "1"}};
  cli_run cli = run_cli({"run", "--pytest", "--project", project.string(), "--python", "/usr/bin/python3",
                         "--workers", "2", "-q", "--json", results, "--report-elements", elements,
                         "--report-html", html},
                        std::chrono::seconds(280), env);
  INFO(cli.err);
  REQUIRE(cli.exit_code == 0);
  json res = json::parse(read_file(results));
  json doc = json::parse(read_file(elements));

  std::map<std::string, json> by_id;  // the results with a place in a source file
  for (const auto& r : res["results"])
    if (r.contains("file") && r.contains("end_line")) by_id[r["gremlin_id"].get<std::string>()] = r;
  REQUIRE(by_id.size() > 20);
  std::size_t checked = 0;
  bool saw_clamp = false;
  for (const auto& [file, entry] : doc["files"].items()) {
    std::string source = read_file(project / file);
    REQUIRE(entry["source"] == source);
    for (const auto& m : entry["mutants"]) {
      const json& r = by_id.at(m["id"].get<std::string>());
      INFO(m.dump());
      const json& start = m["location"]["start"];
      const json& end = m["location"]["end"];
      // The results file (as the adapter counted) and the elements report (as the schema
      // counts) place the gremlin on the same characters: exactly its original text.
      CHECK(span_of(source, r["line"], r["column"], r["end_line"], r["end_column"]) == r["original"]);
      CHECK(span_of(source, start["line"], start["column"], end["line"], end["column"]) == r["original"]);
      ++checked;
      if (r["description"] == "> to >=" &&
          mutated_lines(source, start["line"], start["column"], end["line"], end["column"], ">=") ==
              "    if low >= high:") {
        saw_clamp = true;
        CHECK(start["column"] == 12);  // "    if low > high:": '>' is the 12th character
        CHECK(end["column"] == 13);
      }
    }
  }
  CHECK(checked == by_id.size());
  CHECK(saw_clamp);

  // In the browser: each mutant's marks hold its original text, and each survivor's mutated
  // line is the source line with exactly the span replaced (not "if low >>=high:").
  std::string dom;  // (with chromium's log)
  REQUIRE(run("'" + std::string(GREMLINS_SOURCE_DIR) + "/tests/html/chromium_run.sh' '" + html + "' --dump-dom",
              dom) == 0);
  REQUIRE_THAT(dom, Catch::Contains("id=\"gremlin-selftest\" data-done=\"yes\""));
  dom = html_unescape(dom);
  CHECK_THAT(dom, Catch::Contains(" - calc</title>"));  // the project, not the tool
  CHECK_THAT(dom, !Catch::Contains("gremlin-actors</title>"));
  std::map<std::string, std::string> marked;
  for (const auto& [view, body] : sections(dom, "marked in ")) {
    std::size_t pos = 0;
    while (pos < body.size()) {
      auto eol = body.find('\n', pos);
      std::string row = body.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
      pos = eol == std::string::npos ? body.size() : eol + 1;
      auto tab = row.find('\t');
      if (tab != std::string::npos) marked[row.substr(0, tab)] = json::parse(row.substr(tab + 1));
    }
  }
  auto diffs = sections(dom, "diff ");
  std::size_t marks_checked = 0, diffs_checked = 0;
  for (const auto& [file, entry] : doc["files"].items()) {
    std::string source = entry["source"];
    for (const auto& m : entry["mutants"]) {
      std::string id = m["id"];
      const json& r = by_id.at(id);
      const json& start = m["location"]["start"];
      const json& end = m["location"]["end"];
      if (start["line"] != end["line"]) continue;  // a span over lines is marked line by line
      INFO(id << " " << r["description"]);
      REQUIRE(marked.count(id) == 1);
      CHECK(marked[id] == r["original"]);
      ++marks_checked;
      if (m["status"] != "Survived") continue;
      auto it = std::find_if(diffs.begin(), diffs.end(),
                             [&](const auto& d) { return d.first.rfind(id + " in ", 0) == 0; });
      REQUIRE(it != diffs.end());
      json shown = json::parse(it->second.substr(0, it->second.find('\n')));
      REQUIRE(shown["lines"].size() == 1);
      CHECK(rtrim(shown["lines"][0]) ==
            mutated_lines(source, start["line"], start["column"], end["line"], end["column"], r["replacement"]));
      ++diffs_checked;
    }
  }
  CHECK(marks_checked > 20);
  CHECK(diffs_checked >= 3);
}

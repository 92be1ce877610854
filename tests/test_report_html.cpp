// The HTML report: one self-contained file, rendered by the mutation-testing-elements component
// in headless Chromium. Not skippable: without chromium or the assets the test fails and names
// the script that installs them.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "runtime/formats/html_report.hpp"
#include "runtime/rules/utf8.hpp"
#include "tests/test_report_fixture.hpp"

using namespace gremlins;
using namespace gremlins::testing;

namespace {

const std::string helper = std::string(GREMLINS_SOURCE_DIR) + "/tests/html/chromium_run.sh";

void require_browser_and_assets() {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0)
    FAIL("chromium is not installed: run scripts/install-deps.sh as root");
  if (!std::filesystem::exists(elements_script_path()))
    FAIL(elements_script_path() << " is missing: run scripts/install-report-assets.sh as root");
}

/// The DOM after rendering `html_path` in headless Chromium (stderr goes to `log`).
std::string dump_dom(const std::filesystem::path& html_path, const std::filesystem::path& log) {
  std::string cmd = "'" + helper + "' '" + html_path.string() + "' --dump-dom 2>'" + log.string() + "'";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[8192];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  INFO("chromium log: " << read_file(log));
  REQUIRE(WIFEXITED(st));
  REQUIRE(WEXITSTATUS(st) == 0);
  return out;
}

/// The text the self-test hook wrote for the view whose label starts with `label`.
std::string view_text(const std::string& dom, const std::string& label) {
  auto start = dom.find("=== " + label);
  if (start == std::string::npos) return {};
  auto end = dom.find("\n=== ", start + 4);
  return dom.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

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

TEST_CASE("HTML report renders the score and a surviving mutant in headless Chromium",
          "[report][html][chromium]") {
  require_browser_and_assets();
  temp_dir root;
  write_sample_project(root.path);
  run_report r = sample_report(root.str());
  // Text that would end the inlined <script> if it were not escaped.
  r.gremlins["calc_g002"].description = "< to <= </script><b>bold</b>";
  auto html = root.path / "report.html";
  {
    env_var hook("GREMLIN_HTML_SELFTEST", "1");
    write_html_report(r, html.string());
  }
  std::string file = read_file(html);
  CHECK(file.find("</script><b>bold") == std::string::npos);
  CHECK(file.find("<script src=\"http") == std::string::npos);  // nothing fetched: offline
  CHECK(file.find("<link") == std::string::npos);

  std::string dom = dump_dom(html, root.path / "chromium.log");
  INFO(dom.substr(0, 4000));
  REQUIRE_THAT(dom, Catch::Contains("id=\"gremlin-selftest\" data-done=\"yes\""));
  // The browser's title names the project (the sample's folder), not the tool.
  std::string folder = root.path.filename().string();
  // (The component names the view too; the last one shown is util.py's.)
  CHECK_THAT(dom, Catch::Contains("<title>util.py - " + folder + "</title>"));
  CHECK_THAT(dom, !Catch::Contains("gremlin-actors</title>"));
  std::string overview = view_text(dom, "view #overview");
  CHECK_THAT(overview, Catch::Contains("All files 42.86"));  // the score, as docs/results-json.md defines it
  CHECK_THAT(overview, Catch::Contains("calc.py 60.00"));
  std::string calc = view_text(dom, "view #mutant/calc.py");
  CHECK_THAT(calc, Catch::Contains("[mutant calc_g002 comparison Survived]"));
  CHECK_THAT(calc, Catch::Contains("[mutant calc_g001 arithmetic Killed]"));
  CHECK_THAT(calc, Catch::Contains("[mutant calc_g004 boolean Timeout]"));
  std::string selected = view_text(dom, "selected survivor in #mutant/calc.py");
  CHECK_THAT(selected, Catch::Contains("comparison Survived ( 5 : 14 )"));
  CHECK_THAT(selected, Catch::Contains("&lt; to &lt;= &lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"));
  CHECK_THAT(selected, Catch::Contains("return x &lt;= 10"));  // the mutated line is shown
  CHECK_THAT(view_text(dom, "view #mutant/util.py"),
             Catch::Contains("[mutant util_g002 number NoCoverage]"));
}

TEST_CASE("HTML report: a bundle containing </script> goes in as a data: URL and still runs",
          "[report][html][chromium]") {
  require_browser_and_assets();
  temp_dir root;
  std::string script = "document.title = 'bundle ran </script> ok';";
  std::string html = render_html_report(run_report{}, script, false);
  CHECK(html.find("</script> ok") == std::string::npos);
  CHECK_THAT(html, Catch::Contains("<script src=\"data:text/javascript;base64,"));
  write_file(root.path, "r.html", html);
  std::string dom = dump_dom(root.path / "r.html", root.path / "chromium.log");
  CHECK_THAT(dom, Catch::Contains("<title>bundle ran &lt;/script&gt; ok</title>"));
}

TEST_CASE("HTML report: missing assets are named with the script to run", "[report][html]") {
  temp_dir root;
  env_var assets("GREMLIN_ASSETS_DIR", (root.path / "no-assets").string());
  auto html = root.path / "report.html";
  try {
    write_html_report(sample_report(root.str()), html.string());
    FAIL("no error for missing assets");
  } catch (const missing_asset_error& e) {
    CHECK_THAT(e.what(), Catch::Contains((root.path / "no-assets").string() +
                                         "/node_modules/mutation-testing-elements/dist/mutation-test-elements.js"));
    CHECK_THAT(e.what(), Catch::Contains("scripts/install-report-assets.sh"));
  }
  CHECK_FALSE(std::filesystem::exists(html));
}

TEST_CASE("HTML report: the self-test hook only with GREMLIN_HTML_SELFTEST=1", "[report][html]") {
  std::string plain = render_html_report(run_report{}, "var x = 1;", false);
  CHECK(plain.find("gremlin-selftest") == std::string::npos);
  CHECK_THAT(plain, Catch::Contains("<script>\nvar x = 1;\n</script>"));
  CHECK_THAT(render_html_report(run_report{}, "", true), Catch::Contains("gremlin-selftest"));
  {
    env_var unset("GREMLIN_ASSETS_DIR", "");  // empty counts as unset
    CHECK(report_assets_dir() == "/usr/local/share/gremlin-actors/npm");
  }
  env_var assets("GREMLIN_ASSETS_DIR", "/opt/x");
  CHECK(report_assets_dir() == "/opt/x");
}

TEST_CASE("HTML report: invalid UTF-8 anywhere is written as U+FFFD", "[report][html]") {
  temp_dir root;
  write_file(root.path, "assets/node_modules/mutation-testing-elements/dist/mutation-test-elements.js",
             "var bundle = 1;");
  env_var assets("GREMLIN_ASSETS_DIR", (root.path / "assets").string());
  run_report r = hostile_report(root.path / "project");
  auto html = root.path / "report.html";
  REQUIRE_NOTHROW(write_html_report(r, html.string()));
  std::string text = read_file(html);
  CHECK(is_valid_utf8(text));
  // The embedded report is the elements document, readable again.
  const std::string open = "<script type=\"application/json\" id=\"gremlin-report\">";
  auto start = text.find(open);
  REQUIRE(start != std::string::npos);
  start += open.size();
  auto doc = nlohmann::json::parse(text.substr(start, text.find("</script>", start) - start));
  CHECK(doc["files"]["src/latin1.py"]["mutants"].size() == 3);
}

TEST_CASE("HTML report: the title names the project (pyproject name, else the folder), escaped",
          "[report][html]") {
  temp_dir root;
  auto project = root.path / "calc-app";
  write_file(project, "src/calc.py", "x = 1\n");
  CHECK(project_name(project.string()) == "calc-app");
  CHECK(project_name(project.string() + "/") == "calc-app");
  write_file(project, "pyproject.toml", "[tool.poetry]\nname = \"poetry-calc\"\n");
  CHECK(project_name(project.string()) == "poetry-calc");
  write_file(project, "pyproject.toml",
             "[project]\nname = \"calc <&> \\\"tools\\\"\"\n[tool.poetry]\nname = \"other\"\n");
  CHECK(project_name(project.string()) == "calc <&> \"tools\"");
  run_report r;
  r.rootdir = project.string();
  std::string html = render_html_report(r, "", false);
  CHECK_THAT(html, Catch::Contains("<title>calc &lt;&amp;&gt; &quot;tools&quot; - mutation report</title>"));
  CHECK_THAT(html, Catch::Contains("<mutation-test-report-app title-postfix=\"calc &lt;&amp;&gt; &quot;tools&quot;\">"));
  CHECK(html.find("<title>gremlin-actors") == std::string::npos);  // the tool is not the title
  CHECK(html.find("title-postfix=\"gremlin-actors") == std::string::npos);
  // Not TOML, or no name: the folder.
  write_file(project, "pyproject.toml", "[project\nname = ");
  CHECK(project_name(project.string()) == "calc-app");
  write_file(project, "pyproject.toml", "[tool.gremlin-actors]\nworkers = 2\n");
  CHECK(project_name(project.string()) == "calc-app");
}

// The lines at the end of a run that say where its results went (cli/results_files.hpp), and
// the source digests `show` and `apply` compare with.
#include <catch2/catch.hpp>

#include <filesystem>

#include "cli/results_files.hpp"
#include "tests/test_report_fixture.hpp"

using namespace gremlins;
using namespace gremlins::cli;
using namespace gremlins::testing;

TEST_CASE("results places: every file named, the HTML report with how to open it", "[cli][results]") {
  temp_dir dir;
  auto html = (dir.path / "my report.html").string();
  std::string out = render_results_places({"r.json", "", "el.json", html});
  CHECK_THAT(out, Catch::StartsWith("\nResults:\n  results file   r.json  (read by gremlin-actors report, show ID, apply ID)\n"));
  CHECK_THAT(out, Catch::Contains("  elements JSON  el.json\n"));
  CHECK_THAT(out, Catch::Contains("  HTML report    " + html + "  (open it in a browser: xdg-open " + html + ", or file://"));
  CHECK_THAT(out, Catch::Contains("/my%20report.html)\n"));
  CHECK_THAT(out, !Catch::Contains("results store"));
  CHECK_THAT(render_results_places({"", "s.db", "", ""}), Catch::Contains("  results store  s.db"));
  CHECK_THAT(render_results_places({}), Catch::Contains("Results: not kept"));
}

TEST_CASE("results places: the digests of the sources, and which changed", "[cli][results]") {
  temp_dir dir;
  write_file(dir.path, "src/a.py", "x = 1\n");
  write_file(dir.path, "src/b.py", "y = 2\n");
  gremlin a, b, gone;
  a.file = "src/a.py";
  b.file = "src/b.py";
  gone.file = "src/gone.py";
  run_report r;
  r.rootdir = dir.str();
  r.source_digests = digest_sources({a, b, a, gone}, dir.str());
  REQUIRE(r.source_digests.size() == 2);  // the unreadable one is left out
  CHECK(r.source_digests["src/a.py"] == file_digest((dir.path / "src/a.py").string()));
  CHECK(
        r.source_digests["src/a.py"].size() == 64);
  CHECK(changed_sources(r).empty());
  write_file(dir.path, "src/b.py", "y = 3\n");
  CHECK(changed_sources(r) == std::set<std::string>{"src/b.py"});
  std::filesystem::remove(dir.path / "src/a.py");
  CHECK(changed_sources(r) == std::set<std::string>{"src/a.py", "src/b.py"});
}

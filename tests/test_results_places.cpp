// The lines at the end of a run that say where its results went (cli/results_files.hpp), and
// the source digests `show` and `apply` compare with.
#include <catch2/catch.hpp>

#include <filesystem>

#include "cli/results_files.hpp"
#include "runtime/formats/results_json.hpp"
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

TEST_CASE("results file: the source digests are written, read back, and checked", "[cli][results]") {
  temp_dir dir;
  run_report r;
  r.rootdir = "/p";
  r.results = {make_result("a", status::survived)};
  r.source_digests = {{"src/a.py", std::string(64, 'a')}};
  auto path = (dir.path / "r.json").string();
  write_results_json(r, path);
  CHECK_THAT(read_file(path), Catch::Contains("\"sources\": {\n    \"src/a.py\": {\n      \"sha256\": \"aaaa"));
  CHECK(read_results_json(path).source_digests == r.source_digests);
  r.source_digests.clear();
  write_results_json(r, path);
  CHECK_THAT(read_file(path), !Catch::Contains("\"sources\""));  // nothing to say: not written
  write_file(dir.path, "bad.json",
             R"({"schema": "gremlin-actors/results/1", "summary": {}, "results": [], "sources": {"x.py": {"sha256": 3}}})");
  CHECK_THROWS_WITH(read_results_json((dir.path / "bad.json").string()),
                    Catch::Contains("bad.json: field 'sources.x.py.sha256' must be a string"));
}

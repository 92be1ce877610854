// Reading gremlins: the manifest (docs/results-json.md, "The manifest"), --gremlins a,b and --gremlin-ids FILE. Every
// refusal names the file, the line and the field.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "runtime/formats/manifest.hpp"

using namespace gremlins;

namespace {

/// A file under /tmp removed at the end of the test.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& text) {
    char name[] = "/tmp/gremlins-manifest-XXXXXX";
    int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream(path) << text;
  }
  ~temp_file() { std::remove(path.c_str()); }
};

/// The message of the input_error `text` is refused with ("" when it is accepted).
std::string refusal(const std::string& text) {
  try {
    parse_manifest(text, "m.json");
  } catch (const input_error& e) {
    return e.what();
  }
  return {};
}

const char* valid = R"({
  "version": 1,
  "gremlins": [
    {"id": "calc_g001", "file": "src/calc.py", "line": 12, "column": 15,
     "end_line": 12, "end_column": 16, "operator": "comparison",
     "description": "< to <=", "original": "<", "replacement": "<=",
     "tests": ["tests/test_calc.py::test_add", "tests/test_calc.py::test_sub"], "static": false},
    {"id": "calc_g002", "static": true},
    {"id": "calc_g003", "tests": []}
  ],
  "tests": {"tests/test_calc.py::test_add": {"duration_ms": 3.5},
            "tests/test_calc.py::test_sub": {"duration_ms": 1.5}}
})";

}  // namespace

TEST_CASE("a valid manifest: every field, in file order", "[manifest]") {
  auto m = parse_manifest(valid, "m.json");
  REQUIRE(m.gremlins.size() == 3);
  const auto& g = m.gremlins[0];
  CHECK(g.id == "calc_g001");
  CHECK(g.file == "src/calc.py");
  CHECK(g.line == 12);
  CHECK(g.column == 15);
  CHECK(g.end_line == 12);
  CHECK(g.end_column == 16);
  CHECK(g.operator_name == "comparison");
  CHECK(g.description == "< to <=");
  CHECK(g.original == "<");
  CHECK(g.replacement == "<=");
  CHECK(g.tests == std::vector<std::string>{"tests/test_calc.py::test_add", "tests/test_calc.py::test_sub"});
  CHECK(g.has_tests);
  CHECK_FALSE(g.is_static);
  CHECK(g.tests_ms == Approx(5.0));  // the covering tests' durations summed
  CHECK(m.test_durations_ms.at("tests/test_calc.py::test_add") == 3.5);
  CHECK(m.gremlins[1].id == "calc_g002");
  CHECK(m.gremlins[1].is_static);
  CHECK_FALSE(m.gremlins[1].has_tests);  // no "tests": weight 1, runs everything
  CHECK(m.gremlins[1].tests_ms == 0);
}

TEST_CASE("\"tests\": [] marks a gremlin that no test covers", "[manifest]") {
  auto m = parse_manifest(valid, "m.json");
  CHECK(m.gremlins[2].has_tests);
  CHECK(m.gremlins[2].tests.empty());
}

TEST_CASE("only id is required", "[manifest]") {
  auto m = parse_manifest(R"({"gremlins": [{"id": "a"}]})", "m.json");
  REQUIRE(m.gremlins.size() == 1);
  CHECK(m.gremlins[0].id == "a");
  CHECK(m.gremlins[0].file.empty());
  CHECK(parse_manifest(R"({"gremlins": []})", "m.json").gremlins.empty());
}

TEST_CASE("malformed JSON: the message names file and line", "[manifest]") {
  auto msg = refusal("{\n  \"gremlins\": [\n    {\"id\": \"a\"},\n    {\"id\": \"b\",}\n  ]\n}\n");
  CHECK_THAT(msg, Catch::StartsWith("m.json:4:"));
  CHECK_THAT(msg, Catch::Contains("not valid JSON"));
  CHECK_THAT(refusal("{\"gremlins\": ["), Catch::StartsWith("m.json:1:"));
  CHECK_THAT(refusal(""), Catch::StartsWith("m.json:"));
}

TEST_CASE("wrong types: the message names the line and the field", "[manifest]") {
  auto msg = refusal("{\"gremlins\": [\n  {\"id\": \"a\", \"line\": 3},\n  {\"id\": \"b\",\n   \"line\": \"x\"}\n]}");
  CHECK_THAT(msg, Catch::StartsWith("m.json:4:"));
  CHECK_THAT(msg, Catch::Contains("gremlins[1].line"));
  CHECK_THAT(refusal(R"({"gremlins": [{"id": "a", "line": -1}]})"), Catch::Contains("gremlins[0].line"));
  CHECK_THAT(refusal(R"({"gremlins": [{"id": 7}]})"), Catch::Contains("gremlins[0].id"));
  CHECK_THAT(refusal(R"({"gremlins": [{"id": "a", "file": 1}]})"), Catch::Contains("gremlins[0].file"));
  CHECK_THAT(refusal(R"({"gremlins": [{"id": "a", "tests": "t"}]})"), Catch::Contains("gremlins[0].tests"));
  CHECK_THAT(refusal(R"({"gremlins": [{"id": "a", "tests": ["t", 3]}]})"),
             Catch::Contains("gremlins[0].tests[1]"));
  CHECK_THAT(refusal(R"({"gremlins": [{"id": "a", "static": "no"}]})"), Catch::Contains("gremlins[0].static"));
  CHECK_THAT(refusal(R"({"gremlins": ["a"]})"), Catch::Contains("gremlins[0]"));
  CHECK_THAT(refusal(R"({"gremlins": {"id": "a"}})"), Catch::Contains("gremlins"));
  CHECK_THAT(refusal(R"([{"id": "a"}])"), Catch::Contains("top level"));
  CHECK_THAT(refusal(R"({"version": 2, "gremlins": []})"), Catch::Contains("version"));
  CHECK_THAT(refusal(R"({"gremlins": [], "tests": {"t": {"duration_ms": "slow"}}})"),
             Catch::Contains("duration_ms"));
}

TEST_CASE("a missing gremlins list or id is refused", "[manifest]") {
  CHECK_THAT(refusal(R"({"version": 1})"), Catch::Contains("'gremlins' is missing"));
  auto msg = refusal("{\"gremlins\": [\n {\"id\": \"a\"},\n {\"file\": \"x.py\"}\n]}");
  CHECK_THAT(msg, Catch::StartsWith("m.json:3:"));
  CHECK_THAT(msg, Catch::Contains("gremlins[1]"));
  CHECK_THAT(msg, Catch::Contains("'id' is missing"));
  CHECK_THAT(refusal(R"({"gremlins": [{"id": ""}]})"), Catch::Contains("empty"));
  CHECK_THAT(refusal(R"({"gremlins": [{"id": "a b"}]})"), Catch::Contains("spaces"));
}

TEST_CASE("duplicate ids are refused, naming the second", "[manifest]") {
  auto msg = refusal("{\"gremlins\": [\n {\"id\": \"a\"},\n {\"id\": \"b\"},\n {\"id\": \"a\"}\n]}");
  CHECK_THAT(msg, Catch::StartsWith("m.json:4:"));
  CHECK_THAT(msg, Catch::Contains("gremlins[2].id"));
  CHECK_THAT(msg, Catch::Contains("duplicate gremlin id 'a'"));
}

TEST_CASE("load_manifest reads a file and names it", "[manifest]") {
  temp_file f(valid);
  CHECK(load_manifest(f.path).gremlins.size() == 3);
  temp_file bad("{\"gremlins\": [\n{\"id\": 1}]}");
  CHECK_THROWS_WITH(load_manifest(bad.path), Catch::StartsWith(bad.path + ":2:"));
  CHECK_THROWS_WITH(load_manifest("/nonexistent/m.json"), Catch::Contains("/nonexistent/m.json"));
}

TEST_CASE("id list: --gremlins a,b,c", "[manifest]") {
  auto gs = gremlins_from_list("a,b,c");
  REQUIRE(gs.size() == 3);
  CHECK(gs[0].id == "a");
  CHECK(gs[2].id == "c");
  CHECK_FALSE(gs[0].has_tests);
  CHECK_THROWS_WITH(gremlins_from_list("a,,b"), Catch::Contains("entry 2"));
  CHECK_THROWS_WITH(gremlins_from_list("a,b,a"), Catch::Contains("duplicate gremlin id 'a'"));
  CHECK_THROWS_AS(gremlins_from_list(""), input_error);
}

TEST_CASE("id file: --gremlin-ids FILE: comments, blank lines, spaces, and duplicates refused", "[manifest]") {
  temp_file f("# gremlins to run\n\ng1\n  g2  \r\n\t# indented comment\ng3\n\n");
  auto gs = load_gremlin_ids(f.path);
  REQUIRE(gs.size() == 3);
  CHECK(gs[0].id == "g1");
  CHECK(gs[1].id == "g2");
  CHECK(gs[2].id == "g3");
  temp_file dup("g1\n# x\ng2\ng1\n");
  CHECK_THROWS_WITH(load_gremlin_ids(dup.path), Catch::StartsWith(dup.path + ":4:") &&
                                                    Catch::Contains("duplicate gremlin id 'g1'"));
  temp_file spaced("g1\ng 2\n");
  CHECK_THROWS_WITH(load_gremlin_ids(spaced.path), Catch::StartsWith(spaced.path + ":2:"));
  temp_file empty("# nothing\n\n");
  CHECK_THROWS_WITH(load_gremlin_ids(empty.path), Catch::Contains("no gremlin ids"));
  CHECK_THROWS_WITH(load_gremlin_ids("/nonexistent/ids.txt"), Catch::Contains("/nonexistent/ids.txt"));
}

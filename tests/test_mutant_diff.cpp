// A gremlin's mutation applied to its source text (unified_diff.hpp, apply_mutant): exactly the
// manifest's span replaced, checked against `original`; and its unified diff, which the real
// `patch` program applies to give the same mutant.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <tuple>

#include "messages/gremlin.hpp"
#include "runtime/formats/unified_diff.hpp"
#include "tests/test_report_fixture.hpp"

using namespace gremlins;
using namespace gremlins::testing;

namespace {

gremlin at(int line, int column, int end_line, int end_column, std::string original, std::string replacement) {
  gremlin g;
  g.id = "g";
  g.file = "src/a.py";
  g.line = line;
  g.column = column;
  g.end_line = end_line;
  g.end_column = end_column;
  g.original = std::move(original);
  g.replacement = std::move(replacement);
  return g;
}

const std::string source =
    "def clamp(low, high, x):\n"
    "    if low > high:\n"
    "        raise ValueError\n"
    "    return max(low, min(high, x))\n";

}  // namespace

TEST_CASE("mutant: the span (1-based columns, end exclusive) replaced by the replacement", "[diff][mutant]") {
  std::string why;
  auto m = apply_mutant(source, at(2, 12, 2, 13, ">", ">="), why);
  REQUIRE(m);
  CHECK(m->first_line == 2);
  CHECK(m->before == std::vector<std::string>{"    if low > high:"});
  CHECK(m->after == std::vector<std::string>{"    if low >= high:"});
  CHECK(m->mutated_source == "def clamp(low, high, x):\n    if low >= high:\n        raise ValueError\n"
                             "    return max(low, min(high, x))\n");
  // Without end_line the span is the original's length.
  auto short_form = apply_mutant(source, at(2, 12, 0, 0, ">", ">="), why);
  REQUIRE(short_form);
  CHECK(short_form->mutated_source == m->mutated_source);
}

TEST_CASE("mutant: columns count characters, not bytes", "[diff][mutant]") {
  std::string text = "s = 'é' + x < 3\n";  // é is two bytes, one column
  std::string why;
  auto m = apply_mutant(text, at(1, 13, 1, 14, "<", "<="), why);
  REQUIRE(m);
  CHECK(m->after.front() == "s = 'é' + x <= 3");
}

TEST_CASE("mutant: a span over several lines, and a replacement that removes them", "[diff][mutant]") {
  std::string text = "def f(x):\n    return (x +\n            1)\n";
  std::string why;
  auto m = apply_mutant(text, at(2, 12, 3, 15, "(x +\n            1)", "None"), why);
  REQUIRE(m);
  CHECK(m->before == std::vector<std::string>{"    return (x +", "            1)"});
  CHECK(m->after == std::vector<std::string>{"    return None"});
  CHECK(m->mutated_source == "def f(x):\n    return None\n");
}

TEST_CASE("mutant: refused with the reason when the file does not hold the original there", "[diff][mutant]") {
  std::string why;
  CHECK_FALSE(apply_mutant(source, at(2, 11, 2, 12, ">", ">="), why));  // 0-based columns: one too far left
  CHECK_THAT(why, Catch::Contains("other text at line 2 column 11 than the gremlin's '>'"));
  CHECK_FALSE(apply_mutant(source, at(9, 1, 9, 2, "x", "y"), why));
  CHECK_THAT(why, Catch::Contains("line 9 column 1 is not in the file"));
  CHECK_FALSE(apply_mutant(source, at(2, 60, 2, 61, ">", ">="), why));
  CHECK_FALSE(apply_mutant(source, at(2, 0, 0, 0, ">", ">="), why));
  CHECK_THAT(why, Catch::Contains("no column"));
  CHECK_FALSE(apply_mutant(source, at(2, 12, 2, 13, "", ">="), why));
  CHECK_THAT(why, Catch::Contains("no original text"));
}

TEST_CASE("unified diff: one hunk with three lines of context, and `patch` applies it", "[diff][mutant]") {
  std::string text;
  for (int i = 1; i <= 10; ++i) text += "line " + std::to_string(i) + "\n";
  std::string why;
  auto m = apply_mutant(text, at(6, 6, 6, 7, "6", "six"), why);
  REQUIRE(m);
  std::string diff = unified_diff_of("src/a.py", text, *m);
  CHECK(diff == "--- a/src/a.py\n+++ b/src/a.py\n@@ -3,7 +3,7 @@\n line 3\n line 4\n line 5\n-line 6\n+line six\n"
                " line 7\n line 8\n line 9\n");
  // At the start of the file, and at an end without a newline.
  std::string last = "a = 1\nb = 2";
  auto end = apply_mutant(last, at(2, 5, 2, 6, "2", "3"), why);
  REQUIRE(end);
  CHECK(unified_diff_of("x.py", last, *end) ==
        "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n\\ No newline at end of file\n+b = 3\n"
        "\\ No newline at end of file\n");

  temp_dir dir;
  for (const auto& [name, content, mutant] :
       {std::tuple<std::string, std::string, std::optional<gremlins::mutant>>{"src/a.py", text, m},
        {"x.py", last, end}}) {
    write_file(dir.path, name, content);
    write_file(dir.path, "change.diff", unified_diff_of(name, content, *mutant));
    std::string cmd = "cd '" + dir.str() + "' && patch -p1 --quiet < change.diff";
    REQUIRE(std::system(cmd.c_str()) == 0);
    CHECK(read_file(dir.path / name) == mutant->mutated_source);
  }
}

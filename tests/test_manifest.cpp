// Reading gremlins: the manifest (docs/results-json.md, "The manifest"), --gremlins a,b and --gremlin-ids FILE. Every
// refusal names the file, the line and the field.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "runtime/formats/input_file.hpp"
#include "runtime/formats/manifest.hpp"
#include "runtime/rules/utf8.hpp"

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

TEST_CASE("\"zygote\": a static gremlin the warm worker imports afresh itself", "[manifest]") {
  auto m = parse_manifest(R"({"gremlins": [{"id": "a", "static": true, "zygote": true}, {"id": "b", "static": true}]})",
                          "m.json");
  CHECK(m.gremlins[0].is_static);
  CHECK(m.gremlins[0].zygote);
  CHECK_FALSE(m.gremlins[1].zygote);
  CHECK_THAT(refusal(R"({"gremlins": [{"id": "a", "zygote": "yes"}]})"), Catch::Contains("gremlins[0].zygote"));
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

// --- hostile input: folders, devices, endless pipes, invalid UTF-8 -----------------------------

namespace {

/// The message of the input_error `f()` throws ("" when it throws none).
template <class F>
std::string refusal_of(F f) {
  try {
    f();
  } catch (const input_error& e) {
    return e.what();
  }
  return {};
}

/// A temporary folder with a FIFO in it.
struct temp_fifo {
  std::filesystem::path dir;
  std::string path;
  temp_fifo() {
    char name[] = "/tmp/gremlins-fifo-XXXXXX";
    REQUIRE(::mkdtemp(name));
    dir = name;
    path = (dir / "fifo").string();
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  }
  ~temp_fifo() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

/// Writes `chunk` into the FIFO until the reader goes away (an endless producer), or once.
void feed_fifo(const std::string& path, const std::string& chunk, bool endless) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // this thread only: EPIPE instead
  int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) return;
  do {
    if (::write(fd, chunk.data(), chunk.size()) < 0) break;
  } while (endless);
  ::close(fd);
}

}  // namespace

TEST_CASE("a manifest that is a folder is refused, naming it", "[manifest]") {
  char name[] = "/tmp/gremlins-dir-XXXXXX";
  REQUIRE(::mkdtemp(name));
  std::string dir = name;
  auto msg = refusal_of([&] { load_manifest(dir); });
  std::filesystem::remove(dir);
  CHECK_THAT(msg, Catch::Contains(dir) && Catch::Contains("folder"));
  CHECK_THAT(refusal_of([&] { load_gremlin_ids("/tmp"); }), Catch::Contains("/tmp") && Catch::Contains("folder"));
}

TEST_CASE("a manifest that is an endless device is refused at once, naming it", "[manifest]") {
  auto start = std::chrono::steady_clock::now();
  auto msg = refusal_of([] { load_manifest("/dev/zero"); });
  CHECK_THAT(msg, Catch::Contains("/dev/zero") && Catch::Contains("character device"));
  CHECK_THAT(refusal_of([] { load_gremlin_ids("/dev/urandom"); }), Catch::Contains("/dev/urandom"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("input files: an endless FIFO is cut at the limit, a finite one is read", "[manifest]") {
  CHECK(max_input_file_bytes == (std::uint64_t(1) << 30));
  {
    temp_fifo f;
    std::thread writer(feed_fifo, f.path, std::string(1 << 16, 'g'), true);
    auto in = read_input_file(f.path, 1 << 20);
    writer.join();
    CHECK_THAT(in.problem, Catch::Contains("larger than the limit of 1 MiB"));
    CHECK(in.text.empty());
  }
  {
    temp_fifo f;  // as `--gremlin-ids <(command)` gives
    std::thread writer(feed_fifo, f.path, std::string("g1\ng2\n"), false);
    auto gs = load_gremlin_ids(f.path);
    writer.join();
    REQUIRE(gs.size() == 2);
    CHECK(gs[1].id == "g2");
  }
  temp_file big("0123456789x");
  CHECK_THAT(read_input_file(big.path, 10).problem, Catch::Contains("larger than the limit of 10 bytes"));
  CHECK(read_input_file(big.path, 11).text == "0123456789x");
  CHECK_THAT(read_input_file("/nonexistent/x").problem, Catch::Contains("cannot be read"));
}

TEST_CASE("a gremlin id that is not valid UTF-8 is refused, naming file, line and field", "[manifest]") {
  auto msg = refusal("{\"gremlins\": [\n {\"id\": \"a\"},\n {\"id\": \"b\xff\"}\n]}");
  CHECK_THAT(msg, Catch::StartsWith("m.json:3: gremlins[1].id: not valid UTF-8"));
  CHECK_THAT(msg, Catch::Contains("0xff"));
  CHECK(is_valid_utf8(msg));
  // Overlong forms and surrogates are not UTF-8 either.
  CHECK_THAT(refusal("{\"gremlins\": [{\"id\": \"\xC0\xAF\"}]}"), Catch::Contains("gremlins[0].id: not valid UTF-8"));
  CHECK_THAT(refusal("{\"gremlins\": [{\"id\": \"\xED\xA0\x80\"}]}"), Catch::Contains("gremlins[0].id: not valid UTF-8"));
  // Any other field, and a key, are named the same way.
  CHECK_THAT(refusal("{\"gremlins\": [\n{\"id\": \"a\",\n \"description\": \"caf\xe9\"}]}"),
             Catch::StartsWith("m.json:3: gremlins[0].description: not valid UTF-8"));
  CHECK_THAT(refusal("{\"gremlins\": [], \"tests\": {\"t\xff\": {\"duration_ms\": 1}}}"),
             Catch::Contains("tests[") && Catch::Contains("not valid UTF-8"));
  // Valid non-ASCII ids are fine; C1 controls are control characters.
  CHECK(parse_manifest("{\"gremlins\": [{\"id\": \"caf\xC3\xA9_g1\"}]}", "m.json").gremlins[0].id == "caf\xC3\xA9_g1");
  CHECK_THAT(refusal("{\"gremlins\": [{\"id\": \"a\xC2\x85" "b\"}]}"), Catch::Contains("control characters"));
  // The file name itself may be anything: the message is still UTF-8.
  auto bad_name = refusal_of([] { load_manifest("/nonexistent/m\xff.json"); });
  CHECK_THAT(bad_name, Catch::Contains("/nonexistent/m"));
  CHECK(is_valid_utf8(bad_name));
}

TEST_CASE("ids given by --gremlins and --gremlin-ids must be valid UTF-8", "[manifest]") {
  auto list = refusal_of([] { gremlins_from_list("a,b\xff"); });
  CHECK_THAT(list, Catch::Contains("--gremlins: entry 2") && Catch::Contains("UTF-8"));
  CHECK(is_valid_utf8(list));
  CHECK(gremlins_from_list("a,\xC3\xA9").size() == 2);
  temp_file ids("g1\n# caf\xe9 in a comment is skipped\ng\xe9\n");
  auto file = refusal_of([&] { load_gremlin_ids(ids.path); });
  CHECK_THAT(file, Catch::StartsWith(ids.path + ":3:") && Catch::Contains("UTF-8"));
  CHECK_FALSE(check_gremlin_id("x\xF4\x90\x80\x80").empty());
  CHECK(check_gremlin_id("x\xF4\x8F\xBF\xBF").empty());
}

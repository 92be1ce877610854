#pragma once
// A hand-built run_report shared by the report tests: a small project on disk (two source files
// and one test file) and gremlins of every status, one of them without a source location.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "runtime/formats/run_report.hpp"

namespace gremlins::testing {

/// A fresh temporary folder, removed when the object goes.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "gremlin-reports-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::string str() const { return path.string(); }
};

/// Writes `text` to `root/rel`, creating folders.
inline void write_file(const std::filesystem::path& root, const std::string& rel,
                       const std::string& text) {
  auto p = root / rel;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

/// Reads a whole file.
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline gremlin make_gremlin(std::string id, std::string file, int line, int col, int end_col,
                            std::string op, std::string original, std::string replacement,
                            std::vector<std::string> tests) {
  gremlin g;
  g.id = std::move(id);
  g.file = std::move(file);
  g.line = line;
  g.column = col;
  g.end_line = line;
  g.end_column = end_col;
  g.operator_name = std::move(op);
  g.original = std::move(original);
  g.replacement = std::move(replacement);
  g.description = g.original + " to " + g.replacement;
  g.tests = std::move(tests);
  g.has_tests = true;
  return g;
}

inline worker_result make_result(std::string id, status s, std::string killing = {},
                                 double ms = 10, std::string err = {}) {
  return worker_result{std::move(id), s, std::move(killing), ms, std::move(err)};
}

/// The project: src/calc.py, src/util.py, tests/test_calc.py under `root`.
inline void write_sample_project(const std::filesystem::path& root) {
  write_file(root, "src/calc.py",
             "def add(a, b):\n"
             "    return a + b\n"
             "\n"
             "def is_small(x):\n"
             "    return x < 10\n"
             "\n"
             "def is_big(x):\n"
             "    return x > 100\n"
             "\n"
             "def both(a, b):\n"
             "    return a and b\n");
  write_file(root, "src/util.py",
             "def double(x):\n"
             "    return x * 2\n");
  write_file(root, "tests/test_calc.py",
             "from src.calc import add\n"
             "\n"
             "def test_add():\n"
             "    assert add(1, 2) == 3\n"
             "\n"
             "def test_small():\n"
             "    assert True\n");
}

/// 8 gremlins: 2 zapped, 3 survived (two files), 1 timeout, 1 error, 1 no_coverage;
/// score = (2 + 1) / (2 + 1 + 3 + 1) = 42.857...; calc_g008 has no manifest entry at all.
inline run_report sample_report(const std::string& rootdir) {
  const std::string t_add = "tests/test_calc.py::test_add";
  const std::string t_small = "tests/test_calc.py::test_small";
  run_report r;
  r.rootdir = rootdir;
  r.wall_ms = 2000;
  r.pool.executor = "fork";
  r.pool.workers = 2;
  r.pool.warmup_completed = 2;
  r.pool.is_warmed_up = true;
  r.pool.restarts = 1;
  r.pool.batches = 3;
  r.pool.start_method = "fork";
  r.test_durations_ms = {{t_add, 3.5}, {t_small, 1.25}};
  for (auto g : {make_gremlin("calc_g001", "src/calc.py", 2, 14, 15, "arithmetic", "+", "-", {t_add}),
                 make_gremlin("calc_g002", "src/calc.py", 5, 14, 15, "comparison", "<", "<=", {t_small}),
                 make_gremlin("calc_g003", "src/calc.py", 8, 14, 15, "comparison", ">", ">=", {t_small}),
                 make_gremlin("calc_g004", "src/calc.py", 11, 14, 17, "boolean", "and", "or", {t_add}),
                 make_gremlin("calc_g005", "src/calc.py", 2, 12, 17, "return", "a + b", "None", {t_add}),
                 make_gremlin("util_g001", "src/util.py", 2, 14, 15, "arithmetic", "*", "/", {t_add}),
                 make_gremlin("util_g002", "src/util.py", 2, 16, 17, "number", "2", "3", {})})
    r.gremlins[g.id] = g;
  r.results = {
      make_result("calc_g001", status::zapped, t_add, 12.5),
      make_result("calc_g002", status::survived, "", 11),
      make_result("calc_g003", status::survived, "", 9.75),
      make_result("calc_g004", status::timeout, "", 3000, "time limit of 3 s exceeded"),
      make_result("calc_g005", status::zapped, t_add, 8),
      make_result("calc_g008", status::error, "", 1,
                  "collection failed: ImportError: no module named calc\nTraceback ..."),
      make_result("util_g001", status::survived, "", 7),
      make_result("util_g002", status::no_coverage, "", 0),
  };
  return r;
}

/// The sample report with bytes that are not UTF-8 everywhere a string goes: ids (two of which
/// sanitize to the same text, beside a valid id already spelled that way), test ids, file
/// paths, descriptions, outputs, the rootdir and the pool; src/latin1.py holds Latin-1 text.
inline run_report hostile_report(const std::filesystem::path& root) {
  write_sample_project(root);
  write_file(root, "src/latin1.py", "# caf\xe9\nx = '\xff'\n");
  run_report r = sample_report(root.string());  // sources must still be found
  r.pool.executor = "fork\xc0";
  r.pool.warmup_error = "warm-up: \xed\xa0\x80 surrogate";
  const std::string bad_test = "tests/test_calc.py::test_\xe9";
  r.test_durations_ms[bad_test] = 2;
  auto g = make_gremlin("bad\xff", "src/latin1.py", 2, 5, 9, "string\xfe", "'\xff'", "''", {bad_test});
  g.description = "caf\xe9 to nothing";
  r.gremlins[g.id] = g;
  auto g2 = make_gremlin("bad\xfe", "src/latin1.py", 1, 1, 2, "comment", "#", "", {bad_test});
  r.gremlins[g2.id] = g2;
  auto g3 = make_gremlin("bad\xEF\xBF\xBD", "src/latin1.py", 1, 3, 4, "comment", "c", "d", {});
  r.gremlins[g3.id] = g3;
  r.results.push_back(make_result("bad\xff", status::zapped, bad_test, 5, "FAILED " + bad_test + "\n\xff\xfe"));
  r.results.push_back(make_result("bad\xfe", status::error, "", 5,
                                  "Traceback\nUnicodeDecodeError: byte \xc3 truncated\xc3"));
  r.results.push_back(make_result("bad\xEF\xBF\xBD", status::survived, "", 5, ""));
  // A long output whose last 2000 bytes start inside a two-byte character.
  std::string long_output = "x";
  for (int i = 0; i < 3000; ++i) long_output += "\xC3\xA9";
  long_output += "y";
  r.results[3].error_output = long_output;  // calc_g004, the timeout
  return r;
}

/// `n` results the scheduler records when a run is stopped (status error, "cancelled: ..."), for
/// gremlins cancel_g001... without a manifest entry.
inline std::vector<worker_result> cancelled_results(int n) {
  std::vector<worker_result> out;
  for (int i = 1; i <= n; ++i)
    out.push_back(make_result("cancel_g00" + std::to_string(i), status::error, "", 0,
                              i % 2 ? "cancelled: the run was stopped before this gremlin started"
                                    : "cancelled: the run was stopped while this gremlin was running"));
  return out;
}

}  // namespace gremlins::testing

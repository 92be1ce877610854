// The layout promises of the README's "Design in a page", checked on the source tree:
// - only runtime/process/ includes Boost.Process or starts or signals processes;
// - actors never include each other;
// - no file refers to a document that is not in the repository.
// Patterns are assembled from pieces so that this file does not match itself.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path root = GREMLINS_SOURCE_DIR;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool skipped_dir(const fs::path& p) {
  auto name = p.filename().string();
  return name == ".git" || name.rfind("build", 0) == 0 || name == "node_modules" ||
         name == "__pycache__" || name == ".gremlins" || name == ".pytest_cache";
}

/// Every file under `dir` (relative to the root) whose extension is in `exts` ("" = none).
std::vector<fs::path> files_under(const fs::path& dir, const std::set<std::string>& exts) {
  std::vector<fs::path> out;
  if (!fs::exists(root / dir)) return out;
  for (auto it = fs::recursive_directory_iterator(root / dir); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && skipped_dir(it->path())) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && exts.count(it->path().extension().string()))
      out.push_back(fs::relative(it->path(), root));
  }
  return out;
}

/// Lines of `text` that match `re`, as "file:line: text"; `code_only` ignores // comments.
std::vector<std::string> matching_lines(const fs::path& rel, const std::string& text, const std::regex& re,
                                        bool code_only = false) {
  std::vector<std::string> hits;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    auto code = code_only ? line.substr(0, line.find("//")) : line;
    if (std::regex_search(code, re)) hits.push_back(rel.string() + ":" + std::to_string(n) + ": " + line);
  }
  return hits;
}

const std::set<std::string> cxx = {".cpp", ".hpp"};

}  // namespace

TEST_CASE("layout: only runtime/process/ includes Boost.Process or starts or signals processes", "[layout]") {
  // fork, vfork, the exec family, posix_spawn, kill and killpg called as functions.
  const std::regex forbidden(std::string("#include\\s*<boost/") + "process|" +
                             "(^|[^_a-zA-Z0-9.>])(::)?(v?fork|exec(l|lp|le|v|vp|vpe|ve)|" +
                             "posix_spawnp?|kill|killpg)\\s*\\(");
  std::vector<std::string> hits;
  std::size_t scanned = 0;
  for (const char* dir : {"messages", "actors", "runtime", "cli"}) {
    for (const auto& rel : files_under(dir, cxx)) {
      if (rel.string().rfind("runtime/process/", 0) == 0) continue;
      ++scanned;
      for (auto& h : matching_lines(rel, slurp(root / rel), forbidden, true)) hits.push_back(h);
    }
  }
  CHECK(scanned > 20);
  INFO("outside runtime/process/:\n" << [&] { std::string s; for (auto& h : hits) s += h + "\n"; return s; }());
  CHECK(hits.empty());
  // The scanner itself finds what it must (so an empty result means something).
  CHECK(std::regex_search("  ::kill(-pid, SIGKILL);", forbidden));
  CHECK(std::regex_search("pid = fork();", forbidden));
  CHECK(std::regex_search(std::string("#include <boost/") + "process/child.hpp>", forbidden));
  CHECK_FALSE(std::regex_search("runner->kill_group(token, SIGKILL);", forbidden));
  CHECK_FALSE(std::regex_search("process_runner::kill_pgid(pgid, SIGKILL);", forbidden));
  // And the process folder really does these things (the rule is not vacuous).
  bool process_has_them = false;
  for (const auto& rel : files_under("runtime/process", cxx))
    process_has_them = process_has_them || !matching_lines(rel, slurp(root / rel), forbidden, true).empty();
  CHECK(process_has_them);
}

TEST_CASE("layout: actors never include each other", "[layout]") {
  const std::regex include_actor("#include\\s*\"actors/([a-z_]+)\\.hpp\"");
  std::vector<std::string> hits;
  for (const auto& rel : files_under("actors", cxx)) {
    auto own = rel.stem().string();
    auto text = slurp(root / rel);
    for (std::sregex_iterator it(text.begin(), text.end(), include_actor), end; it != end; ++it) {
      auto included = (*it)[1].str();
      // Its own header, and the shared non-actor header of the two workers, are fine.
      if (included != own && included != "test_run") hits.push_back(rel.string() + " includes actors/" + included + ".hpp");
    }
  }
  INFO([&] { std::string s; for (auto& h : hits) s += h + "\n"; return s; }());
  CHECK(hits.empty());
}

// catch_discover_tests hands each name to ctest as a CMake list item: a ';' splits it into
// names that match no test, and ctest then counts the empty run as passed. A leading '-' reads
// as an option. ('[' and ',' are escaped by catch_discover_tests.)
TEST_CASE("layout: every Catch2 test name reaches ctest whole", "[layout]") {
  const std::regex test_case("TEST_CASE\\(\"([^\"]*)\"");
  std::vector<std::string> hits;
  std::size_t names = 0;
  for (const auto& rel : files_under("tests", cxx)) {
    auto text = slurp(root / rel);
    for (std::sregex_iterator it(text.begin(), text.end(), test_case), end; it != end; ++it) {
      auto name = (*it)[1].str();
      ++names;
      if (name.find(';') != std::string::npos || (!name.empty() && name.front() == '-'))
        hits.push_back(rel.string() + ": \"" + name + "\"");
    }
  }
  INFO([&] { std::string s; for (auto& h : hits) s += h + "\n"; return s; }());
  CHECK(names > 100);
  CHECK(hits.empty());
}

TEST_CASE("layout: every document referred to is in the repository", "[layout]") {
  const std::set<std::string> text_files = {".cpp", ".hpp", ".py", ".sh", ".md", ".txt", ".cmake",
                                            ".in", ".toml", ".ini", ".js", ".html", ".cfg", ""};
  // Documents of the project's background that are not part of it.
  const std::regex outside(std::string("SP") + "EC ?§|SP" + "EC [0-9]|PROTO" + "COL\\.md|STY" + "LE\\.md|NO" +
                           "TES\\.md|\\bshar" + "ed/|the se" + "ed\\b|[Ss]ee" + "d's");
  // Any other Markdown file named: it must exist beside the naming file or from the root.
  const std::regex md_ref("([A-Za-z0-9_./-]*[A-Za-z0-9_-]\\.md)\\b");
  std::vector<std::string> hits;
  std::size_t scanned = 0;
  for (const auto& rel : files_under(".", text_files)) {
    auto name = rel.filename().string();
    if (rel.extension().empty() && name != "run") continue;  // .ci/run; not binaries
    ++scanned;
    auto text = slurp(root / rel);
    for (auto& h : matching_lines(rel, text, outside)) hits.push_back(h);
    for (std::sregex_iterator it(text.begin(), text.end(), md_ref), end; it != end; ++it) {
      std::string name = (*it)[1].str();
      if (name[0] == '/') name.erase(0, 1);  // a path the test glues to the source folder
      fs::path ref = name;
      bool found = fs::exists(root / ref) || fs::exists(root / rel.parent_path() / ref);
      if (!found) hits.push_back(rel.string() + ": refers to " + ref.string() + ", which is not in the repository");
    }
  }
  CHECK(scanned > 50);
  INFO([&] { std::string s; for (auto& h : hits) s += h + "\n"; return s; }());
  CHECK(hits.empty());
  CHECK(std::regex_search(std::string("see SP") + "EC §5", outside));
  CHECK(std::regex_search(std::string("the se") + "ed's ResultAggregator", outside));
}

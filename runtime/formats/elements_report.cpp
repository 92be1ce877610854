#include "runtime/formats/elements_report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "runtime/formats/atomic_file.hpp"
#include "runtime/formats/json_text.hpp"
#include "runtime/formats/results_json.hpp"

#ifndef GREMLINS_VERSION
#define GREMLINS_VERSION "0.0.0"
#endif

namespace gremlins {

using nlohmann::json;

namespace {

constexpr std::size_t max_reason_chars = 2000;

std::string read_source(const std::string& rootdir, const std::string& rel) {
  std::filesystem::path p = std::filesystem::path(rootdir) / rel;
  std::ifstream in(p, std::ios::binary);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The number of characters (UTF-8 code points) of line `line` (1-based) of `source`.
int line_chars(const std::string& source, int line) {
  std::size_t start = 0;
  for (int l = 1; l < line; ++l) {
    start = source.find('\n', start);
    if (start == std::string::npos) return 0;
    ++start;
  }
  std::size_t end = source.find('\n', start);
  if (end == std::string::npos) end = source.size();
  int n = 0;
  for (std::size_t i = start; i < end; ++i)
    if ((static_cast<unsigned char>(source[i]) & 0xC0) != 0x80) ++n;
  return n;
}

// The manifest and the elements schema count alike (docs/results-json.md §2.1): lines and
// columns from 1, in characters, the end exclusive. So a position goes through unchanged.
// Column 0 (unknown) marks the whole line; a missing or impossible end, one character.
json location_of(const gremlin& g, const std::string& source) {
  int line = std::max(1, static_cast<int>(g.line));
  if (g.column <= 0) {
    int end_column = std::max(2, line_chars(source, line) + 1);
    return {{"start", {{"line", line}, {"column", 1}}}, {"end", {{"line", line}, {"column", end_column}}}};
  }
  int column = g.column;
  json end;
  if (g.end_line > 0 && (g.end_line > line || (g.end_line == line && g.end_column > column)))
    end = {{"line", g.end_line}, {"column", g.end_column}};
  else
    end = {{"line", line}, {"column", column + 1}};
  return {{"start", {{"line", line}, {"column", column}}}, {"end", end}};
}

// Keeps the tail: that is where a traceback says what went wrong (cut between characters).
std::string reason_excerpt(const std::string& text) {
  if (text.size() <= max_reason_chars) return json_text(text);
  return "…" + json_text(text.substr(utf8_ceil(text, text.size() - max_reason_chars)));
}

// Every string goes through json_text (invalid UTF-8 becomes U+FFFD); ids, files and test ids
// through json_names, so that they stay distinct and agree wherever they appear.
struct names {
  json_names ids, files, tests;
  explicit names(const run_report& report) {
    for (const auto& r : report.results) {
      ids.add(r.gremlin_id);
      if (!r.killing_test.empty()) tests.add(r.killing_test);
    }
    for (const auto& [id, g] : report.gremlins) {
      ids.add(id);
      if (!g.file.empty()) files.add(g.file);
      for (const auto& t : g.tests) tests.add(t);
    }
    for (const auto& [id, ms] : report.test_durations_ms) tests.add(id);
  }
};

json mutant_of(const worker_result& r, const gremlin& g, const std::string& source, names& n) {
  json m = {{"id", n.ids(r.gremlin_id)},
            {"mutatorName", g.operator_name.empty() ? std::string("unknown") : json_text(g.operator_name)},
            {"location", location_of(g, source)},
            {"status", elements_status(r.verdict)},
            {"duration", std::llround(r.execution_time_ms)}};
  if (!g.description.empty()) m["description"] = json_text(g.description);
  if (!g.replacement.empty()) m["replacement"] = json_text(g.replacement);
  if (!r.error_output.empty()) m["statusReason"] = reason_excerpt(r.error_output);
  if (!r.killing_test.empty()) m["killedBy"] = json::array({n.tests(r.killing_test)});
  if (g.has_tests) {
    json covered = json::array();
    for (const auto& t : g.tests) covered.push_back(n.tests(t));
    m["coveredBy"] = std::move(covered);
  }
  if (g.is_static) m["static"] = true;
  return m;
}

json files_of(const run_report& report, names& n) {
  json files = json::object();
  std::map<std::string, std::string> sources;  // by key: each file is read once
  for (const auto& r : report.results) {
    auto it = report.gremlins.find(r.gremlin_id);
    if (it == report.gremlins.end() || it->second.file.empty()) continue;
    const gremlin& g = it->second;
    const std::string& key = n.files(g.file);
    auto source = sources.find(key);
    if (source == sources.end()) {
      source = sources.emplace(key, read_source(report.rootdir, g.file)).first;
      files[key] = {{"language", language_of(g.file)},
                    {"source", json_text(source->second)},
                    {"mutants", json::array()}};
    }
    files[key]["mutants"].push_back(mutant_of(r, g, source->second, n));
  }
  return files;
}

std::set<std::string> known_tests(const run_report& report) {
  std::set<std::string> ids;
  for (const auto& [id, ms] : report.test_durations_ms) ids.insert(id);
  for (const auto& [id, g] : report.gremlins) ids.insert(g.tests.begin(), g.tests.end());
  for (const auto& r : report.results)
    if (!r.killing_test.empty()) ids.insert(r.killing_test);
  return ids;
}

// pytest node ids are "path::name"; a test id without "::" is its own file entry.
// The file and name parts are sanitized apart from the id; the id is what mutants refer to.
json test_files_of(const run_report& report, names& n) {
  json test_files = json::object();
  for (const auto& raw : known_tests(report)) {
    auto sep = raw.find("::");
    std::string raw_path = sep == std::string::npos ? raw : raw.substr(0, sep);
    std::string path = json_text(raw_path);
    std::string name = json_text(sep == std::string::npos ? raw : raw.substr(sep + 2));
    if (!test_files.contains(path)) {
      test_files[path] = {{"tests", json::array()}};
      std::string source = read_source(report.rootdir, raw_path);
      if (!source.empty()) test_files[path]["source"] = json_text(source);
    }
    test_files[path]["tests"].push_back({{"id", n.tests(raw)}, {"name", name}});
  }
  return test_files;
}

}  // namespace

const char* elements_status(status s) {
  switch (s) {
    case status::zapped: return "Killed";
    case status::survived: return "Survived";
    case status::timeout: return "Timeout";
    case status::error: return "RuntimeError";
    case status::no_coverage: return "NoCoverage";
  }
  return "RuntimeError";
}

std::string language_of(const std::string& path) {
  static const std::pair<const char*, const char*> by_extension[] = {
      {".py", "python"},     {".pyi", "python"},     {".cpp", "cpp"},       {".cc", "cpp"},
      {".cxx", "cpp"},       {".hpp", "cpp"},        {".hh", "cpp"},        {".h", "cpp"},
      {".c", "c"},           {".js", "javascript"},  {".mjs", "javascript"}, {".cjs", "javascript"},
      {".jsx", "javascript"}, {".ts", "typescript"}, {".tsx", "typescript"}, {".java", "java"},
      {".cs", "cs"},         {".scala", "scala"},    {".go", "go"},         {".rs", "rust"},
      {".rb", "ruby"},       {".php", "php"},        {".kt", "kotlin"},     {".swift", "swift"},
      {".sh", "bash"},       {".html", "html"},      {".svelte", "svelte"}, {".vue", "vue"}};
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& [e, lang] : by_extension)
    if (ext == e) return lang;
  return "plaintext";
}

json to_elements_report(const run_report& report) {
  names n(report);
  json doc = {{"schemaVersion", "2"},
              {"thresholds", {{"high", 80}, {"low", 60}}},
              {"files", files_of(report, n)}};
  json tests = test_files_of(report, n);
  if (!tests.empty()) doc["testFiles"] = tests;
  if (!report.rootdir.empty()) doc["projectRoot"] = json_text(report.rootdir);
  // run_report knows the whole wall time only: setup and the baseline are not split out yet.
  doc["performance"] = {{"setup", 0}, {"initialRun", 0}, {"mutation", std::llround(report.wall_ms)}};
  doc["framework"] = {{"name", "gremlin-actors"}, {"version", GREMLINS_VERSION}};
  return doc;
}

void write_elements_report(const run_report& report, const std::string& path) {
  // Every string is valid UTF-8 already; `replace` makes sure dump() cannot throw regardless.
  write_file_atomically(path, to_elements_report(report).dump(2, ' ', false, json::error_handler_t::replace) + "\n",
                        "elements report");
}

}  // namespace gremlins

#include "runtime/formats/results_json.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/formats/atomic_file.hpp"
#include "runtime/formats/input_file.hpp"
#include "runtime/formats/json_text.hpp"

namespace gremlins {

using nlohmann::json;

namespace {

double round_to(double x, double unit) { return std::round(x / unit) * unit; }

json summary_json(const run_report& report) {
  summary s = summarize(report.results, report.wall_ms);
  json j = {{"total", s.total}};
  for (std::size_t i = 0; i < status_count; ++i)
    j[to_string(static_cast<status>(i))] = s.counts[i];
  // Cancelled gremlins are counted in "error" too (their status); these say which were tested.
  auto cancelled = cancelled_count(report);
  j["cancelled"] = cancelled;
  j["tested"] = s.total - cancelled;
  j["score"] = round_to(s.score, 0.01);
  j["wall_ms"] = round_to(s.wall_ms, 0.001);
  return j;
}

json pool_json(const pool_stats& p) {
  json j = {{"executor", json_text(p.executor)},   {"workers", p.workers},
            {"warmup_completed", p.warmup_completed}, {"is_warmed_up", p.is_warmed_up},
            {"restarts", p.restarts},          {"batches", p.batches},
            {"start_method", json_text(p.start_method)}};
  if (!p.warmup_error.empty()) j["warmup_error"] = json_text(p.warmup_error);
  if (!p.nodes.empty()) {  // a run with worker nodes: who ran what (docs/nodes.md)
    json nodes = json::array();
    for (const auto& n : p.nodes)
      nodes.push_back({{"address", json_text(n.address)}, {"workers", n.workers}, {"gremlins", n.gremlins}});
    j["nodes"] = std::move(nodes);
  }
  return j;
}

// Every string goes through json_text (invalid UTF-8 becomes U+FFFD); ids and test ids through
// json_names, so that they stay distinct and the file can be read back.
struct names {
  json_names ids, tests;
  explicit names(const run_report& report) {
    for (const auto& r : report.results) {
      ids.add(r.gremlin_id);
      if (!r.killing_test.empty()) tests.add(r.killing_test);
    }
    for (const auto& [id, g] : report.gremlins) {
      ids.add(id);
      for (const auto& t : g.tests) tests.add(t);
    }
    for (const auto& [id, ms] : report.test_durations_ms) tests.add(id);
  }
};

// Only what the manifest gave goes into the file, so a re-read report shows the same gaps.
void add_manifest_fields(json& j, const gremlin& g, names& n) {
  if (!g.file.empty()) j["file"] = json_text(g.file);
  if (g.line > 0) {
    j["line"] = g.line;
    j["column"] = g.column;
  }
  if (g.end_line > 0) {
    j["end_line"] = g.end_line;
    j["end_column"] = g.end_column;
  }
  if (!g.operator_name.empty()) j["operator"] = json_text(g.operator_name);
  if (!g.description.empty()) j["description"] = json_text(g.description);
  if (!g.original.empty()) j["original"] = json_text(g.original);
  if (!g.replacement.empty()) j["replacement"] = json_text(g.replacement);
  if (g.has_tests) {
    json tests = json::array();
    for (const auto& t : g.tests) tests.push_back(n.tests(t));
    j["tests"] = std::move(tests);
  }
  if (g.is_static) j["static"] = true;
  if (!g.fingerprint.empty()) j["fingerprint"] = json_text(g.fingerprint);
}

json result_json(const worker_result& r, const run_report& report, names& n) {
  json j = {{"gremlin_id", n.ids(r.gremlin_id)},
            {"status", to_string(r.verdict)},
            {"killing_test", r.killing_test.empty() ? json(nullptr) : json(n.tests(r.killing_test))},
            {"execution_time_ms", round_to(r.execution_time_ms, 0.001)},
            {"error_output", json_text(r.error_output)}};
  auto it = report.gremlins.find(r.gremlin_id);
  if (it != report.gremlins.end()) add_manifest_fields(j, it->second, n);
  if (report.reused.count(r.gremlin_id)) j["reused"] = true;
  return j;
}

}  // namespace

namespace {

/// The results, sorted by the id as written (what a reader sees), each as its JSON object.
template <class Each>
void each_result_json(const run_report& report, names& n, Each&& each) {
  std::vector<std::pair<const std::string*, const worker_result*>> sorted;
  sorted.reserve(report.results.size());
  for (const auto& r : report.results) sorted.emplace_back(&n.ids(r.gremlin_id), &r);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return *a.first < *b.first; });
  for (const auto& [id, r] : sorted) each(result_json(*r, report, n));
}

/// Everything but the results.
json head_json(const run_report& report, names& n) {
  json tests = json::object();
  for (const auto& [id, ms] : report.test_durations_ms) tests[n.tests(id)] = {{"duration_ms", ms}};
  json head = {{"schema", results_schema},       {"rootdir", json_text(report.rootdir)},
               {"interrupted", report.interrupted}, {"summary", summary_json(report)},
               {"pool", pool_json(report.pool)}, {"tests", tests}};
  if (!report.shard.empty()) head["shard"] = report.shard;
  if (!report.selection.empty()) head["selection"] = report.selection;
  if (!report.source_digests.empty()) {
    json sources = json::object();
    for (const auto& [file, digest] : report.source_digests) sources[json_text(file)] = {{"sha256", digest}};
    head["sources"] = std::move(sources);
  }
  return head;
}

}  // namespace

json to_results_json(const run_report& report) {
  names n(report);
  json doc = head_json(report, n);
  json results = json::array();
  each_result_json(report, n, [&](json r) { results.push_back(std::move(r)); });
  doc["results"] = std::move(results);
  return doc;
}

void write_results_json(const run_report& report, const std::string& path) {
  // Streamed: one result's JSON object at a time, so 100k results never sit in memory as a
  // document. The text is what dump(2) of to_results_json() would give, with "results" last.
  // Every string is valid UTF-8 already; `replace` makes sure dump() cannot throw regardless.
  names n(report);
  auto text = head_json(report, n).dump(2, ' ', false, json::error_handler_t::replace);
  text.pop_back();  // the closing brace; "results" follows
  while (!text.empty() && text.back() == '\n') text.pop_back();
  text += ",\n  \"results\": [";
  bool first = true;
  each_result_json(report, n, [&](const json& r) {
    auto one = r.dump(2, ' ', false, json::error_handler_t::replace);
    text += first ? "\n    " : ",\n    ";
    first = false;
    for (char c : one) {
      text += c;
      if (c == '\n') text += "    ";
    }
  });
  text += first ? "]\n}\n" : "\n  ]\n}\n";
  write_file_atomically(path, text, "results file");
}

namespace {

// Typed access to one JSON object; every failure names the file and the field's path.
class field_reader {
 public:
  field_reader(const std::string& origin, const json& obj, std::string path)
      : origin_(origin), obj_(obj), path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw results_file_error(origin_ + ": field '" + name(key) + "' " + why);
  }
  std::string name(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  const json* find(const char* key) const {
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }
  const json& need(const char* key) const {
    if (auto* v = find(key)) return *v;
    fail(key, "is missing");
  }
  std::string str(const char* key, bool required = false) const {
    const json* v = required ? &need(key) : find(key);
    if (!v) return {};
    if (!v->is_string()) fail(key, "must be a string, not " + std::string(v->type_name()));
    return v->get<std::string>();
  }
  double number(const char* key, bool required = false) const {
    const json* v = required ? &need(key) : find(key);
    if (!v) return 0;
    if (!v->is_number()) fail(key, "must be a number, not " + std::string(v->type_name()));
    return v->get<double>();
  }
  bool boolean(const char* key) const {
    const json* v = find(key);
    if (!v) return false;
    if (!v->is_boolean()) fail(key, "must be true or false, not " + std::string(v->type_name()));
    return v->get<bool>();
  }
  std::int64_t integer(const char* key, std::int64_t lo, std::int64_t hi) const {
    const json* v = find(key);
    if (!v) return 0;
    if (!v->is_number_integer()) fail(key, "must be an integer, not " + std::string(v->type_name()));
    auto x = v->get<std::int64_t>();
    if (x < lo || x > hi)
      fail(key, "is out of range (" + std::to_string(lo) + " to " + std::to_string(hi) + ")");
    return x;
  }
  std::vector<std::string> strings(const char* key) const {
    const json* v = find(key);
    std::vector<std::string> out;
    if (!v) return out;
    if (!v->is_array()) fail(key, "must be an array of strings");
    for (std::size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) fail(std::string(key) + "[" + std::to_string(i) + "]", "must be a string");
      out.push_back((*v)[i].get<std::string>());
    }
    return out;
  }
  field_reader object(const char* key) const {
    const json& v = need(key);
    if (!v.is_object()) fail(key, "must be an object, not " + std::string(v.type_name()));
    return field_reader(origin_, v, name(key));
  }
  const json& raw() const { return obj_; }
  const std::string& origin() const { return origin_; }

 private:
  const std::string& origin_;
  const json& obj_;
  std::string path_;
};

constexpr std::int64_t i32max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t u32max = std::numeric_limits<std::uint32_t>::max();

pool_stats read_pool(const field_reader& root) {
  pool_stats p;
  if (!root.find("pool")) return p;
  field_reader f = root.object("pool");
  p.executor = f.str("executor");
  p.workers = static_cast<std::uint32_t>(f.integer("workers", 0, u32max));
  p.warmup_completed = static_cast<std::uint32_t>(f.integer("warmup_completed", 0, u32max));
  p.is_warmed_up = f.boolean("is_warmed_up");
  p.restarts = static_cast<std::uint32_t>(f.integer("restarts", 0, u32max));
  p.batches = static_cast<std::uint32_t>(f.integer("batches", 0, u32max));
  p.start_method = f.str("start_method");
  if (f.find("warmup_error")) p.warmup_error = f.str("warmup_error");
  if (const json* nodes = f.find("nodes")) {
    if (!nodes->is_array()) f.fail("nodes", "must be an array");
    for (std::size_t i = 0; i < nodes->size(); ++i) {
      const json& entry = (*nodes)[i];
      std::string name = "nodes[" + std::to_string(i) + "]";
      if (!entry.is_object()) f.fail(name, "must be an object");
      field_reader n(f.origin(), entry, f.name(name));
      p.nodes.push_back(pool_node{n.str("address"), static_cast<std::uint32_t>(n.integer("workers", 0, u32max)),
                                  static_cast<std::uint32_t>(n.integer("gremlins", 0, u32max))});
    }
  }
  return p;
}

gremlin read_manifest_fields(const field_reader& f, const std::string& id) {
  gremlin g;
  g.id = id;
  g.file = f.str("file");
  g.line = static_cast<std::int32_t>(f.integer("line", 0, i32max));
  g.column = static_cast<std::int32_t>(f.integer("column", 0, i32max));
  g.end_line = static_cast<std::int32_t>(f.integer("end_line", 0, i32max));
  g.end_column = static_cast<std::int32_t>(f.integer("end_column", 0, i32max));
  g.operator_name = f.str("operator");
  g.description = f.str("description");
  g.original = f.str("original");
  g.replacement = f.str("replacement");
  g.has_tests = f.find("tests") != nullptr;
  g.tests = f.strings("tests");
  g.is_static = f.boolean("static");
  g.fingerprint = f.str("fingerprint");
  return g;
}

worker_result read_result(const field_reader& f) {
  worker_result r;
  r.gremlin_id = f.str("gremlin_id", true);
  if (r.gremlin_id.empty()) f.fail("gremlin_id", "is empty");
  std::string st = f.str("status", true);
  auto parsed = parse_status(st);
  if (!parsed)
    f.fail("status", "is '" + st + "', not one of zapped, survived, timeout, error, no_coverage");
  r.verdict = *parsed;
  const json* kt = f.find("killing_test");
  if (kt && !kt->is_null()) r.killing_test = f.str("killing_test");
  r.execution_time_ms = f.number("execution_time_ms");
  r.error_output = f.str("error_output");
  return r;
}

}  // namespace

run_report results_from_json(const json& doc, const std::string& origin) {
  if (!doc.is_object()) throw results_file_error(origin + ": not a JSON object");
  field_reader root(origin, doc, "");
  std::string schema = root.str("schema", true);
  if (schema != results_schema)
    root.fail("schema", "is '" + schema + "', expected '" + results_schema + "'");
  run_report report;
  report.rootdir = root.str("rootdir");
  report.interrupted = root.boolean("interrupted");
  report.shard = root.str("shard");
  report.selection = root.str("selection");
  report.wall_ms = root.object("summary").number("wall_ms");
  report.pool = read_pool(root);
  if (root.find("tests")) {
    field_reader tests = root.object("tests");
    for (const auto& [id, entry] : tests.raw().items()) {
      if (!entry.is_object()) tests.fail(id, "must be an object");
      report.test_durations_ms[id] = field_reader(origin, entry, tests.name(id)).number("duration_ms");
    }
  }
  if (root.find("sources")) {
    field_reader sources = root.object("sources");
    for (const auto& [file, entry] : sources.raw().items()) {
      if (!entry.is_object()) sources.fail(file, "must be an object");
      report.source_digests[file] = field_reader(origin, entry, sources.name(file)).str("sha256", true);
    }
  }
  const json& results = root.need("results");
  if (!results.is_array()) root.fail("results", "must be an array");
  for (std::size_t i = 0; i < results.size(); ++i) {
    std::string path = "results[" + std::to_string(i) + "]";
    if (!results[i].is_object()) root.fail(path, "must be an object");
    field_reader f(origin, results[i], path);
    worker_result r = read_result(f);
    if (f.find("reused") && f.boolean("reused")) report.reused.insert(r.gremlin_id);
    gremlin g = read_manifest_fields(f, r.gremlin_id);
    if (!report.gremlins.emplace(r.gremlin_id, std::move(g)).second)
      f.fail("gremlin_id", "'" + r.gremlin_id + "' appears twice");
    report.results.push_back(std::move(r));
  }
  std::stable_sort(report.results.begin(), report.results.end(),
                   [](const auto& a, const auto& b) { return a.gremlin_id < b.gremlin_id; });
  return report;
}

run_report read_results_json(const std::string& path) {
  input_file in = read_input_file(path);
  if (!in.problem.empty())
    throw results_file_error(json_text(path + ": cannot open the results file: it " + in.problem));
  json doc;
  try {
    doc = json::parse(in.text);
  } catch (const json::parse_error& e) {
    // e.byte locates the problem; nlohmann's own text repeats it with less context.
    throw results_file_error(json_text(path) + ": not valid JSON (at byte " + std::to_string(e.byte) + ")");
  }
  return results_from_json(doc, path);
}

}  // namespace gremlins

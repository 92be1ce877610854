// `gremlin-actors apply ID`: the one mutation of a gremlin written into its source file, so a
// user can look at the mutant in place, run the tests by hand, or keep it. Only a file that is
// byte for byte what the run tested is changed (the results' "sources" digests).

#include <fmt/format.h>

#include "cli/exit_codes.hpp"
#include "cli/results_files.hpp"
#include "cli/show_command.hpp"
#include "runtime/formats/atomic_file.hpp"
#include "runtime/formats/input_file.hpp"
#include "runtime/formats/results_json.hpp"
#include "runtime/formats/unified_diff.hpp"
#include "runtime/rules/utf8.hpp"

namespace gremlins::cli {

namespace {

int refuse(std::FILE* err, const std::string& why) {
  std::fprintf(err, "gremlin-actors apply: error: %s\n", sanitize_utf8(why).c_str());
  return exit_bad_input;
}

}  // namespace

int apply_command(const saved_gremlin_options& o, std::FILE* out, std::FILE* err) {
  if (o.ids.size() != 1) return refuse(err, "give exactly one gremlin id");
  const std::string& id = o.ids.front();
  std::string results = o.results.empty() ? default_results_file(o.project) : o.results;
  run_report report;
  try {
    report = read_results_json(results);
  } catch (const results_file_error& e) {
    return refuse(err, std::string(e.what()) +
                           (o.results.empty() ? " (the results of `gremlin-actors run --pytest`; or give --results FILE)" : ""));
  }
  report.rootdir = sources_root(o, report.rootdir);
  auto it = report.gremlins.find(id);
  if (it == report.gremlins.end()) {
    bool has_result = false;
    for (const auto& r : report.results) has_result = has_result || r.gremlin_id == id;
    if (!has_result)
      return refuse(err, fmt::format("no gremlin '{}' in {} (`gremlin-actors list` lists the gremlins)", id, results));
  }
  const gremlin g = it == report.gremlins.end() ? gremlin{} : it->second;
  if (g.file.empty()) return refuse(err, fmt::format("{}: the results give no source file for '{}'", results, id));
  std::string path = source_path(report.rootdir, g.file);
  auto recorded = report.source_digests.find(g.file);
  if (recorded == report.source_digests.end())
    return refuse(err, fmt::format("{}: {} records no digest of it, so whether it changed since the run "
                                   "cannot be told; run the gremlins again first", path, results));
  input_file source = read_input_file(path);
  if (!source.problem.empty()) return refuse(err, path + " " + source.problem);
  if (file_digest(path) != recorded->second)
    return refuse(err, fmt::format("{} changed since the run (its SHA-256 is not the one {} recorded): "
                                   "nothing written; run the gremlins again first", path, results));
  std::string why;
  auto m = apply_mutant(source.text, g, why);
  if (!m) return refuse(err, fmt::format("{}: cannot apply '{}': {}", path, id, why));
  try {
    write_file_atomically(path, m->mutated_source, "source file");
  } catch (const std::exception& e) {
    return refuse(err, e.what());
  }
  std::string text = fmt::format("gremlin-actors apply: wrote {} into {} (line {}); undo it with "
                                 "`patch -R -p1` on this diff, or your version control:\n",
                                 id, path, g.line) +
                     unified_diff_of(g.file, source.text, *m);
  std::fputs(sanitize_utf8(text).c_str(), out);
  std::fflush(out);
  return exit_ok;
}

}  // namespace gremlins::cli

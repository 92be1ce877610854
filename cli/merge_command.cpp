#include "cli/merge_command.hpp"

#include <map>
#include <set>
#include <stdexcept>

#include "cli/exit_codes.hpp"
#include "runtime/formats/console_report.hpp"
#include "runtime/formats/elements_report.hpp"
#include "runtime/formats/html_report.hpp"
#include "runtime/formats/results_json.hpp"
#include "runtime/rules/reuse.hpp"

namespace gremlins::cli {

namespace {

struct refusal : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Folds `part` (from `file`) into `all`.
void add_shard(run_report& all, run_report part, const std::string& file, std::map<std::string, std::string>& owner) {
  for (auto& r : part.results) {
    auto [it, fresh] = owner.emplace(r.gremlin_id, file);
    if (!fresh) throw refusal("gremlin '" + r.gremlin_id + "' is in " + it->second + " and in " + file);
    all.results.push_back(std::move(r));
  }
  for (auto& [id, g] : part.gremlins) all.gremlins.emplace(id, std::move(g));
  for (auto& [id, ms] : part.test_durations_ms) all.test_durations_ms.emplace(id, ms);
  // A source the shards saw with different contents has no digest one can trust: left out.
  for (auto& [f, digest] : part.source_digests)
    if (auto [at, fresh] = all.source_digests.emplace(f, digest); !fresh && at->second != digest) at->second.clear();
  all.reused.insert(part.reused.begin(), part.reused.end());
  all.interrupted = all.interrupted || part.interrupted;
  all.wall_ms = std::max(all.wall_ms, part.wall_ms);  // the shards ran side by side
  all.pool.workers += part.pool.workers;
  all.pool.restarts += part.pool.restarts;
  all.pool.batches += part.pool.batches;
  all.pool.warmup_completed += part.pool.warmup_completed;
  if (all.pool.executor.empty()) all.pool.executor = part.pool.executor;
  if (all.pool.start_method.empty()) all.pool.start_method = part.pool.start_method;
}

run_report merge(const std::vector<std::string>& files) {
  if (files.empty()) throw refusal("give the results files of the shards");
  run_report all;
  std::map<std::string, std::string> owner;
  std::map<std::uint32_t, std::string> seen;
  std::uint32_t count = 0;
  std::string first;
  for (const auto& file : files) {
    auto part = read_results_json(file);
    auto shard = parse_shard(part.shard);
    if (!shard) throw refusal(file + ": not a shard's results (no \"shard\": run it with --shard K/N)");
    if (first.empty()) {
      first = file;
      count = shard->count;
      all.selection = part.selection;
      all.rootdir = part.rootdir;
    } else if (part.selection != all.selection) {
      throw refusal("the shards are of different runs: " + first + " tested selection " + all.selection + ", " +
                    file + " tested " + part.selection);
    } else if (shard->count != count) {
      throw refusal(first + " is a shard of " + std::to_string(count) + ", " + file + " of " +
                    std::to_string(shard->count));
    }
    if (auto [it, fresh] = seen.emplace(shard->index, file); !fresh)
      throw refusal("shard " + part.shard + " is given twice: " + it->second + " and " + file);
    add_shard(all, std::move(part), file, owner);
  }
  for (std::uint32_t k = 1; k <= count; ++k)
    if (!seen.count(k)) throw refusal("shard " + std::to_string(k) + "/" + std::to_string(count) + " is missing");
  for (auto it = all.source_digests.begin(); it != all.source_digests.end();)
    it = it->second.empty() ? all.source_digests.erase(it) : std::next(it);
  std::sort(all.results.begin(), all.results.end(),
            [](const worker_result& a, const worker_result& b) { return a.gremlin_id < b.gremlin_id; });
  return all;
}

}  // namespace

int merge_command(const merge_command_options& o, std::FILE* out, std::FILE* err) {
  run_report all;
  try {
    all = merge(o.shards);
  } catch (const std::exception& e) {  // refusal, results_file_error
    std::fprintf(err, "gremlin-actors merge: %s\n", e.what());
    return exit_bad_input;
  }
  try {
    if (!o.json.empty()) write_results_json(all, o.json);
    if (!o.report_elements.empty()) write_elements_report(all, o.report_elements);
    if (!o.report_html.empty()) write_html_report(all, o.report_html);
  } catch (const std::exception& e) {
    std::fprintf(err, "gremlin-actors merge: %s\n", e.what());
    return exit_bad_input;
  }
  if (!o.quiet) std::fputs(render_console_report(all, console_options{}).c_str(), out);
  return exit_ok;
}

}  // namespace gremlins::cli

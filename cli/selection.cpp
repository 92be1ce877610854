#include "cli/selection.hpp"

#include <fstream>
#include <sstream>

#include "runtime/formats/input_file.hpp"
#include "runtime/formats/unified_diff.hpp"
#include "runtime/process/runner.hpp"
#include "runtime/rules/reuse.hpp"

namespace gremlins::cli {

namespace {

changed_lines diff_of(const selection_options& o, process_runner& runner) {
  if (!o.in_diff.empty()) {
    auto in = read_input_file(o.in_diff);
    if (!in.problem.empty()) throw selection_error("--in-diff " + o.in_diff + ": cannot read it: it " + in.problem);
    return parse_unified_diff(in.text, o.in_diff);
  }
  process_spec git;
  git.argv = {"git", "diff", "--no-color", "--no-ext-diff", "-U0", o.since, "--"};
  git.cwd = o.rootdir;
  git.output_tail_bytes = 64 * 1024 * 1024;
  auto e = runner.run_to_end(git, std::chrono::minutes(2));
  if (!e.spawn_error.empty()) throw selection_error("--since " + o.since + ": cannot run git: " + e.spawn_error);
  if (e.exit_code != 0)
    throw selection_error("--since " + o.since + ": `git diff " + o.since + "` in " + o.rootdir + " failed: " +
                          e.output.substr(0, 500));
  return parse_unified_diff(e.output, "git diff " + o.since);
}

bool touched(const gremlin& g, const changed_lines& changes) {
  if (g.file.empty() || g.line <= 0) return false;  // not placed: cannot be in the change
  return touches(changes, g.file, g.line, g.end_line > 0 ? g.end_line : g.line);
}

}  // namespace

selection select_gremlins(std::vector<gremlin> all, const selection_options& o, process_runner& runner) {
  selection s;
  s.digest = selection_digest(all);
  if (!o.shard.empty() && !parse_shard(o.shard))
    throw selection_error("--shard: '" + o.shard + "' is not K/N with 1 <= K <= N");
  if (!o.since.empty() && !o.in_diff.empty()) throw selection_error("give --since or --in-diff, not both");
  std::map<std::string, stored_verdict> stored;
  if (!o.store.empty()) {
    std::string notice;
    s.store = std::make_unique<results_store>(o.store, &notice);
    if (!notice.empty()) s.notes.push_back(notice);
    if (o.force) s.store->clear();
    else stored = s.store->load();
  }
  std::vector<gremlin> candidates;
  if (!o.since.empty() || !o.in_diff.empty()) {
    auto changes = diff_of(o, runner);
    std::size_t kept_stored = 0;
    for (auto& g : all) {
      if (touched(g, changes)) {
        candidates.push_back(std::move(g));
        continue;
      }
      // Outside the change: its stored verdict is shown, marked as reused; nothing runs.
      auto it = stored.find(g.id);
      if (it != stored.end() && it->second.result.verdict != status::error) {
        s.reused.push_back(it->second.result);
        s.reused.back().gremlin_id = g.id;
        s.reused_gremlins.push_back(std::move(g));
        ++kept_stored;
      } else {
        ++s.left_out;
      }
    }
    s.notes.push_back(std::to_string(candidates.size()) + " gremlins on lines the change touched; " +
                      std::to_string(kept_stored) + " others shown with their stored verdicts");
  } else {
    candidates = std::move(all);
  }
  if (auto shard = parse_shard(o.shard)) {
    s.shard = o.shard;
    std::vector<gremlin> mine;
    for (auto& g : candidates) {
      if (in_shard(g.id, *shard)) mine.push_back(std::move(g));
      else ++s.left_out;
    }
    candidates = std::move(mine);
    s.notes.push_back("shard " + o.shard + ": " + std::to_string(candidates.size()) + " gremlins");
  }
  for (const auto& g : candidates)
    if (!g.fingerprint.empty()) s.fingerprints.emplace(g.id, g.fingerprint);
  auto plan = plan_reuse(std::move(candidates), stored, o.resume, o.force);
  s.to_test = std::move(plan.to_test);
  if (!plan.reused.empty())
    s.notes.push_back(std::to_string(plan.reused.size()) + " verdicts reused from " + o.store + ", " +
                      std::to_string(s.to_test.size()) + " gremlins to test");
  for (auto& r : plan.reused) s.reused.push_back(std::move(r));
  for (auto& g : plan.reused_gremlins) s.reused_gremlins.push_back(std::move(g));
  return s;
}

void record_verdict(selection& s, const worker_result& r) {
  if (!s.store) return;
  // Interrupted gremlins were not tested: nothing to keep (resume tests them).
  if (r.verdict == status::error && r.error_output.rfind("cancelled:", 0) == 0) return;
  auto it = s.fingerprints.find(r.gremlin_id);
  s.store->record(r, it == s.fingerprints.end() ? std::string() : it->second);
}

}  // namespace gremlins::cli

#include "cli/selection.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "runtime/formats/input_file.hpp"
#include "runtime/formats/results_json.hpp"
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

bool is_glob(const std::string& p) { return p.find_first_of("*?[") != std::string::npos; }

bool all_digits(const std::string& t) {
  return !t.empty() && t.size() <= 9 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "FILE:LINE" or "FILE:START-END": the file part and the lines; nullopt for anything else.
struct place {
  std::string file;
  int first = 0;
  int last = 0;
};
std::optional<place> parse_place(const std::string& p) {
  auto colon = p.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string lines = p.substr(colon + 1);
  auto dash = lines.find('-');
  std::string a = lines.substr(0, dash);
  std::string b = dash == std::string::npos ? a : lines.substr(dash + 1);
  if (!all_digits(a) || !all_digits(b)) return std::nullopt;
  return place{p.substr(0, colon), std::stoi(a), std::stoi(b)};
}

std::string resolved(const std::filesystem::path& p) {
  std::error_code ec;
  auto c = std::filesystem::weakly_canonical(std::filesystem::absolute(p, ec), ec);
  return ec ? std::string() : c.string();
}

// The manifest's files, and how a path the user wrote finds one of them.
class file_index {
 public:
  file_index(const std::vector<gremlin>& all, const std::string& project) : project_(project) {
    for (const auto& g : all)
      if (!g.file.empty()) files_.insert(g.file);
  }
  /// The manifest file `text` names, or "".
  std::string find(const std::string& text) const {
    if (files_.count(text)) return text;
    auto normal = std::filesystem::path(text).lexically_normal().generic_string();
    if (files_.count(normal)) return normal;
    if (by_path_.empty())
      for (const auto& f : files_) by_path_[resolved(std::filesystem::path(project_) / f)] = f;
    for (const auto& p : std::vector<std::string>{resolved(text), resolved(std::filesystem::path(project_) / text)}) {
      auto it = by_path_.find(p);
      if (!p.empty() && it != by_path_.end()) return it->second;
    }
    return "";
  }
  std::string listed() const {
    std::string out;
    std::size_t n = 0;
    for (const auto& f : files_) {
      if (++n > 8) return out + ", ...";
      out += (out.empty() ? "" : ", ") + f;
    }
    return out;
  }

 private:
  std::string project_;
  std::set<std::string> files_;
  mutable std::map<std::string, std::string> by_path_;
};

std::string lines_text(const place& w) {
  return w.first == w.last ? "line " + std::to_string(w.first)
                           : "lines " + std::to_string(w.first) + "-" + std::to_string(w.last);
}

}  // namespace

std::vector<std::size_t> choose_gremlins(const std::vector<gremlin>& all, const selection_options& o) {
  std::map<std::string, std::size_t> by_id;
  for (std::size_t i = 0; i < all.size(); ++i) by_id.emplace(all[i].id, i);
  file_index files(all, o.project.empty() ? "." : o.project);
  std::vector<bool> chosen(all.size(), false);
  std::string of = o.manifest.empty() ? "" : " in " + o.manifest;
  for (std::size_t k = 0; k < o.patterns.size(); ++k) {
    const std::string& p = o.patterns[k];
    std::string origin = k < o.pattern_origins.size() ? o.pattern_origins[k] : "--gremlins";
    auto fail = [&](const std::string& why) { throw selection_error(origin + ": '" + p + "' " + why); };
    if (auto it = by_id.find(p); it != by_id.end()) {
      chosen[it->second] = true;
      continue;
    }
    std::size_t hits = 0;
    if (is_glob(p)) {
      for (std::size_t i = 0; i < all.size(); ++i)
        if (::fnmatch(p.c_str(), all[i].id.c_str(), 0) == 0) chosen[i] = true, ++hits;
      if (hits == 0)
        fail("matches no gremlin id (" + std::to_string(all.size()) + " gremlins" + of + ")");
      continue;
    }
    auto where = parse_place(p);
    if (where) {
      std::string file = files.find(where->file);
      if (file.empty()) {
        // Not FILE:LINE after all (an id with a colon is matched above): say what was tried.
        fail("is no gremlin id, and " + where->file + " is no file with gremlins (" + files.listed() + ")");
      }
      if (where->first < 1 || where->first > where->last)
        fail("is no range of lines: START-END needs 1 <= START <= END");
      std::string lines_with;
      for (std::size_t i = 0; i < all.size(); ++i) {
        const auto& g = all[i];
        if (g.file != file || g.line <= 0) continue;
        int last = g.end_line > 0 ? g.end_line : g.line;
        if (g.line <= where->last && last >= where->first) chosen[i] = true, ++hits;
      }
      if (hits == 0) fail("has no gremlin on " + lines_text(*where) + " of " + file);
      continue;
    }
    if (std::string file = files.find(p); !file.empty()) {
      for (std::size_t i = 0; i < all.size(); ++i)
        if (all[i].file == file) chosen[i] = true;
      continue;
    }
    fail("matches no gremlin: it is no gremlin id" + of + ", no glob over ids, and no FILE, FILE:LINE or "
         "FILE:START-END of a file with gremlins (" + files.listed() + ")");
  }
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (chosen[i]) out.push_back(i);
  return out;
}

void read_patterns_list(const std::string& csv, selection_options& o) {
  std::stringstream in(csv);
  std::string item;
  for (std::size_t n = 1; std::getline(in, item, ','); ++n) {
    auto start = item.find_first_not_of(" \t");
    auto end = item.find_last_not_of(" \t");
    if (start == std::string::npos) throw selection_error("--gremlins: entry " + std::to_string(n) + " is empty");
    o.patterns.push_back(item.substr(start, end - start + 1));
    o.pattern_origins.push_back("--gremlins");
  }
  if (o.patterns.empty()) throw selection_error("--gremlins: nothing to choose was given");
}

void read_patterns_file(const std::string& path, selection_options& o) {
  auto in = read_input_file(path);
  if (!in.problem.empty()) throw selection_error("--gremlin-ids " + path + ": cannot read it: it " + in.problem);
  std::istringstream lines(in.text);
  std::string line;
  std::size_t before = o.patterns.size();
  for (int n = 1; std::getline(lines, line); ++n) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    o.patterns.push_back(line.substr(start));
    o.pattern_origins.push_back(path + ":" + std::to_string(n));
  }
  if (o.patterns.size() == before) throw selection_error("--gremlin-ids " + path + ": nothing to choose in the file");
}

namespace {

// The verdicts of the last results file, as the store would hold them (when there is none).
std::map<std::string, stored_verdict> previous_verdicts(const std::string& path, std::vector<std::string>& notes) {
  std::map<std::string, stored_verdict> out;
  std::error_code ec;
  if (path.empty() || !std::filesystem::is_regular_file(path, ec)) return out;
  try {
    auto prev = read_results_json(path);
    for (const auto& r : prev.results) {
      auto g = prev.gremlins.find(r.gremlin_id);
      out[r.gremlin_id] = stored_verdict{r, g == prev.gremlins.end() ? std::string() : g->second.fingerprint};
    }
  } catch (const std::exception& e) {
    notes.push_back(std::string("the last results cannot be kept: ") + e.what());
  }
  return out;
}

}  // namespace

selection select_gremlins(std::vector<gremlin> all, const selection_options& o, process_runner& runner) {
  selection s;
  s.digest = selection_digest(all);
  s.given = all.size();
  // Not chosen by the patterns: not run; their current verdicts stay in the reports.
  std::vector<gremlin> others;
  if (!o.patterns.empty()) {
    auto picked = choose_gremlins(all, o);
    std::vector<bool> in(all.size(), false);
    for (auto i : picked) in[i] = true;
    std::vector<gremlin> mine;
    for (std::size_t i = 0; i < all.size(); ++i) (in[i] ? mine : others).push_back(std::move(all[i]));
    all = std::move(mine);
    s.subset = true;
  }
  if (!o.shard.empty() && !parse_shard(o.shard))
    throw selection_error("--shard: '" + o.shard + "' is not K/N with 1 <= K <= N");
  if (!o.since.empty() && !o.in_diff.empty()) throw selection_error("give --since or --in-diff, not both");
  std::map<std::string, stored_verdict> stored;
  if (!o.store.empty()) {
    std::string notice;
    s.store = std::make_unique<results_store>(o.store, &notice);
    if (!notice.empty()) s.notes.push_back(notice);
    // A subset never removes the others' verdicts; the chosen ones are tested anyway.
    if (o.force && !s.subset) s.store->clear();
    else stored = s.store->load();
  } else if (s.subset) {
    stored = previous_verdicts(o.previous_results, s.notes);
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
  // Chosen by the patterns: tested again, whatever is stored (that is what choosing them asks).
  auto plan = plan_reuse(std::move(candidates), stored, o.resume, o.force || s.subset);
  s.to_test = std::move(plan.to_test);
  if (s.subset) {
    auto kept = plan_reuse(std::move(others), stored, o.resume, false);
    s.without_verdict = kept.to_test.size();
    s.left_out += kept.to_test.size();
    for (auto& r : kept.reused) s.reused.push_back(std::move(r));
    for (auto& g : kept.reused_gremlins) s.reused_gremlins.push_back(std::move(g));
    s.notes.push_back(std::to_string(s.to_test.size()) + " of " + std::to_string(s.given) + " gremlins chosen to test; " +
                      std::to_string(kept.reused.size()) + " others shown with their last verdicts" +
                      (s.without_verdict ? ", " + std::to_string(s.without_verdict) + " without a current verdict" : ""));
  }
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

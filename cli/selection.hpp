#pragma once
// What a run tests, of the gremlins it was given: with --pytest only those --gremlins or
// --gremlin-ids choose (ids, globs, FILE, FILE:LINE, FILE:START-END; the others keep their
// stored verdicts), only those on lines a change touched (--since REV, --in-diff FILE), only
// its shard (--shard K/N), and not those whose verdict the results store still holds for the
// same fingerprint (--resume, --force). docs/results-store.md.

#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "messages/gremlin.hpp"
#include "messages/worker_result.hpp"
#include "runtime/formats/results_store.hpp"

namespace gremlins {
class process_runner;
}

namespace gremlins::cli {

/// A selection that cannot be made; the message names the option and the reason.
class selection_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct selection_options {
  std::string store;    ///< the results store's path ("" for none)
  bool resume = false;  ///< reuse verdicts stored without a fingerprint too
  bool force = false;   ///< reuse nothing
  std::string shard;    ///< "K/N" or ""
  std::string since;    ///< a git revision, or ""
  std::string in_diff;  ///< a unified diff file, or ""
  std::string rootdir;  ///< where `git diff` runs
  /// With --pytest: what to test (choose_gremlins()); each with its origin for messages
  /// ("--gremlins", "ids.txt:3"). The gremlins not chosen are not run: their current verdicts
  /// (same fingerprint) from the store, else from `previous_results`, stay in the reports.
  std::vector<std::string> patterns;
  std::vector<std::string> pattern_origins;
  std::string project;           ///< the folder the manifest's file paths are relative to
  std::string manifest;          ///< named in the refusal of a pattern that matches nothing
  std::string previous_results;  ///< the last results JSON (used when there is no store)
};

struct selection {
  std::vector<gremlin> to_test;
  std::vector<worker_result> reused;                       ///< verdicts taken from the store
  std::vector<gremlin> reused_gremlins;                    ///< their gremlins, for the reports
  std::unique_ptr<results_store> store;                    ///< records the new verdicts
  std::unordered_map<std::string, std::string> fingerprints;  ///< id -> fingerprint, to record
  std::string shard;                                       ///< as given
  std::string digest;                                      ///< of every gremlin given
  std::vector<std::string> notes;                          ///< one line each, for the console
  std::size_t left_out = 0;                                ///< outside the change or the shard
  bool subset = false;              ///< patterns chose what to test; the rest kept its verdicts
  std::size_t given = 0;            ///< gremlins the run was given (the whole project's)
  std::size_t without_verdict = 0;  ///< not chosen, and no current verdict to show
};

/// The indices of `all` that `patterns` choose, in order, each once. A pattern is, in this
/// order: an exact id; a glob over ids (fnmatch(3): `*`, `?`, `[...]`); FILE:LINE or
/// FILE:START-END (gremlins whose lines meet those lines); FILE (all of its gremlins). FILE is
/// a manifest `file`, or any path (relative to the current folder or to `project`, or
/// absolute) that resolves to the same file. Throws selection_error naming the pattern and
/// its origin when one matches nothing.
std::vector<std::size_t> choose_gremlins(const std::vector<gremlin>& all, const selection_options& o);

/// The patterns of a --gremlin-ids file with --pytest: one a line, blank lines and lines
/// starting with '#' skipped; origins "FILE:LINE". Throws selection_error naming the file.
void read_patterns_file(const std::string& path, selection_options& o);

/// The patterns of --gremlins with --pytest (a comma list). Throws selection_error for an
/// empty entry.
void read_patterns_list(const std::string& csv, selection_options& o);

/// Applies `o` to `all`. `runner` runs `git diff` for --since. Throws selection_error or
/// store_error.
selection select_gremlins(std::vector<gremlin> all, const selection_options& o, process_runner& runner);

/// Records `r` in the selection's store (if any) with its gremlin's fingerprint. Safe from any
/// thread.
void record_verdict(selection& s, const worker_result& r);

}  // namespace gremlins::cli

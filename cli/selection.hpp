#pragma once
// What a run tests, of the gremlins it was given: only those on lines a change touched
// (--since REV, --in-diff FILE), only its shard (--shard K/N), and not those whose verdict the
// results store still holds for the same fingerprint (--resume, --force). docs/results-store.md.

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
};

/// Applies `o` to `all`. `runner` runs `git diff` for --since. Throws selection_error or
/// store_error.
selection select_gremlins(std::vector<gremlin> all, const selection_options& o, process_runner& runner);

/// Records `r` in the selection's store (if any) with its gremlin's fingerprint. Safe from any
/// thread.
void record_verdict(selection& s, const worker_result& r);

}  // namespace gremlins::cli

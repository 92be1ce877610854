#pragma once
// Everything a finished run knows: the input to every report (console, JSON, elements, HTML).

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "messages/gremlin.hpp"
#include "messages/progress.hpp"
#include "messages/status.hpp"
#include "messages/worker_result.hpp"
#include "runtime/rules/score.hpp"

namespace gremlins {

/// The outcome of a whole run.
struct run_report {
  std::vector<worker_result> results;          ///< one per gremlin, sorted by gremlin_id
  std::map<std::string, gremlin> gremlins;     ///< manifest data by id (lacks ids that came with none)
  std::map<std::string, double> test_durations_ms;  ///< manifest "tests" section, when given
  pool_stats pool;
  double wall_ms = 0;
  std::string rootdir;                         ///< absolute; manifest file paths are relative to it
  bool interrupted = false;                    ///< stopped by a signal: results so far
  std::set<std::string> reused;                ///< ids whose verdict came from the results store
  std::string shard;                           ///< "K/N" when the run tested one shard
  std::string selection;                       ///< digest of the gremlins the run was asked for
  /// SHA-256 (hex) of each source file the gremlins name (manifest path → digest), taken when
  /// the run started: `show` and `apply` tell from it whether a file changed since the run.
  std::map<std::string, std::string> source_digests;
};

/// The scheduler records the gremlins a stopped run did not finish as `error` with this prefix
/// ("cancelled: the run was stopped before this gremlin started" / "... while it was running").
inline constexpr const char* cancelled_prefix = "cancelled:";

/// True for a gremlin that an interrupted run did not test: its error is the scheduler's
/// cancellation, not a verdict. Only an interrupted run has them.
inline bool is_cancelled(const run_report& report, const worker_result& r) {
  return report.interrupted && r.verdict == status::error &&
         r.error_output.compare(0, std::char_traits<char>::length(cancelled_prefix), cancelled_prefix) == 0;
}

/// How many of `report.results` are cancelled (counted in `error` too, by their status).
inline std::size_t cancelled_count(const run_report& report) {
  std::size_t n = 0;
  for (const auto& r : report.results) n += is_cancelled(report, r) ? 1 : 0;
  return n;
}

}  // namespace gremlins

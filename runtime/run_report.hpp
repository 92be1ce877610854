#pragma once
// Everything a finished run knows: the input to every report (console, JSON, elements, HTML).

#include <map>
#include <string>
#include <vector>

#include "messages/gremlin.hpp"
#include "messages/progress.hpp"
#include "messages/status.hpp"
#include "messages/worker_result.hpp"

namespace gremlins {

/// Counts and score of a run (SPEC §5).
struct summary {
  std::uint32_t total = 0;
  std::uint32_t counts[status_count] = {};
  double score = 100.0;  ///< (zapped + timeout) / (zapped + timeout + survived + no_coverage) x 100
  double wall_ms = 0;
  std::uint32_t count(status s) const { return counts[static_cast<std::size_t>(s)]; }
};

/// Computes counts and score; errors are excluded from the score. Nothing to score: 100.
summary summarize(const std::vector<worker_result>& results, double wall_ms);

/// The outcome of a whole run.
struct run_report {
  std::vector<worker_result> results;          ///< one per gremlin, sorted by gremlin_id
  std::map<std::string, gremlin> gremlins;     ///< manifest data by id (may lack some ids)
  std::map<std::string, double> test_durations_ms;  ///< manifest "tests" section, when given
  pool_stats pool;
  double wall_ms = 0;
  std::string rootdir;                         ///< absolute; manifest file paths are relative to it
  bool interrupted = false;                    ///< stopped by a signal: results so far
};

}  // namespace gremlins

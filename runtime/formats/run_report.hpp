#pragma once
// Everything a finished run knows: the input to every report (console, JSON, elements, HTML).

#include <map>
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
  std::map<std::string, gremlin> gremlins;     ///< manifest data by id (may lack some ids)
  std::map<std::string, double> test_durations_ms;  ///< manifest "tests" section, when given
  pool_stats pool;
  double wall_ms = 0;
  std::string rootdir;                         ///< absolute; manifest file paths are relative to it
  bool interrupted = false;                    ///< stopped by a signal: results so far
};

}  // namespace gremlins

#pragma once
// The bookkeeping of the result aggregator, without the actor: one result per gremlin id,
// counts per status, progress. The aggregator actor serializes access to it.

#include <chrono>
#include <string>
#include <unordered_map>
#include <vector>

#include "messages/progress.hpp"
#include "messages/worker_result.hpp"

namespace gremlins {

/// Results of one run, keyed by gremlin id.
class result_table {
public:
  explicit result_table(std::uint32_t total);
  /// Records `r`; false (and nothing changes) when its gremlin already has a result.
  bool add_result(worker_result r);
  /// Records an error result for `gremlin_id` with `message` as its error_output.
  bool add_error(const std::string& gremlin_id, const std::string& message);
  /// All results, sorted by gremlin id.
  std::vector<worker_result> sorted_results() const;
  /// All results, sorted by gremlin id, moved out: the table keeps its counts but takes no
  /// more results afterwards (a late one could not be told from a duplicate).
  std::vector<worker_result> take_sorted_results();
  /// Completed, total, counts per status, time since construction.
  progress snapshot() const;
  std::uint32_t completed() const { return completed_; }

private:
  std::uint32_t total_;
  std::unordered_map<std::string, worker_result> results_;
  std::uint32_t completed_ = 0;
  bool taken_ = false;
  std::vector<std::uint32_t> counts_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace gremlins

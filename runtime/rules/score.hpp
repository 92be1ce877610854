#pragma once
// The mutation score: counts per status and the share of detected gremlins. Pure: no I/O.

#include <cstdint>
#include <vector>

#include "messages/status.hpp"
#include "messages/worker_result.hpp"

namespace gremlins {

/// Counts and score of a run (docs/results-json.md, "summary").
struct summary {
  std::uint32_t total = 0;
  std::uint32_t counts[status_count] = {};
  double score = 100.0;  ///< (zapped + timeout) / (zapped + timeout + survived + no_coverage) x 100
  double wall_ms = 0;
  std::uint32_t count(status s) const { return counts[static_cast<std::size_t>(s)]; }
};

/// Computes counts and score; errors are excluded from the score. Nothing to score: 100.
summary summarize(const std::vector<worker_result>& results, double wall_ms);

}  // namespace gremlins

#pragma once
// Progress of a run, as the result aggregator publishes it to its subscribers.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"
#include "messages/status.hpp"

namespace gremlins {

/// A snapshot of the aggregator (pytest-gremlins' get_progress, progress_percentage, *_count).
struct progress {
  std::uint32_t completed = 0;
  std::uint32_t total = 0;
  std::vector<std::uint32_t> counts = std::vector<std::uint32_t>(status_count, 0);  ///< by status
  double elapsed_ms = 0;  ///< since the aggregator started

  /// Completed share, 0.0 to 100.0 (100 when there is nothing to do).
  double percentage() const { return total == 0 ? 100.0 : 100.0 * completed / total; }
  std::uint32_t count(status s) const { return counts[static_cast<std::size_t>(s)]; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, progress& x) {
  return f(caf::meta::type_name("progress"), x.completed, x.total, x.counts, x.elapsed_ms);
}

/// Who ran what in a run with worker nodes: the results JSON "pool.nodes" (docs/nodes.md).
struct pool_node {
  std::string address;           ///< "local", or the node's HOST:PORT
  std::uint32_t workers = 0;     ///< slots it had
  std::uint32_t gremlins = 0;    ///< results its slots gave
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_node& x) {
  return f(caf::meta::type_name("pool_node"), x.address, x.workers, x.gremlins);
}

/// How the work ran: the results JSON "pool" object (docs/results-json.md).
struct pool_stats {
  std::string executor;          ///< the executor actually used
  std::uint32_t workers = 0;
  std::uint32_t warmup_completed = 0;
  bool is_warmed_up = false;
  std::uint32_t restarts = 0;
  std::uint32_t batches = 0;
  std::string start_method;      ///< the start method actually used
  std::string warmup_error;      ///< why warm-up failed (with the worker's output), if it did
  std::vector<pool_node> nodes;  ///< with worker nodes only: local and remote slots, by node
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_stats& x) {
  return f(caf::meta::type_name("pool_stats"), x.executor, x.workers, x.warmup_completed,
           x.is_warmed_up, x.restarts, x.batches, x.start_method, x.warmup_error, x.nodes);
}

}  // namespace gremlins

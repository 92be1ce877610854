#pragma once
// pytest-gremlins' distribution strategies and BatchExecutor.partition, as pure functions.

#include <cstddef>
#include <string>
#include <vector>

#include "messages/gremlin.hpp"
#include "messages/pool_config.hpp"

namespace gremlins {

/// Buckets of indices into the input, one bucket per worker.
using buckets = std::vector<std::vector<std::size_t>>;

/// RoundRobinDistribution: item N goes to worker N mod `workers`.
buckets round_robin_distribute(std::size_t count, std::size_t workers);

/// WeightedDistribution: greedy, heaviest first (ties keep input order) onto the least-loaded
/// worker (ties: the lowest index). Each bucket lists its items in the order they were placed.
buckets weighted_distribute(const std::vector<std::size_t>& weights, std::size_t workers);

/// Applies `strategy` to gremlins (weight = covering tests, default 1) as buckets of indices.
/// `pull` has no static assignment: everything lands in one shared bucket.
buckets distribute_indices(distribution strategy, const std::vector<gremlin>& gremlins,
                           std::size_t workers);

/// distribute_indices, with the gremlins copied into their buckets.
std::vector<std::vector<gremlin>> distribute(distribution strategy,
                                             const std::vector<gremlin>& gremlins,
                                             std::size_t workers);

/// BatchExecutor.partition: consecutive batches of `batch_size` (the last may be shorter).
template <class T>
std::vector<std::vector<T>> partition(const std::vector<T>& items, std::size_t batch_size) {
  std::vector<std::vector<T>> out;
  if (batch_size == 0) batch_size = 1;
  for (std::size_t i = 0; i < items.size(); i += batch_size)
    out.emplace_back(items.begin() + i, items.begin() + std::min(items.size(), i + batch_size));
  return out;
}

}  // namespace gremlins

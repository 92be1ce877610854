#include "runtime/rules/distribution.hpp"

#include <algorithm>
#include <numeric>

namespace gremlins {

buckets round_robin_distribute(std::size_t count, std::size_t workers) {
  buckets out(std::max<std::size_t>(workers, 1));
  for (std::size_t i = 0; i < count; ++i) out[i % out.size()].push_back(i);
  return out;
}

buckets weighted_distribute(const std::vector<std::size_t>& weights, std::size_t workers) {
  buckets out(std::max<std::size_t>(workers, 1));
  std::vector<std::size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return weights[a] > weights[b]; });
  std::vector<std::size_t> load(out.size(), 0);
  for (auto i : order) {
    auto w = std::min_element(load.begin(), load.end()) - load.begin();
    out[w].push_back(i);
    load[w] += weights[i];
  }
  return out;
}

buckets distribute_indices(distribution strategy, const std::vector<gremlin>& gremlins,
                           std::size_t workers) {
  switch (strategy) {
    case distribution::pull: return round_robin_distribute(gremlins.size(), 1);
    case distribution::round_robin: return round_robin_distribute(gremlins.size(), workers);
    case distribution::weighted: {
      std::vector<std::size_t> weights;
      weights.reserve(gremlins.size());
      for (const auto& g : gremlins) weights.push_back(weight_of(g));
      return weighted_distribute(weights, workers);
    }
  }
  return {};
}

std::vector<std::vector<gremlin>> distribute(distribution strategy,
                                             const std::vector<gremlin>& gremlins,
                                             std::size_t workers) {
  auto idx = distribute_indices(strategy, gremlins, workers);
  std::vector<std::vector<gremlin>> out(idx.size());
  for (std::size_t b = 0; b < idx.size(); ++b)
    for (auto i : idx[b]) out[b].push_back(gremlins[i]);
  return out;
}

}  // namespace gremlins

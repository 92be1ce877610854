#include "runtime/rules/reuse.hpp"

#include <algorithm>
#include <cstdio>

namespace gremlins {

namespace {

std::uint64_t fnv1a(const std::string& text, std::uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool reusable(const gremlin& g, const stored_verdict& s, bool resume) {
  if (s.result.verdict == status::error) return false;
  if (!g.fingerprint.empty()) return g.fingerprint == s.fingerprint;
  return resume && s.fingerprint.empty();
}

}  // namespace

reuse_plan plan_reuse(std::vector<gremlin> gremlins, const std::map<std::string, stored_verdict>& stored,
                      bool resume, bool force) {
  reuse_plan plan;
  for (auto& g : gremlins) {
    auto it = force ? stored.end() : stored.find(g.id);
    if (it != stored.end() && reusable(g, it->second, resume)) {
      plan.reused.push_back(it->second.result);
      plan.reused.back().gremlin_id = g.id;
      plan.reused_gremlins.push_back(std::move(g));
    } else {
      plan.to_test.push_back(std::move(g));
    }
  }
  return plan;
}

std::optional<shard_spec> parse_shard(const std::string& text) {
  unsigned k = 0, n = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%u/%u%c", &k, &n, &tail) != 2) return std::nullopt;
  if (k < 1 || n < 1 || k > n || n > 100000) return std::nullopt;
  return shard_spec{k, n};
}

bool in_shard(const std::string& id, const shard_spec& shard) {
  return fnv1a(id) % shard.count == shard.index - 1;
}

std::string selection_digest(const std::vector<gremlin>& gremlins) {
  std::vector<const gremlin*> sorted;
  sorted.reserve(gremlins.size());
  for (const auto& g : gremlins) sorted.push_back(&g);
  std::sort(sorted.begin(), sorted.end(), [](const gremlin* a, const gremlin* b) { return a->id < b->id; });
  std::uint64_t h = 1469598103934665603ull;
  for (const auto* g : sorted) h = fnv1a(g->fingerprint + '\n', fnv1a(g->id + '\t', h));
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf) + "-" + std::to_string(gremlins.size());
}

}  // namespace gremlins

#pragma once
// Which stored verdicts a run may reuse, and which gremlins a shard tests. Pure: no I/O.
//
// A stored verdict (zapped, survived, timeout, no_coverage) is reused when the gremlin's
// fingerprint (all its verdict depends on: the mutation, the code around it, its covering
// tests, the operators, the tool's version) is known and equals the stored one; with `resume`,
// a gremlin without a fingerprint reuses a verdict stored without one. An `error` (a cancelled
// gremlin included) is never reused. `force` reuses nothing.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "messages/gremlin.hpp"
#include "messages/worker_result.hpp"

namespace gremlins {

/// What a run does with each gremlin.
struct reuse_plan {
  std::vector<gremlin> to_test;          ///< in the order given
  std::vector<worker_result> reused;     ///< their stored verdicts
  std::vector<gremlin> reused_gremlins;  ///< the gremlins of those verdicts (for the reports)
};

/// A stored verdict and the fingerprint it was stored with.
struct stored_verdict {
  worker_result result;
  std::string fingerprint;
};

/// Splits `gremlins` by the rules above.
reuse_plan plan_reuse(std::vector<gremlin> gremlins, const std::map<std::string, stored_verdict>& stored,
                      bool resume, bool force);

/// Shard `index` of `count` (1-based), as `--shard K/N` writes it.
struct shard_spec {
  std::uint32_t index = 1;
  std::uint32_t count = 1;
};

/// Parses "K/N" (1 <= K <= N); nullopt with anything else.
std::optional<shard_spec> parse_shard(const std::string& text);

/// True when gremlin `id` belongs to `shard`: by a hash of the id (FNV-1a, 64 bits), so a
/// gremlin stays in its shard when others are added or removed.
bool in_shard(const std::string& id, const shard_spec& shard);

/// A digest of the gremlins a run was asked for (ids and fingerprints, in id order): shards of
/// one run share it; `merge` refuses shards whose digests differ.
std::string selection_digest(const std::vector<gremlin>& gremlins);

}  // namespace gremlins

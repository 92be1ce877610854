// The embedding facade's promise to its callers (runtime/runtime.hpp): nothing reaches a
// progress callback once gremlin_runtime::run() has returned, so what the callback uses may
// be freed right after. A warm-up that fails makes the late events: the facade records every
// gremlin as an error after the warm-up phase, and those progress events are still on their
// way to the forwarder when the results are in.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "runtime/runtime.hpp"
#include "warm_support.hpp"

using namespace gremlins;
using namespace warm_support;

namespace {

/// What a callback's owner holds; freed as soon as run() has returned.
struct listener_state {
  std::vector<int> seen = std::vector<int>(1024, 0);
  int calls = 0;
};

}  // namespace

TEST_CASE("facade: no progress callback runs after run() returns (failing warm-up, 200 runs)",
          "[facade]") {
  scratch_dir dir;
  auto mark = unique_marker();
  pool_config cfg;
  cfg.max_workers = 2;
  cfg.adaptive_timeout = false;
  cfg.timeout_s = 10;
  cfg.warmup_timeout_s = 10;
  cfg.warmup_retries = 0;
  command_spec cmd;  // only a worker command, and its warm-up fails at once: no cold fall-back
  cmd.worker_argv = {std::string(GREMLINS_TEST_PROGRAMS_DIR) + "/fault_worker", "--marker", mark,
                     "--warmup-error"};
  cmd.rootdir = dir.path.string();
  gremlin_runtime rt(cfg, cmd);
  std::vector<gremlin> gremlins;
  for (const auto& id : ids("z", 8)) {
    gremlin g;
    g.id = id;
    gremlins.push_back(g);
  }
  // A callback that runs (or still runs) once `returned` is set broke the promise; the count
  // is kept outside the freed state so that it is seen even when the freed memory is not.
  std::atomic<bool> returned{false};
  std::atomic<int> late{0};
  int total_calls = 0;
  for (int round = 0; round < 200; ++round) {
    returned = false;
    auto* state = new listener_state;
    auto report = rt.run(gremlins, [state, &returned, &late](const progress& p, const worker_result&) {
      if (returned) ++late;
      state->seen[p.completed % state->seen.size()] += 1;
      ++state->calls;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // widen the window
      if (returned) ++late;
    });
    returned = true;
    total_calls += state->calls;
    delete state;  // the owner goes right away, as a caller's stack frame would
    REQUIRE(report.results.size() == gremlins.size());
    REQUIRE(report.pool.warmup_completed == 0);
    for (const auto& r : report.results) REQUIRE(r.verdict == status::error);
  }
  // Give a late event time to arrive: it would be counted (or crash) here.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(late.load() == 0);
  CHECK(total_calls > 0);  // the callback ran at all
  CHECK(leftovers(mark).empty());
}

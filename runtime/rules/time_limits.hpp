#pragma once
// Every time bound of a run, in one place. Pure: no CAF, no I/O.
//
// The bounds nest: a gremlin's own time limit (time_limit_ms) is enforced by its worker; the
// worker's bound on a gremlin (warm_deadline_ms) adds the kill grace; the scheduler's bound
// on a request (request_bound) covers every gremlin queued before it in the same worker and
// a whole warm-up; the facade's bounds on the scheduler (warmup_bound(cfg, layer::facade),
// run_bound) are wider still. Only a wedged actor system reaches an outer bound.

#include <chrono>
#include <vector>

#include "messages/gremlin.hpp"
#include "messages/pool_config.hpp"

namespace gremlins {

/// A gremlin's time limit in ms: the fixed timeout, or
/// max(floor, factor x covering time + constant). For a warm run the covering time is the
/// gremlin's tests_ms when known, else `baseline_ms` (the baseline run's wall time); a cold
/// run also pays a fresh process, so its covering time is baseline_ms + tests_ms.
double time_limit_ms(const gremlin& g, const pool_config& cfg, double baseline_ms, bool cold = false);

/// The limit of the run that confirms a timeout: twice the one that was exceeded.
std::int64_t confirmation_limit_ms(std::int64_t exceeded_ms);

/// The baseline's own time limit: none to speak of (an hour) unless the user fixed a timeout,
/// since a slow suite is not a failure.
std::int64_t baseline_limit_ms(const pool_config& cfg);

/// How long the facade waits for the baseline run's answer.
std::chrono::milliseconds baseline_bound(const pool_config& cfg);

/// How long a warm worker waits for its head gremlin's result before it steps in: the
/// worker process may enforce timeout_ms itself and stay warm, so it gets that chance plus
/// the kill grace. `answered`: the runtime already answered `timeout` and only waits for the
/// late line.
double warm_deadline_ms(std::int64_t timeout_ms, bool answered, const pool_config& cfg);

/// How long a recycled worker (shutdown sent) may take to exit before it is killed.
double retire_grace_ms(const pool_config& cfg);

/// Who waits for a warm-up: the scheduler for one worker, or the facade for the scheduler.
enum class layer { scheduler, facade };

/// How long `who` waits for a warm-up: every attempt of a worker, plus slack per layer.
std::chrono::milliseconds warmup_bound(const pool_config& cfg, layer who);

/// The scheduler's bound on one `run` request that waits behind `queued_ms` of gremlins
/// (their limits and kill graces, itself included) in the same worker.
std::chrono::milliseconds request_bound(double queued_ms, const pool_config& cfg);

/// What one gremlin adds to `queued_ms`: its time limit and the kill grace.
double queued_cost_ms(const gremlin& g, const pool_config& cfg);

/// The facade's bound on a whole phase: every gremlin hitting its own limit one after the
/// other, and ten minutes.
std::chrono::milliseconds run_bound(const std::vector<gremlin>& gs, const pool_config& cfg);

}  // namespace gremlins

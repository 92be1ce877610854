#include "runtime/rules/time_limits.hpp"

#include <algorithm>

namespace gremlins {

namespace {

using std::chrono::milliseconds;

milliseconds ms(double x) { return milliseconds(static_cast<long>(x)); }

/// Every warm-up attempt of one worker, back to back.
double all_warmup_attempts_ms(const pool_config& cfg) {
  return cfg.warmup_timeout_s * 1000 * (cfg.warmup_retries + 1);
}

/// Slack of a bound over the bound it contains (actor messages, process start, reaping).
constexpr double slack_ms = 10000;

}  // namespace

double time_limit_ms(const gremlin& g, const pool_config& cfg, double baseline_ms, bool cold) {
  if (!cfg.adaptive_timeout) return cfg.timeout_s * 1000.0;
  double covering = cold ? baseline_ms + g.tests_ms : g.tests_ms > 0 ? g.tests_ms : baseline_ms;
  return std::max(cfg.timeout_floor_ms, cfg.timeout_factor * covering + cfg.timeout_constant_ms);
}

std::int64_t confirmation_limit_ms(std::int64_t exceeded_ms) { return 2 * exceeded_ms; }

std::int64_t baseline_limit_ms(const pool_config& cfg) {
  return cfg.adaptive_timeout ? 3600 * 1000 : static_cast<std::int64_t>(cfg.timeout_s * 1000);
}

milliseconds baseline_bound(const pool_config& cfg) {
  return ms(baseline_limit_ms(cfg) + cfg.kill_grace_ms + 6 * slack_ms);
}

double warm_deadline_ms(std::int64_t timeout_ms, bool answered, const pool_config& cfg) {
  return answered ? retire_grace_ms(cfg) : timeout_ms + std::max(500.0, cfg.kill_grace_ms);
}

double retire_grace_ms(const pool_config& cfg) { return 2000 + cfg.kill_grace_ms; }

milliseconds warmup_bound(const pool_config& cfg, layer who) {
  return ms(all_warmup_attempts_ms(cfg) + (who == layer::scheduler ? 1 : 3) * slack_ms);
}

milliseconds request_bound(double queued_ms, const pool_config& cfg) {
  return ms(queued_ms + all_warmup_attempts_ms(cfg) + 3 * slack_ms);
}

double queued_cost_ms(const gremlin& g, const pool_config& cfg) {
  return g.timeout_ms + cfg.kill_grace_ms;
}

milliseconds run_bound(const std::vector<gremlin>& gs, const pool_config& cfg) {
  double total = 60 * slack_ms;
  for (const auto& g : gs) total += queued_cost_ms(g, cfg) + 1000;
  return ms(total);
}

}  // namespace gremlins

// pool_config (pytest-gremlins' PoolConfig): defaults, validation messages that name the field,
// enum names that round-trip, and the documented start method `auto` resolves to.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <thread>

#include "messages/pool_config.hpp"
#include "runtime/runtime.hpp"

using namespace gremlins;

namespace {

/// The message validate() gives for a default config changed by `edit` (empty: accepted).
std::string refusal(const std::function<void(pool_config&)>& edit) {
  pool_config cfg;
  edit(cfg);
  auto err = validate(cfg);
  return err ? *err : std::string();
}

}  // namespace

TEST_CASE("pool_config defaults are pytest-gremlins' PoolConfig defaults", "[config]") {
  pool_config cfg;
  auto cpus = std::thread::hardware_concurrency();
  CHECK(cfg.max_workers == (cpus == 0 ? 1u : cpus));
  CHECK(cfg.max_workers == default_max_workers());
  CHECK(cfg.timeout_s == 30);
  CHECK(cfg.batch_size == 10);
  CHECK(cfg.method == start_method::auto_);
  CHECK(cfg.executor == executor_kind::auto_);
  CHECK(cfg.strategy == distribution::pull);
  CHECK(cfg.warmup);
  CHECK_FALSE(validate(cfg).has_value());
}

TEST_CASE("validate() refuses each bad value with a message naming the field", "[config]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct bad {
    const char* field;
    std::function<void(pool_config&)> edit;
  };
  std::vector<bad> cases = {
    {"max_workers", [](pool_config& c) { c.max_workers = 0; }},
    {"max_workers", [](pool_config& c) { c.max_workers = 100000; }},
    {"timeout", [](pool_config& c) { c.timeout_s = 0; }},
    {"timeout", [](pool_config& c) { c.timeout_s = -1; }},
    {"timeout", [=](pool_config& c) { c.timeout_s = nan; }},
    {"timeout", [](pool_config& c) { c.timeout_s = 1e9; }},
    {"batch_size", [](pool_config& c) { c.batch_size = 0; }},
    {"timeout_factor", [](pool_config& c) { c.timeout_factor = 0.5; }},
    {"timeout_factor", [=](pool_config& c) { c.timeout_factor = nan; }},
    {"timeout_constant_ms", [](pool_config& c) { c.timeout_constant_ms = -1; }},
    {"timeout_floor_ms", [](pool_config& c) { c.timeout_floor_ms = 0; }},
    {"kill_grace_ms", [](pool_config& c) { c.kill_grace_ms = -5; }},
    {"kill_grace_ms", [](pool_config& c) { c.kill_grace_ms = 1e7; }},
    {"warmup_timeout", [](pool_config& c) { c.warmup_timeout_s = 0; }},
  };
  for (const auto& c : cases) {
    INFO("field " << c.field);
    auto msg = refusal(c.edit);
    CHECK_THAT(msg, Catch::Contains(c.field));
  }
}

TEST_CASE("validate() names the value it refused", "[config]") {
  CHECK_THAT(refusal([](pool_config& c) { c.max_workers = 0; }), Catch::Contains("got 0"));
  CHECK_THAT(refusal([](pool_config& c) { c.batch_size = 0; }), Catch::Contains("got 0"));
  CHECK_THAT(refusal([](pool_config& c) { c.timeout_s = -2; }), Catch::Contains("-2"));
}

TEST_CASE("validate() accepts the edges of each range", "[config]") {
  CHECK(refusal([](pool_config& c) { c.max_workers = 1; }).empty());
  CHECK(refusal([](pool_config& c) { c.max_workers = 1024; }).empty());
  CHECK(refusal([](pool_config& c) { c.timeout_s = 0.001; }).empty());
  CHECK(refusal([](pool_config& c) { c.batch_size = 1; }).empty());
  CHECK(refusal([](pool_config& c) { c.kill_grace_ms = 0; }).empty());
  CHECK(refusal([](pool_config& c) { c.timeout_factor = 1; }).empty());
}

TEST_CASE("the runtime refuses an invalid pool_config before starting anything", "[config]") {
  pool_config cfg;
  cfg.batch_size = 0;
  command_spec cmd;
  cmd.argv = {"true"};
  try {
    gremlin_runtime rt(cfg, cmd);
    FAIL("an invalid config was accepted");
  } catch (const std::invalid_argument& e) {
    CHECK_THAT(e.what(), Catch::Contains("batch_size"));
  }
}

TEST_CASE("enum names round-trip through to_string and parse", "[config]") {
  for (auto m : {start_method::auto_, start_method::spawn, start_method::fork, start_method::forkserver})
    CHECK(parse_start_method(to_string(m)) == m);
  for (auto e : {executor_kind::auto_, executor_kind::subprocess, executor_kind::fork, executor_kind::inprocess})
    CHECK(parse_executor(to_string(e)) == e);
  for (auto d : {distribution::pull, distribution::round_robin, distribution::weighted})
    CHECK(parse_distribution(to_string(d)) == d);
  CHECK(std::string(to_string(start_method::auto_)) == "auto");
  CHECK(std::string(to_string(distribution::round_robin)) == "round-robin");
  CHECK(std::string(to_string(executor_kind::inprocess)) == "inprocess");
}

TEST_CASE("parse refuses unknown names", "[config]") {
  CHECK_FALSE(parse_start_method("thread").has_value());
  CHECK_FALSE(parse_start_method("").has_value());
  CHECK_FALSE(parse_start_method("Spawn").has_value());
  CHECK_FALSE(parse_executor("process").has_value());
  CHECK_FALSE(parse_distribution("round_robin").has_value());
}

TEST_CASE("get_optimal_start_method is the documented posix_spawn on Linux", "[config]") {
  // README "Start methods": auto means spawn (posix_spawn) on Linux.
  CHECK(get_optimal_start_method() == start_method::spawn);
  CHECK(get_optimal_start_method() != start_method::auto_);
}

// Google Benchmark for the pure parts of the core: the aggregator's result table, the two
// distribution strategies, the manifest parser and the worker protocol's codec (once per warm
// gremlin each way). Run: build*/bench/gremlin_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "runtime/rules/distribution.hpp"
#include "runtime/formats/manifest.hpp"
#include "runtime/formats/worker_protocol.hpp"
#include "runtime/rules/result_table.hpp"

using namespace gremlins;

namespace {

std::string id_of(std::size_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "calc_g%06zu", n);
  return buf;
}

// Ids in a scrambled order, so that sorting has work to do.
std::vector<worker_result> scrambled_results(std::size_t n) {
  std::vector<worker_result> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    worker_result r;
    r.gremlin_id = id_of((i * 7919) % n);
    r.verdict = static_cast<status>(i % status_count);
    r.execution_time_ms = 1.5;
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<gremlin> gremlins_with_tests(std::size_t n) {
  std::vector<gremlin> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    gremlin g;
    g.id = id_of(i);
    g.has_tests = true;
    for (std::size_t k = 0; k < 1 + (i * 31) % 17; ++k) g.tests.push_back("tests/t.py::test_" + std::to_string(k));
    out.push_back(std::move(g));
  }
  return out;
}

std::string manifest_text(std::size_t n) {
  std::string s = "{\"version\": 1, \"gremlins\": [\n";
  for (std::size_t i = 0; i < n; ++i) {
    s += "  {\"id\": \"" + id_of(i) + "\", \"file\": \"src/calc.py\", \"line\": " + std::to_string(1 + i % 500) +
         ", \"column\": 4, \"operator\": \"comparison\", \"description\": \"< to <=\", \"original\": \"<\", "
         "\"replacement\": \"<=\", \"tests\": [\"tests/test_calc.py::test_add\", \"tests/test_calc.py::test_sub\"]}";
    s += i + 1 < n ? ",\n" : "\n";
  }
  s += "], \"tests\": {\"tests/test_calc.py::test_add\": {\"duration_ms\": 3.1}, "
       "\"tests/test_calc.py::test_sub\": {\"duration_ms\": 1.2}}}\n";
  return s;
}

void result_table_add(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  auto results = scrambled_results(n);
  for (auto _ : state) {
    result_table t(static_cast<std::uint32_t>(n));
    for (const auto& r : results) t.add_result(r);
    benchmark::DoNotOptimize(t.completed());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

void result_table_sorted(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  result_table t(static_cast<std::uint32_t>(n));
  for (const auto& r : scrambled_results(n)) t.add_result(r);
  for (auto _ : state) benchmark::DoNotOptimize(t.sorted_results());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

void result_table_snapshot(benchmark::State& state) {
  result_table t(10000);
  for (const auto& r : scrambled_results(10000)) t.add_result(r);
  for (auto _ : state) benchmark::DoNotOptimize(t.snapshot());
}

void distribute_round_robin(benchmark::State& state) {
  auto gs = gremlins_with_tests(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(distribute(distribution::round_robin, gs, 8));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void distribute_weighted(benchmark::State& state) {
  auto gs = gremlins_with_tests(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(distribute(distribution::weighted, gs, 8));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The index-only strategies, without copying gremlins into buckets.
void weighted_indices(benchmark::State& state) {
  std::vector<std::size_t> weights;
  for (std::int64_t i = 0; i < state.range(0); ++i) weights.push_back(1 + (i * 31) % 17);
  for (auto _ : state) benchmark::DoNotOptimize(weighted_distribute(weights, 8));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void manifest_parse(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  auto text = manifest_text(n);
  for (auto _ : state) benchmark::DoNotOptimize(parse_manifest(text, "bench.json"));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

// One `run` request as the warm worker writes it: an id and its covering tests.
void protocol_encode_run(benchmark::State& state) {
  gremlin g;
  g.id = id_of(42);
  for (std::int64_t k = 0; k < state.range(0); ++k) g.tests.push_back("tests/test_calc.py::test_" + std::to_string(k));
  for (auto _ : state) benchmark::DoNotOptimize(protocol::encode_run(g, 2000, executor_kind::fork));
  state.SetItemsProcessed(state.iterations());
}

// One `result` line as a worker sends it (the no-op worker's).
void protocol_decode_result(benchmark::State& state) {
  const std::string line = "{\"event\":\"result\",\"gremlin\":\"calc_g000042\",\"status\":\"survived\","
                           "\"killing_test\":null,\"ms\":0,\"output\":\"\"}";
  for (auto _ : state) benchmark::DoNotOptimize(protocol::decode(line));
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(protocol_encode_run)->Arg(0)->Arg(4);
BENCHMARK(protocol_decode_result);
BENCHMARK(result_table_add)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(result_table_sorted)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(result_table_snapshot);
BENCHMARK(distribute_round_robin)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(distribute_weighted)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(weighted_indices)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(manifest_parse)->Arg(10000)->Unit(benchmark::kMillisecond);

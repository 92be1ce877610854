// Warm workers through the facade (gremlin_runtime, a real actor system, real processes of
// tests/programs/fault_worker): warm-up counting, warm-up faults, retries and their limits,
// the fall-back to the cold command, the capped restarts. Settings the CLI does not expose
// (warm-up limits, restart cap, retry policy) are set on pool_config here.

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "runtime/runtime.hpp"
#include "warm_support.hpp"

using namespace gremlins;
using namespace warm_support;

namespace {

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

pool_config base_config(std::uint32_t workers) {
  pool_config cfg;
  cfg.max_workers = workers;
  cfg.adaptive_timeout = false;
  cfg.timeout_s = 10;
  cfg.warmup_timeout_s = 10;
  cfg.warmup_retries = 2;
  return cfg;
}

command_spec worker_command(const std::string& argv_line, const scratch_dir& dir) {
  command_spec cmd;
  cmd.worker_argv = words(argv_line);
  cmd.rootdir = dir.path.string();
  return cmd;
}

std::vector<gremlin> make_gremlins(const std::vector<std::string>& names) {
  std::vector<gremlin> out;
  for (const auto& n : names) {
    gremlin g;
    g.id = n;
    out.push_back(g);
  }
  return out;
}

std::map<std::string, worker_result> by_id(const run_report& report) {
  std::map<std::string, worker_result> out;
  for (const auto& r : report.results) {
    INFO("gremlin " << r.gremlin_id << " answered twice");
    CHECK(out.count(r.gremlin_id) == 0);
    out[r.gremlin_id] = r;
  }
  return out;
}

run_report run_with(const pool_config& cfg, const command_spec& cmd, const std::vector<std::string>& names) {
  gremlin_runtime rt(cfg, cmd);
  return rt.run(make_gremlins(names));
}

// Every gremlin of `names` answered once, each with the verdict the fault worker gives it
// (and its killing test, which only a warm worker names).
void check_all_correct(const run_report& report, const std::vector<std::string>& names, bool warm = true) {
  auto got = by_id(report);
  CHECK(got.size() == names.size());
  for (const auto& n : names) {
    INFO("gremlin " << n << ": " << (got.count(n) ? got[n].error_output : "<missing>"));
    REQUIRE(got.count(n) == 1);
    CHECK(to_string(got[n].verdict) == expected_status(n));
    if (warm && n[0] == 'z') CHECK(got[n].killing_test == "tests/test_fake.py::test_" + n);
  }
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(slurp(path));
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("warm-up: every worker warms up once and is counted", "[warm]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto pids = dir / "pids";
  auto names = ids("z", 6);
  auto more = ids("s", 6);
  names.insert(names.end(), more.begin(), more.end());
  auto report = run_with(base_config(3), worker_command(fault_worker(mark, "--ready-delay-ms 200 --pid-file " + pids), dir),
                         names);
  CHECK(report.pool.workers == 3);
  CHECK(report.pool.warmup_completed == 3);
  CHECK(report.pool.is_warmed_up);
  CHECK(report.pool.warmup_error.empty());
  CHECK(report.pool.executor == "fork");  // auto: fork, since the worker offers it
  CHECK(report.pool.restarts == 0);
  auto started = lines_of(pids);
  CHECK(started.size() == 3);
  CHECK(std::set<std::string>(started.begin(), started.end()).size() == 3);
  check_all_correct(report, names);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("warm-up: a worker that offers only inprocess gets inprocess", "[warm]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = ids("z", 3);
  auto report = run_with(base_config(1), worker_command(fault_worker(mark, "--capabilities inprocess"), dir), names);
  CHECK(report.pool.executor == "inprocess");
  CHECK(report.pool.warmup_completed == 1);
  check_all_correct(report, names);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("warm-up: lazy start (warmup off) still answers everything", "[warm]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto pids = dir / "pids";
  auto cfg = base_config(2);
  cfg.warmup = false;
  auto names = ids("z", 5);
  auto report = run_with(cfg, worker_command(fault_worker(mark, "--pid-file " + pids), dir), names);
  check_all_correct(report, names);
  CHECK(lines_of(pids).size() <= 2);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("warm-up: a worker that exits during warm-up is retried, then warms up", "[warm]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto cfg = base_config(1);
  cfg.warmup_retries = 2;
  auto names = ids("z", 4);
  auto report = run_with(cfg, worker_command(fault_worker(mark, "--fail-warmup 2 --state-dir " + dir.path.string()), dir),
                         names);
  CHECK(lines_of(dir / "warmup_failures").size() == 3);  // two failures, then the one that warmed up
  CHECK(report.pool.warmup_completed == 1);
  CHECK(report.pool.is_warmed_up);
  check_all_correct(report, names);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("warm-up: failing for good is reported with the worker's output", "[warm]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto cfg = base_config(2);
  cfg.warmup_retries = 1;
  auto names = ids("z", 3);
  auto cmd = worker_command(fault_worker(mark, "--fail-warmup 100 --state-dir " + dir.path.string()), dir);

  SECTION("without a cold command every gremlin is an error naming the failure") {
    auto report = run_with(cfg, cmd, names);
    CHECK(report.pool.warmup_completed == 0);
    CHECK_FALSE(report.pool.is_warmed_up);
    INFO(report.pool.warmup_error);
    CHECK(report.pool.warmup_error.find("failed after 2 attempt(s)") != std::string::npos);
    CHECK(report.pool.warmup_error.find("exited with 3 before ready") != std::string::npos);
    CHECK(report.pool.warmup_error.find("fault_worker: warm-up failure number") != std::string::npos);
    auto got = by_id(report);
    REQUIRE(got.size() == names.size());
    for (const auto& n : names) {
      CHECK(got[n].verdict == status::error);
      CHECK(got[n].error_output.find("not run") != std::string::npos);
      CHECK(got[n].error_output.find("warm-up") != std::string::npos);
    }
    CHECK(lines_of(dir / "warmup_failures").size() == 4);  // 2 workers x (1 + 1 retry)
  }
  SECTION("with a cold command the run falls back to it") {
    cmd.argv = {"/bin/sh", "-c", "case \"$ACTIVE_GREMLIN\" in z*) exit 1;; esac; exit 0", mark};
    auto report = run_with(cfg, cmd, names);
    CHECK(report.pool.warmup_completed == 0);
    CHECK(report.pool.executor == "subprocess");
    check_all_correct(report, names, false);
  }
  CHECK(leftovers(mark).empty());
}

TEST_CASE("warm-up: no ready within the limit kills the worker and says so", "[warm]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto cfg = base_config(1);
  cfg.warmup_timeout_s = 0.3;
  cfg.warmup_retries = 1;
  auto report = run_with(cfg, worker_command(fault_worker(mark, "--never-ready"), dir), {"z00"});
  CHECK(report.pool.warmup_completed == 0);
  INFO(report.pool.warmup_error);
  CHECK(report.pool.warmup_error.find("no ready within") != std::string::npos);
  CHECK(report.pool.warmup_error.find("stuck in warm-up, never ready") != std::string::npos);
  REQUIRE(report.results.size() == 1);
  CHECK(report.results[0].verdict == status::error);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("warm-up: an error event instead of ready is shown", "[warm]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto cfg = base_config(1);
  cfg.warmup_retries = 0;
  auto report = run_with(cfg, worker_command(fault_worker(mark, "--warmup-error"), dir), {"z00", "s01"});
  CHECK(report.pool.warmup_completed == 0);
  CHECK(report.pool.warmup_error.find("collection failed on purpose") != std::string::npos);
  CHECK(report.results.size() == 2);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("warm-up: a worker without a usable executor is refused at once", "[warm]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto pids = dir / "pids";
  auto cfg = base_config(1);
  cfg.warmup_retries = 3;
  std::string caps;
  SECTION("no capabilities") { caps = "none"; }
  SECTION("fork asked, only inprocess offered") {
    cfg.executor = executor_kind::fork;
    caps = "inprocess";
  }
  auto report = run_with(cfg, worker_command(fault_worker(mark, "--capabilities " + caps + " --pid-file " + pids), dir),
                         {"z00"});
  CHECK(report.pool.warmup_completed == 0);
  CHECK(report.pool.warmup_error.find("offers neither") != std::string::npos);
  CHECK(lines_of(pids).size() == 1);  // retrying cannot help: no retry
  CHECK(leftovers(mark).empty());
}

TEST_CASE("restarts: capped by max_restarts, the rest reported, nothing left", "[warm]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto cfg = base_config(1);
  cfg.max_restarts = 3;
  cfg.retry_crashed = false;
  cfg.batch = true;
  cfg.batch_size = 4;
  // Five gremlins that each kill their worker: three replacements, then nobody is left.
  std::vector<std::string> names = {"s00", "s01", "s02", "s03", "s04", "z05", "z06"};
  std::string flags;
  for (int i = 0; i < 5; ++i) flags += " --die-on s0" + std::to_string(i);
  auto report = run_with(cfg, worker_command(fault_worker(mark, flags), dir), names);
  CHECK(report.pool.restarts == 3);
  auto got = by_id(report);
  REQUIRE(got.size() == names.size());
  for (const auto& n : names) {
    INFO(n << ": " << got[n].error_output);
    CHECK(got[n].verdict == status::error);
  }
  for (auto n : {"s00", "s01", "s02", "s03"}) CHECK(got[n].error_output.find("exited with 1") != std::string::npos);
  CHECK(got["z06"].error_output.find("restart limit (3)") != std::string::npos);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("restarts: a crash is retried once when configured, otherwise blamed at once", "[warm]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto cfg = base_config(1);
  cfg.batch = true;
  cfg.batch_size = 5;
  auto names = ids("z", 5);
  auto cmd = worker_command(fault_worker(mark, "--die-once-on z02 --state-dir " + dir.path.string()), dir);
  SECTION("retried: the second worker tests it") {
    cfg.retry_crashed = true;
    auto report = run_with(cfg, cmd, names);
    check_all_correct(report, names);
    CHECK(report.pool.restarts == 1);
  }
  SECTION("not retried: error") {
    cfg.retry_crashed = false;
    auto report = run_with(cfg, cmd, names);
    auto got = by_id(report);
    CHECK(got["z02"].verdict == status::error);
    CHECK(got["z02"].error_output.find("exited with 1 while testing this gremlin") != std::string::npos);
    for (auto n : {"z00", "z01", "z03", "z04"}) CHECK(got[n].verdict == status::zapped);
    CHECK(report.pool.restarts == 1);
  }
  CHECK(leftovers(mark).empty());
}

// A bad line before `ready` is a warm-up failure, reported at once with the line (not a
// broken worker that answers no warm-up waiter).
TEST_CASE("warm-up: a bad line before ready (protocol 2, garbage, a result) fails the warm-up at once", "[warm]") {
  std::string flag = GENERATE(as<std::string>{}, "--ready-protocol 2", "--garbage-before-ready", "--result-before-ready");
  scratch_dir dir;
  auto mark = unique_marker();
  auto cfg = base_config(1);
  cfg.warmup_timeout_s = 1;
  cfg.warmup_retries = 1;
  auto started = std::chrono::steady_clock::now();
  auto report = run_with(cfg, worker_command(fault_worker(mark, flag), dir), {"z00"});
  auto took = std::chrono::steady_clock::now() - started;
  INFO(flag << ": " << report.pool.warmup_error);
  CHECK(report.pool.warmup_completed == 0);
  auto expected = flag == "--garbage-before-ready"  ? "warming up, not json"
                  : flag == "--result-before-ready" ? "an event before ready"
                                                    : "protocol 2 is not supported";
  CHECK(report.pool.warmup_error.find(expected) != std::string::npos);
  CHECK(took < std::chrono::seconds(8));  // no wait for the scheduler's own 12 s request limit
  REQUIRE(report.results.size() == 1);
  CHECK(report.results[0].verdict == status::error);
  CHECK(leftovers(mark).empty());
}

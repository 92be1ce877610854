// Warm workers and batches through the real CLI (`gremlin-actors run --worker-command ...
// --json FILE`), with tests/programs/fault_worker injecting each fault of docs/protocol.md's fault
// table, and a foreign Python worker written from docs/protocol.md alone. Every test checks that
// no process carrying its marker outlives the run.

#include <catch2/catch.hpp>

#include <csignal>
#include <set>
#include <sys/wait.h>

#include "warm_support.hpp"

using namespace warm_support;

namespace {

struct cli_run {
  cli_result cli;
  results_file results;
};

// Runs the CLI on `names` with the worker command `worker` and `extra` options.
cli_run run_warm(const scratch_dir& dir, const std::string& worker, const std::vector<std::string>& names,
                 std::vector<std::string> extra = {}, const std::string& wrapper = "") {
  auto ids_file = dir / "ids.txt";
  std::ofstream(ids_file) << join(names, "\n") << "\n";
  auto json = dir / "results.json";
  std::vector<std::string> args = {"--worker-command", worker, "--gremlin-ids", ids_file, "--rootdir",
                                   dir.path.string(),  "--json", json, "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto cli = run_cli(args, wrapper);
  return {cli, results_file(json)};
}

// Every gremlin answered exactly once; those not in `faulty` with their normal verdict.
void check_answered(const cli_run& r, const std::vector<std::string>& names, const std::set<std::string>& faulty = {},
                    const std::string& killing_prefix = "tests/test_fake.py::test_") {
  INFO("CLI output:\n" << r.cli.output);
  REQUIRE(r.results.doc.is_object());
  CHECK(r.results.doc["results"].size() == names.size());
  for (const auto& n : names) {
    INFO("gremlin " << n << ": " << r.results.output(n));
    CHECK(r.results.times_seen.count(n) == 1);
    if (r.results.times_seen.count(n)) CHECK(r.results.times_seen.at(n) == 1);
    if (faulty.count(n)) continue;
    CHECK(r.results.status(n) == expected_status(n));
    if (n[0] == 'z')
      CHECK(r.results.by_id.at(n)["killing_test"].dump() == "\"" + killing_prefix + n + "\"");
  }
}

// Ids cycling z, s, e: zapped, survived, error (the fault worker's verdict rule).
std::vector<std::string> mixed(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%c%03d", "zse"[i % 3], i);
    out.push_back(buf);
  }
  return out;
}

// The worker pid each gremlin's answer came from, in id order.
std::map<std::string, long> answering_pids(const cli_run& r) {
  std::map<std::string, long> out;
  for (const auto& [id, j] : r.results.by_id) out[id] = worker_pid_in(j.value("error_output", std::string()));
  return out;
}

}  // namespace

TEST_CASE("batches of every size: each gremlin answered exactly once", "[warm-cli]") {
  auto [n, size, workers] = GENERATE(table<int, int, int>({
    {1, 10, 1},    // one gremlin, a batch bigger than the run
    {20, 10, 1},   // exact multiple
    {23, 10, 1},   // remainder
    {23, 10, 3},   // remainder, parallel
    {17, 1, 2},    // batches of one
    {9, 100, 2},   // one batch for everything
  }));
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = mixed(n);
  auto r = run_warm(dir, fault_worker(mark), names,
                    {"--batch-size", std::to_string(size), "--batch", "--workers", std::to_string(workers)});
  INFO("n=" << n << " batch=" << size << " workers=" << workers);
  CHECK(r.cli.exit_code == 0);
  check_answered(r, names);
  CHECK(r.results.pool()["batches"] == (n + size - 1) / size);
  CHECK(r.results.pool()["warmup_completed"] == workers);
  CHECK(r.results.pool()["is_warmed_up"] == true);
  CHECK(r.results.pool()["restarts"] == 0);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("pytest-gremlins spellings --gremlin-batch and --gremlin-batch-size", "[warm-cli]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = mixed(12);
  auto r = run_warm(dir, fault_worker(mark), names, {"--gremlin-batch", "--gremlin-batch-size=5"});
  CHECK(r.cli.exit_code == 0);
  check_answered(r, names);
  CHECK(r.results.pool()["batches"] == 3);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("every start method runs warm workers", "[warm-cli]") {
  auto method = GENERATE(as<std::string>{}, "auto", "spawn", "fork", "forkserver");
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = mixed(15);
  auto r = run_warm(dir, fault_worker(mark), names, {"--batch", "--batch-size", "4", "--workers", "2",
                                                     "--start-method", method});
  INFO("start method " << method);
  CHECK(r.cli.exit_code == 0);
  check_answered(r, names);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("fault: the worker dies on a gremlin", "[warm-cli]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = mixed(10);
  std::string how = GENERATE(as<std::string>{}, "--die-on", "--kill-on");
  auto r = run_warm(dir, fault_worker(mark, how + " z003"), names, {"--batch", "--batch-size", "10"});
  check_answered(r, names, {"z003"});
  INFO(r.results.output("z003"));
  CHECK(r.results.status("z003") == "error");
  // Retried once on a fresh worker, which died too.
  CHECK(r.results.output("z003").find("took down two workers") != std::string::npos);
  CHECK(r.results.output("z003").find(how == "--die-on" ? "exited with 1" : "killed by SIGKILL") != std::string::npos);
  CHECK(r.results.pool()["restarts"] == 2);
  // The rest of the batch went on in a new worker: the gremlins after it have another pid.
  auto pids = answering_pids(r);
  CHECK(pids["z000"] != 0);
  CHECK(pids["z000"] != pids["z009"]);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("fault: a worker that dies once costs nothing thanks to the retry", "[warm-cli]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = mixed(10);
  auto r = run_warm(dir, fault_worker(mark, "--die-once-on s004 --state-dir " + dir.path.string()), names,
                    {"--batch", "--batch-size", "10"});
  check_answered(r, names);
  CHECK(r.results.pool()["restarts"] == 1);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("fault: garbage, an unknown event, a result for the wrong gremlin", "[warm-cli]") {
  auto [flag, expect] = GENERATE(table<std::string, std::string>({
    {"--garbage-on", "this is not json {z003"},
    {"--unknown-on", "unknown event 'bogus'"},
    {"--wrong-on", "not-z003"},
  }));
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = mixed(12);
  auto r = run_warm(dir, fault_worker(mark, flag + " z003"), names, {"--batch", "--batch-size", "6", "--workers", "2"});
  INFO(flag);
  check_answered(r, names, {"z003"});
  INFO(r.results.output("z003"));
  CHECK(r.results.status("z003") == "error");
  CHECK(r.results.output("z003").find("broke the protocol") != std::string::npos);
  CHECK(r.results.output("z003").find(expect) != std::string::npos);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("fault: a hang without `started` times out and the worker is replaced", "[warm-cli]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = mixed(8);
  auto r = run_warm(dir, fault_worker(mark, "--capabilities inprocess --hang-on z003"), names,
                    {"--batch", "--batch-size", "8", "--timeout", "1"});
  check_answered(r, names, {"z003"});
  CHECK(r.results.status("z003") == "timeout");
  auto pids = answering_pids(r);
  CHECK(pids["z000"] != 0);
  CHECK(pids["z000"] == pids["s001"]);
  CHECK(pids["z006"] != 0);
  CHECK(pids["z006"] != pids["z000"]);  // the hung worker's group was killed; a new one took over
  // The hang, and its confirmation with a doubled limit, each cost the worker its process.
  CHECK(r.results.pool()["restarts"] == 2);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("fault: a hang in a forked child times out and the worker stays warm", "[warm-cli]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto pid_file = dir / "pids";
  auto names = mixed(9);
  auto r = run_warm(dir, fault_worker(mark, "--capabilities fork,inprocess --hang-on z003 --pid-file " + pid_file),
                    names, {"--batch", "--batch-size", "9", "--timeout", "1"});
  check_answered(r, names, {"z003"});
  CHECK(r.results.status("z003") == "timeout");
  CHECK(r.results.pool()["executor"] == "fork");
  auto pids = answering_pids(r);
  std::set<long> distinct;
  for (const auto& [id, pid] : pids)
    if (id != "z003") distinct.insert(pid);
  CHECK(distinct.size() == 1);           // one worker process answered everything else
  CHECK(*distinct.begin() != 0);
  CHECK(slurp(pid_file) == std::to_string(*distinct.begin()) + "\n");  // and it warmed up once
  CHECK(leftovers(mark).empty());
}

TEST_CASE("fault: a 50 MB flood on stdout and stderr does not block the worker", "[warm-cli]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = mixed(6);
  auto r = run_warm(dir, fault_worker(mark, "--flood-on s001 --flood-mb 50"), names, {"--batch", "--batch-size", "3"});
  CHECK(r.cli.exit_code == 0);
  check_answered(r, names);
  CHECK(r.results.pool()["restarts"] == 0);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("max-reuse N (--max-reuse) recycles the worker every N gremlins", "[warm-cli]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = ids("z", 10);
  auto r = run_warm(dir, fault_worker(mark, "--capabilities inprocess"), names,
                    {"--batch", "--batch-size", "4", "--max-reuse", "3", "--workers", "1"});
  CHECK(r.cli.exit_code == 0);
  check_answered(r, names);
  auto pids = answering_pids(r);
  // z00-z02 one process, z03-z05 the next, z06-z08 the next, z09 the last.
  for (int i = 0; i < 10; ++i) {
    INFO("gremlin " << names[i]);
    CHECK(pids[names[i]] != 0);
    if (i % 3 != 0) CHECK(pids[names[i]] == pids[names[i - 1]]);
    else if (i > 0) CHECK(pids[names[i]] != pids[names[i - 1]]);
  }
  CHECK(leftovers(mark).empty());
}

// A recycled worker is sent `shutdown` and end of file; one that does not exit is killed
// after a grace period instead of holding the run forever.
TEST_CASE("max-reuse: a worker that does not exit when recycled is killed and replaced", "[warm-cli]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = ids("z", 5);
  // SIGINT after 30 s: the CLI then stops the run and writes what it has (exit 130).
  auto r = run_warm(dir, fault_worker(mark, "--linger --capabilities inprocess"), names,
                    {"--max-reuse", "2", "--workers", "1"}, "timeout -s INT 30");
  CHECK(r.cli.exit_code == 0);
  check_answered(r, names);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("no warm-up (--no-warmup) starts the worker on its first gremlin", "[warm-cli]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = mixed(5);
  auto r = run_warm(dir, fault_worker(mark), names, {"--no-warmup", "--batch"});
  CHECK(r.cli.exit_code == 0);
  check_answered(r, names);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("the executor option (--executor) picks what the worker is asked for", "[warm-cli]") {
  auto exec = GENERATE(as<std::string>{}, "fork", "inprocess");
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = mixed(4);
  auto r = run_warm(dir, fault_worker(mark), names, {"--executor", exec});
  CHECK(r.cli.exit_code == 0);
  check_answered(r, names);
  CHECK(r.results.pool()["executor"] == exec);
  // Only the fork executor forks a child per gremlin.
  bool forked = r.results.output("z000").find("child_pid=") != std::string::npos;
  CHECK(forked == (exec == "fork"));
  CHECK(leftovers(mark).empty());
}

TEST_CASE("a foreign worker written from docs/protocol.md gets every gremlin answered", "[warm-cli]") {
  std::string exec = GENERATE(as<std::string>{}, "auto", "inprocess");
  scratch_dir dir;
  auto mark = unique_marker();
  auto worker = std::string("/usr/bin/python3 ") + GREMLINS_SOURCE_DIR + "/tests/workers/foreign_worker.py " + mark;
  auto names = mixed(61);
  auto r = run_warm(dir, worker, names,
                    {"--workers", "2", "--batch", "--batch-size", "7", "--executor", exec,
                     "--env", "FOREIGN_CRASH_ON=s016", "--env", "FOREIGN_STATE_DIR=" + dir.path.string()});
  INFO("executor " << exec);
  CHECK(r.cli.exit_code == 0);
  check_answered(r, names, {}, "tests/test_foreign.py::test_");  // the crash on s016 cost a retry, not a verdict
  CHECK(r.results.pool()["warmup_completed"] == 2);
  CHECK(r.results.pool()["batches"].get<int>() >= 9);
  CHECK(r.results.pool()["restarts"] == 1);
  CHECK(r.results.pool()["executor"] == (exec == "auto" ? "fork" : "inprocess"));
  CHECK(leftovers(mark).empty());
}

TEST_CASE("the leftover scan sees a live process carrying the marker", "[warm-cli]") {
  auto mark = unique_marker();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setenv("GREMLIN_TEST_MARKER", mark.c_str(), 1);  // the environment is scanned too
    ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (processes_with(mark).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(processes_with(mark) == std::vector<int>{pid});
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("no retry (--no-retry): a gremlin whose worker dies under it is error at once", "[warm-cli]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = mixed(10);
  auto r = run_warm(dir, fault_worker(mark, "--die-once-on s004 --state-dir " + dir.path.string()), names,
                    {"--batch", "--batch-size", "10", "--no-retry"});
  check_answered(r, names, {"s004"});
  CHECK(r.results.status("s004") == "error");
  CHECK(r.results.output("s004").find("took down two workers") == std::string::npos);
  CHECK(r.results.pool()["restarts"] == 1);
  CHECK(leftovers(mark).empty());
}

TEST_CASE("max restarts (--max-restarts) caps replacement workers from the command line", "[warm-cli]") {
  scratch_dir dir;
  auto mark = unique_marker();
  auto names = mixed(6);
  auto r = run_warm(dir, fault_worker(mark, "--die-on z000 --die-on z003"), names,
                    {"--max-restarts", "1", "--no-retry"});
  // One worker: z000 kills it, its replacement dies on z003, and no third worker may start.
  check_answered(r, names, {"z000", "z003", "s004", "e005"});
  CHECK(r.results.pool()["restarts"] == 1);
  CHECK(r.results.status("z003") == "error");
  for (const char* id : {"s004", "e005"}) {
    CHECK(r.results.status(id) == "error");
    CHECK(r.results.output(id).find("restart limit (1)") != std::string::npos);
  }
  CHECK(leftovers(mark).empty());
}

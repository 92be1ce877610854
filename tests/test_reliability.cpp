// Hostile tests, hostile workers and a dying runner, through the real CLI and real processes:
// the runtime signals only what it started, no process outlives its gremlin or the run, and
// no result is lost to a worker that misbehaves (README "Reliability").

#include <catch2/catch.hpp>

#include <csignal>
#include <set>
#include <sys/wait.h>

#include <future>
#include <memory>

#include "cli_helpers.hpp"
#include "runtime/process/runner.hpp"
#include "warm_support.hpp"

namespace t = gremlins::testing;
namespace w = warm_support;
using namespace std::chrono_literals;

namespace {

struct warm_run {
  w::cli_result cli;
  w::results_file results;
};

warm_run run_warm(const w::scratch_dir& dir, const std::string& worker, const std::vector<std::string>& names,
                  std::vector<std::string> extra = {}) {
  auto ids_file = dir / "ids.txt";
  std::ofstream(ids_file) << w::join(names, "\n") << "\n";
  auto json = dir / "results.json";
  std::vector<std::string> args = {"--worker-command", worker, "--gremlin-ids", ids_file, "--rootdir",
                                   dir.path.string(),  "--json", json, "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto cli = w::run_cli(args);
  return {cli, w::results_file(json)};
}

/// The first word of each line ("3 pipe:[123]" -> "3"), joined by spaces.
std::string fd_numbers(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) out += line.substr(0, line.find(' ')) + " ";
  return out;
}

}  // namespace

TEST_CASE("a worker's `started` for a process it did not fork is a protocol fault, never signalled",
          "[reliability]") {
  // The runtime's own pid (today: the runtime kills its own group at the time limit, exit
  // 137, no results), pid 1, and an unrelated group leader that must survive.
  int unrelated = ::fork();
  if (unrelated == 0) {
    ::setsid();
    ::execlp("sleep", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  REQUIRE(unrelated > 0);
  auto which = GENERATE(0, 1, 2);
  std::string lie = which == 0 ? "" : which == 1 ? "--lie-pid 1" : "--lie-pid " + std::to_string(unrelated);
  w::scratch_dir dir;
  auto mark = w::unique_marker();
  auto names = std::vector<std::string>{"s000", "z001", "s002", "z003"};
  auto r = run_warm(dir, w::fault_worker(mark, "--lie-started-on z001 " + lie), names,
                    {"--timeout", "1", "--executor", "fork"});
  INFO(lie << "\n" << r.cli.output);
  CHECK(r.cli.exit_code == 0);
  REQUIRE(r.results.doc.is_object());
  CHECK(r.results.status("z001") == "error");
  CHECK_THAT(r.results.output("z001"), Catch::Contains("not a process-group leader descending from the worker"));
  INFO(r.results.output("s000"));
  CHECK(r.results.status("s000") == "survived");
  CHECK(r.results.status("z003") == "zapped");
  CHECK(::kill(unrelated, 0) == 0);  // still alive: nobody signalled it
  ::kill(unrelated, SIGKILL);
  ::waitpid(unrelated, nullptr, 0);
  CHECK(w::leftovers(mark).empty());
}

TEST_CASE("a reply longer than the line limit with no newline is a protocol fault, not a timeout",
          "[reliability]") {
  w::scratch_dir dir;
  auto mark = w::unique_marker();
  auto names = std::vector<std::string>{"s000", "z001", "s002"};
  auto r = run_warm(dir, w::fault_worker(mark, "--long-line-on z001"), names, {"--timeout", "30"});
  INFO(r.cli.output);
  CHECK(r.results.status("z001") == "error");
  CHECK_THAT(r.results.output("z001"), Catch::Contains("longer than 1048576 bytes"));
  CHECK(r.results.status("s002") == "survived");
  CHECK(w::leftovers(mark).empty());
}

TEST_CASE("a duplicate result does not turn the next, innocent gremlin into an error", "[reliability]") {
  w::scratch_dir dir;
  auto mark = w::unique_marker();
  auto names = std::vector<std::string>{"s000", "z001", "s002", "z003", "s004"};
  auto r = run_warm(dir, w::fault_worker(mark, "--dup-result-on z001 --capabilities inprocess"), names,
                    {"--batch", "--batch-size", "5"});
  INFO(r.cli.output);
  for (const auto& n : names) {
    INFO(n << ": " << r.results.output(n));
    CHECK(r.results.status(n) == w::expected_status(n));
  }
  CHECK(w::leftovers(mark).empty());
}

TEST_CASE("a cold test that escapes its process group is ended with its run", "[reliability]") {
  auto how = GENERATE(as<std::string>{}, "setsid sleep 1000 &",                       // setsid
                      "(setsid sh -c 'sleep 1000 & exit 0' &) ; sleep 0.2",           // double fork
                      "setsid sh -c 'exec sleep 1000' < /dev/null > /dev/null 2>&1 &");  // daemon-like
  auto method = GENERATE(as<std::string>{}, "spawn", "fork", "forkserver");
  w::scratch_dir dir;
  auto mark = w::unique_marker();
  auto json = dir / "results.json";
  auto r = w::run_cli({"--gremlins", "g1,g2", "--env", "MARK=" + mark, "--start-method", method, "--json", json,
                       "-q", "--", "sh", "-c", how + "\ntest -z \"$ACTIVE_GREMLIN\""});
  INFO(how << " / " << method << "\n" << r.output);
  CHECK(r.exit_code == 0);
  w::results_file results(json);
  CHECK(results.status("g1") == "zapped");
  auto left = w::leftovers(mark);
  CHECK(left.empty());
  for (int p : left) ::kill(p, SIGKILL);
}

TEST_CASE("a warm gremlin's escaped process is ended when its result arrives, not at the end of the run",
          "[reliability]") {
  w::scratch_dir dir;
  auto mark = w::unique_marker();
  std::vector<std::string> names = {"z000", "s001", "s002", "s003", "s004", "s005", "s006", "s007"};
  auto ids_file = dir / "ids.txt";
  std::ofstream(ids_file) << w::join(names, "\n") << "\n";
  auto json = dir / "results.json";
  // Each later gremlin takes 400 ms, so the run goes on for about 3 s after z000's result.
  t::cli_process cli({"run", "--worker-command", w::fault_worker(mark, "--escape-on z000 --gremlin-ms 400"),
                      "--gremlin-ids", ids_file, "--rootdir", dir.path.string(), "--executor", "fork",
                      "--env", "MARK=" + mark, "--json", json, "-q"});
  // The escaped `sleep 1000` carries the marker in its environment, as the worker does.
  auto escaped_seen = [&] {
    for (int p : w::processes_with(mark))
      if (w::slurp("/proc/" + std::to_string(p) + "/cmdline").rfind("sleep", 0) == 0) return true;
    return false;
  };
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!escaped_seen() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  bool gone_before_end = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!escaped_seen()) {
      gone_before_end = !w::results_file(json).doc.is_object();  // the run has not written its results yet
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  auto r = cli.wait(60s);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(gone_before_end);
  w::results_file results(json);
  CHECK(results.status("z000") == "zapped");
  CHECK(w::leftovers(mark).empty());
}

TEST_CASE("after the runner dies by SIGKILL, nothing it started is left within 2 s", "[reliability]") {
  auto method = GENERATE(as<std::string>{}, "spawn", "fork", "forkserver");
  auto warm = GENERATE(false, true);
  w::scratch_dir dir;
  auto mark = w::unique_marker();
  std::vector<std::string> args = {"run", "--gremlins", "g1,g2,g3,g4", "--workers", "2", "--start-method", method,
                                   "--env", "MARK=" + mark, "--timeout", "600"};
  if (warm) {
    args.insert(args.end(), {"--worker-command", w::fault_worker(mark, "--escape-on g1 --hang-on g2 --capabilities fork"),
                             "--executor", "fork"});
  } else {
    args.insert(args.end(), {"--", "sh", "-c", "setsid sleep 1000 & sleep 1000"});
  }
  t::cli_process cli(args);
  // Wait until tests (and an escaped process) run: several processes carry the marker.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (w::processes_with(mark).size() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  REQUIRE(w::processes_with(mark).size() >= 3);
  cli.signal(SIGKILL);
  auto r = cli.wait(10s);
  CHECK(r.term_signal == SIGKILL);
  auto left = t::left_behind(mark, 2s);
  INFO(method << (warm ? " warm" : " cold") << ": left " << left.size());
  CHECK(left.empty());
  t::kill_all(left);
}

TEST_CASE("children see only their own descriptors: 0, 1, 2, and a worker's two protocol pipes",
          "[reliability]") {
  auto method = GENERATE(as<std::string>{}, "spawn", "fork", "forkserver");
  w::scratch_dir dir;
  auto mark = w::unique_marker();
  auto cold_fds = dir / "cold_fds";
  // Run from a shell that holds extra descriptors of its own (7, 9): not even those may leak.
  auto r = w::run_cli({"--gremlins", "g1", "--start-method", method, "-q", "--",
                       std::string(GREMLINS_TEST_PROGRAMS_DIR) + "/proc_fds", cold_fds},
                      "exec 7</dev/null 9>/dev/null;");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(fd_numbers(w::slurp(cold_fds)) == "0 1 2 ");
  auto worker_fds = dir / "worker_fds";
  auto names = std::vector<std::string>{"s000"};
  auto warm = run_warm(dir, w::fault_worker(mark, "--fds-file " + worker_fds), names, {"--start-method", method});
  INFO(warm.cli.output);
  CHECK(fd_numbers(w::slurp(worker_fds)) == "0 1 2 3 4 ");
  CHECK(w::leftovers(mark).empty());
}

TEST_CASE("a timeout is confirmed with a doubled limit before it counts as detected", "[reliability]") {
  w::scratch_dir dir;
  // g_slow is slow only the first time (a loaded machine): its re-run passes, so it survived.
  // g_hang hangs every time: a timeout, confirmed. g_fast fails at once: zapped.
  auto script = "case \"$ACTIVE_GREMLIN\" in\n"
                "  g_slow) if [ ! -e \"$STATE/slow\" ]; then touch \"$STATE/slow\"; sleep 5; fi; exit 0;;\n"
                "  g_hang) exec sleep 1000;;\n"
                "  g_fast) exit 1;;\n"
                "esac\nexit 0\n";
  auto json = dir / "results.json";
  auto r = w::run_cli({"--gremlins", "g_slow,g_hang,g_fast", "--timeout", "1", "--env", "STATE=" + dir.path.string(),
                       "--json", json, "-q", "--", "sh", "-c", script});
  INFO(r.output);
  w::results_file results(json);
  CHECK(results.status("g_slow") == "survived");
  CHECK(results.status("g_hang") == "timeout");
  CHECK_THAT(results.output("g_hang"), Catch::Contains("time limit of 2000 ms exceeded"));
  CHECK_THAT(results.output("g_hang"), Catch::Contains("confirmed: the first run also exceeded its limit of 1000 ms"));
  CHECK(results.status("g_fast") == "zapped");
}

TEST_CASE("Ctrl-C during the warm-up or the warm phase ends the run: no cold phase after it", "[reliability]") {
  auto during = GENERATE(as<std::string>{}, "warm-up", "warm phase");
  w::scratch_dir dir;
  auto mark = w::unique_marker();
  auto manifest = dir / "manifest.json";
  std::ofstream(manifest) << R"({"version": 1, "gremlins": [{"id": "z000"}, {"id": "s001"}, {"id": "st9", "static": true}]})";
  auto cold_ran = dir / "cold_ran";
  auto worker = during == "warm-up" ? w::fault_worker(mark, "--never-ready")
                                    : w::fault_worker(mark, "--hang-on z000 --capabilities inprocess");
  auto json = dir / "results.json";
  // The cold command passes its baseline, and leaves a file when it runs for a gremlin.
  t::cli_process cli({"run", "--manifest", manifest, "--worker-command", worker, "--warmup-timeout", "60",
                      "--timeout", "60", "--json", json, "-q", "--", "sh", "-c",
                      "[ -z \"$ACTIVE_GREMLIN\" ] || touch " + cold_ran});
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (w::processes_with(mark).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(500ms);  // the worker is warming up (or hanging on z000)
  cli.signal(SIGINT);
  auto r = cli.wait(30s);
  INFO(during << "\n" << r.err);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 130);
  CHECK(r.wall_ms < 20000);
  CHECK_FALSE(t::exists(cold_ran));
  w::results_file results(json);
  REQUIRE(results.doc.is_object());
  CHECK(results.doc["results"].size() == 3);
  CHECK_THAT(results.output("st9"), Catch::StartsWith("cancelled:"));
  CHECK(w::leftovers(mark).empty());
}

TEST_CASE("a runner whose sweep timer expires while it shuts down still stops", "[reliability]") {
  // The hang this guards against: the periodic sweep of escaped descendants (every 500 ms
  // while processes live) expired while the I/O thread was busy, so its handler was queued
  // behind the destructor's shutdown, ran after it (a cancel cannot stop a handler already
  // queued) and armed the timer again, forever: the destructor's join never returned.
  // Here the I/O thread is held in a callback past the first sweep while the runner is
  // destroyed; the destruction must end within a generous bound.
  auto runner = std::make_unique<gremlins::process_runner>();
  std::promise<void> in_callback;
  gremlins::process_callbacks cb;
  cb.on_exit = [&in_callback](gremlins::process_exit) {
    in_callback.set_value();
    std::this_thread::sleep_for(900ms);  // the sweep timer (500 ms after the start) expires meanwhile
  };
  gremlins::process_spec spec;
  spec.argv = {"true"};
  runner->start(spec, cb);
  in_callback.get_future().wait();
  auto destroyed = std::make_shared<std::promise<void>>();
  auto done = destroyed->get_future();
  // Destroyed on a thread of its own, so that a hang fails this test instead of stalling it.
  std::thread([r = std::move(runner), destroyed]() mutable {
    r.reset();
    destroyed->set_value();
  }).detach();
  CHECK(done.wait_for(30s) == std::future_status::ready);
}

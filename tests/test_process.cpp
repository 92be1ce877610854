// process_runner against real processes: /bin/sh, /bin/true and the helpers of tests/programs.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/process/runner.hpp"

using namespace gremlins;
using namespace std::chrono_literals;

namespace {

std::string program(const std::string& name) {
  return std::string(GREMLINS_TEST_PROGRAMS_DIR) + "/" + name;
}

process_spec sh(const std::string& script, start_method m = start_method::spawn) {
  process_spec s;
  s.argv = {"/bin/sh", "-c", script};
  s.method = m;
  return s;
}

/// True once `pid` no longer exists (or is a zombie waiting for init); polls up to `limit`.
bool gone(int pid, std::chrono::milliseconds limit = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto paren = all.rfind(')');
    if (paren != std::string::npos && paren + 2 < all.size() &&
        (all[paren + 2] == 'Z' || all[paren + 2] == 'X'))
      return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

/// The pids of this process's live children (those of every thread), from /proc. Zombies
/// are left out: this process is a subreaper, and a member of a group that an earlier test's
/// runner killed may be re-parented here and die after that runner is gone.
std::vector<int> child_pids() {
  std::vector<int> pids;
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return pids;
  while (dirent* e = ::readdir(tasks)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + e->d_name + "/children");
    int pid;
    while (in >> pid) {
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      auto paren = all.rfind(')');
      if (paren != std::string::npos && paren + 2 < all.size() && all[paren + 2] == 'Z') continue;
      pids.push_back(pid);
    }
  }
  ::closedir(tasks);
  return pids;
}
/// Records the callbacks of one process; waits for them from the test thread.
struct events {
  std::mutex m;
  std::condition_variable cv;
  int pid = -1;
  int started_calls = 0;
  int exit_calls = 0;
  int batches = 0;
  std::vector<std::string> lines;
  std::size_t lines_at_exit = 0;
  process_exit exit;

  process_callbacks callbacks() {
    process_callbacks cb;
    cb.on_started = [this](int p) {
      std::lock_guard<std::mutex> g(m);
      pid = p;
      ++started_calls;
      cv.notify_all();
    };
    cb.on_reply_lines = [this](std::vector<std::string> ls) {
      std::lock_guard<std::mutex> g(m);
      ++batches;
      for (auto& l : ls) lines.push_back(std::move(l));
      cv.notify_all();
    };
    cb.on_exit = [this](process_exit e) {
      std::lock_guard<std::mutex> g(m);
      exit = std::move(e);
      lines_at_exit = lines.size();
      ++exit_calls;
      cv.notify_all();
    };
    return cb;
  }
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds limit = 20000ms) {
    std::unique_lock<std::mutex> g(m);
    return cv.wait_for(g, limit, [&] { return pred(); });
  }
  bool wait_exit(std::chrono::milliseconds limit = 20000ms) {
    return wait([this] { return exit_calls > 0; }, limit);
  }
  bool wait_lines(std::size_t n, std::chrono::milliseconds limit = 20000ms) {
    return wait([this, n] { return lines.size() >= n; }, limit);
  }
};

}  // namespace

TEST_CASE("exit codes are reported", "[process]") {
  auto method = GENERATE(start_method::fork, start_method::spawn, start_method::forkserver,
                         start_method::auto_);
  process_runner runner;
  process_spec t;
  t.argv = {"/bin/true"};
  t.method = method;
  CHECK(runner.run_to_end(t, 20s).exit_code == 0);
  process_spec f;
  f.argv = {"false"};  // found on PATH
  f.method = method;
  auto r1 = runner.run_to_end(f, 20s);
  CHECK(r1.exit_code == 1);
  CHECK(r1.term_signal == 0);
  CHECK(r1.spawn_error.empty());
  auto r3 = runner.run_to_end(sh("exit 3", method), 20s);
  CHECK(r3.exit_code == 3);
  CHECK(r3.wall_ms >= 0);
  CHECK(runner.live_count() == 0);
}

TEST_CASE("death by a signal is reported as the signal", "[process]") {
  auto method = GENERATE(start_method::fork, start_method::spawn, start_method::forkserver);
  process_runner runner;
  auto killed = runner.run_to_end(sh("echo before; kill -9 $$", method), 20s);
  CHECK(killed.exit_code == -1);
  CHECK(killed.term_signal == SIGKILL);
  CHECK(killed.output == "before\n");
  process_spec segv;
  segv.argv = {program("proc_segv")};
  segv.method = method;
  auto crashed = runner.run_to_end(segv, 20s);
  CHECK(crashed.exit_code == -1);
  CHECK(crashed.term_signal == SIGSEGV);
}

TEST_CASE("start failures arrive as on_exit with spawn_error", "[process]") {
  auto method = GENERATE(start_method::fork, start_method::spawn, start_method::forkserver);
  process_runner runner;
  {
    events ev;
    process_spec s;
    s.argv = {"no-such-program-gremlins-xyz", "arg"};
    s.method = method;
    runner.start(s, ev.callbacks());
    REQUIRE(ev.wait_exit());
    CHECK(ev.started_calls == 0);
    CHECK(ev.exit.spawn_error.find("no-such-program-gremlins-xyz") != std::string::npos);
    CHECK(ev.exit.exit_code == -1);
  }
  {
    events ev;
    process_spec s;
    s.argv = {"/bin/true"};
    s.cwd = "/nonexistent/gremlins-dir";
    s.method = method;
    runner.start(s, ev.callbacks());
    REQUIRE(ev.wait_exit());
    CHECK(ev.started_calls == 0);
    CHECK(ev.exit.spawn_error.find("/nonexistent/gremlins-dir") != std::string::npos);
  }
  {
    process_spec s;
    s.argv = {"/nonexistent/bin/prog"};
    s.method = method;
    auto r = runner.run_to_end(s, 20s);
    CHECK(r.spawn_error.find("/nonexistent/bin/prog") != std::string::npos);
  }
  {
    process_spec s;  // exists but is not executable
    s.argv = {"/etc/passwd"};
    s.method = method;
    auto r = runner.run_to_end(s, 20s);
    CHECK(r.spawn_error.find("/etc/passwd") != std::string::npos);
  }
  CHECK(runner.live_count() == 0);
  CHECK(child_pids().size() == 1);  // only the fork server: no zombie of a failed exec
}

TEST_CASE("the fork server takes large requests and leaves nothing behind", "[process]") {
  {
    process_runner runner;
    CHECK(child_pids().size() == 1);  // the fork server, started with the runner
    process_spec s;
    s.argv = {program("proc_exit"), "4"};
    std::string expected;
    for (int i = 0; i < 3000; ++i) {  // ~300 KB of arguments: many chunks on the socket
      s.argv.push_back(std::to_string(i) + std::string(100, 'a'));
      expected += s.argv.back() + "\n";
    }
    s.env = {{"GREMLINS_BIG_VAR", std::string(100000, 'v')}};
    s.method = start_method::forkserver;
    s.output_tail_bytes = expected.size();
    auto r = runner.run_to_end(s, 30s);
    CHECK(r.spawn_error == "");
    CHECK(r.exit_code == 4);
    CHECK(r.output == expected);
  }
  CHECK(child_pids().empty());
}

TEST_CASE("environment, working directory and PATH lookup are applied", "[process]") {
  auto method = GENERATE(start_method::fork, start_method::spawn, start_method::forkserver);
  char dir_template[] = "/tmp/gremlins-proc-XXXXXX";
  std::string dir = ::mkdtemp(dir_template);
  process_runner runner;
  auto s = sh("echo \"$GREMLINS_TEST_VAR\"; echo \"$HOME\"; pwd", method);
  s.cwd = dir;
  s.env = {{"GREMLINS_TEST_VAR", "hello world"}, {"HOME", "/first"}, {"HOME", "/second"}};
  auto r = runner.run_to_end(s, 20s);
  CHECK(r.output == "hello world\n/second\n" + dir + "\n");
  // argv[0] without '/' is looked up on the PATH of the child's environment.
  process_spec p;
  p.argv = {"proc_exit", "7", "found"};
  p.env = {{"PATH", std::string("/nonexistent:") + GREMLINS_TEST_PROGRAMS_DIR}};
  p.method = method;
  auto found = runner.run_to_end(p, 20s);
  CHECK(found.spawn_error == "");
  CHECK(found.exit_code == 7);
  CHECK(found.output == "found\n");
  // The caller's environment is inherited.
  ::setenv("GREMLINS_INHERITED_VAR", "inherited", 1);
  CHECK(runner.run_to_end(sh("echo $GREMLINS_INHERITED_VAR", method), 20s).output ==
        "inherited\n");
  ::unsetenv("GREMLINS_INHERITED_VAR");
  // stdin is /dev/null: cat ends at once instead of hanging.
  CHECK(runner.run_to_end(sh("cat; echo done", method), 20s).output == "done\n");
  ::rmdir(dir.c_str());
}

namespace {
long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  return -1;
}
}  // namespace

TEST_CASE("a 50 MB flood keeps only a bounded tail and does not block", "[process]") {
  auto method = GENERATE(start_method::fork, start_method::spawn, start_method::forkserver);
  process_runner runner;
  // Reset the peak RSS so VmHWM shows what this run costs.
  bool peak_reset = static_cast<bool>(std::ofstream("/proc/self/clear_refs") << "5");
  long rss_before = status_kb("VmRSS:");
  auto s = sh("head -c 52428800 /dev/zero | tr '\\0' x; echo; echo ERR-MARK >&2; echo END-MARK",
              method);
  s.output_tail_bytes = 4096;
  auto t0 = std::chrono::steady_clock::now();
  auto r = runner.run_to_end(s, 120s);
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(r.exit_code == 0);
  CHECK(r.output.size() == 4096);
  CHECK(r.output.find("ERR-MARK\nEND-MARK\n") != std::string::npos);
  CHECK(r.output.substr(r.output.size() - 9) == "END-MARK\n");
  CHECK(r.output.substr(0, 10) == "xxxxxxxxxx");
  CHECK(secs < 60);  // a sanity bound only
  if (peak_reset) CHECK(status_kb("VmHWM:") - rss_before < 20 * 1024);
}

TEST_CASE("a grandchild holding the pipes does not keep the run alive", "[process]") {
  auto method = GENERATE(start_method::fork, start_method::spawn, start_method::forkserver);
  process_runner runner;
  auto s = sh("sleep 1000 & echo $!; echo $! >&$GREMLIN_REPLY_FD; exit 5", method);
  s.protocol_pipes = true;
  auto t0 = std::chrono::steady_clock::now();
  auto r = runner.run_to_end(s, 60s);
  CHECK(std::chrono::steady_clock::now() - t0 < 30s);
  CHECK(r.exit_code == 5);
  int grandchild = std::atoi(r.output.c_str());
  REQUIRE(grandchild > 1);
  CHECK(gone(grandchild));
  CHECK(runner.live_count() == 0);
}

TEST_CASE("a process that left the group cannot keep the run alive either", "[process]") {
  process_runner runner;
  // setsid puts the sleeper in a group of its own, out of reach of the group kill; it still
  // holds the output pipe, so only the runner's drain grace period ends the wait.
  auto r = runner.run_to_end(sh("setsid sleep 1000 & echo $!"), 60s);
  CHECK(r.exit_code == 0);
  int escaped = std::atoi(r.output.c_str());
  REQUIRE(escaped > 1);
  CHECK(runner.live_count() == 0);
  // Re-parented to the runner (a subreaper) when the shell exited, and ended with its run.
  CHECK(gone(escaped, 3000ms));
  if (!gone(escaped, 1ms)) ::kill(escaped, SIGKILL);  // a failing test must not leave it
}

TEST_CASE("callbacks run on the runner's one I/O thread", "[process]") {
  process_runner runner;
  std::mutex m;
  std::vector<std::thread::id> ids;
  std::promise<void> done;
  process_callbacks cb;
  auto note = [&] {
    std::lock_guard<std::mutex> g(m);
    ids.push_back(std::this_thread::get_id());
  };
  cb.on_started = [&](int) { note(); };
  cb.on_reply_lines = [&](std::vector<std::string>) { note(); };
  cb.on_exit = [&](process_exit) {
    note();
    done.set_value();
  };
  auto s = sh("echo one >&4; sleep 0.05; echo two >&4");
  s.protocol_pipes = true;
  runner.start(s, cb);
  REQUIRE(done.get_future().wait_for(20s) == std::future_status::ready);
  std::lock_guard<std::mutex> g(m);
  REQUIRE(ids.size() >= 3);
  for (auto& id : ids) {
    CHECK(id == ids[0]);
    CHECK(id != std::this_thread::get_id());
  }
}

TEST_CASE("kill_group ends a hanging group, grandchildren included", "[process]") {
  auto method = GENERATE(start_method::fork, start_method::spawn, start_method::forkserver);
  process_runner runner;
  events ev;
  auto s = sh("sleep 1000 & echo $! >&$GREMLIN_REPLY_FD; echo $$ >&4; wait", method);
  s.protocol_pipes = true;
  auto token = runner.start(s, ev.callbacks());
  REQUIRE(ev.wait_lines(2));
  CHECK(runner.live_count() == 1);
  int grandchild = std::stoi(ev.lines[0]);
  CHECK(std::stoi(ev.lines[1]) == ev.pid);
  runner.kill_group(token, SIGTERM);
  REQUIRE(ev.wait_exit());
  CHECK(ev.exit.term_signal == SIGTERM);
  CHECK(ev.exit_calls == 1);
  CHECK(gone(grandchild));
  CHECK(gone(ev.pid));
  CHECK(runner.live_count() == 0);
  runner.kill_group(token, SIGKILL);  // after the reap: a no-op
}

TEST_CASE("kill_descendant_group signals a group the child made, and nothing else", "[process]") {
  process_runner runner;
  events ev;
  // setsid: the background job leads a process group of its own, as a worker's fork child does.
  auto s = sh("setsid sleep 1000 & echo $! >&4; wait");
  s.protocol_pipes = true;
  runner.start(s, ev.callbacks());
  REQUIRE(ev.wait_lines(1));
  int grandchild = std::stoi(ev.lines[0]);
  // Not descendants of the child, or not group leaders: refused, nothing signalled.
  CHECK_FALSE(process_runner::kill_descendant_group(::getpid(), ev.pid, SIGKILL));
  CHECK_FALSE(process_runner::kill_descendant_group(ev.pid, ev.pid, SIGKILL));
  CHECK_FALSE(process_runner::kill_descendant_group(1, ev.pid, SIGKILL));
  CHECK_FALSE(process_runner::kill_descendant_group(grandchild, ::getpid() + 100000, SIGKILL));
  // `$!` is known before the child has called setsid: wait until it leads its group.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!process_runner::is_group_of_descendant(grandchild, ev.pid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  CHECK(process_runner::is_group_of_descendant(grandchild, ev.pid));
  CHECK(process_runner::kill_descendant_group(grandchild, ev.pid, SIGKILL));
  CHECK(gone(grandchild));
  REQUIRE(ev.wait_exit());
  CHECK(ev.exit.term_signal == 0);  // the child itself was not signalled: its `wait` returned
}

TEST_CASE("protocol pipes echo 10,000 lines in order", "[process]") {
  auto method = GENERATE(start_method::fork, start_method::spawn, start_method::forkserver);
  process_runner runner;
  events ev;
  process_spec s;
  s.argv = {program("proc_echo")};
  s.protocol_pipes = true;
  s.method = method;
  auto token = runner.start(s, ev.callbacks());
  const int n = 10000;
  for (int i = 0; i < n; ++i) runner.write(token, "line-" + std::to_string(i) + "\n");
  runner.close_requests(token);
  REQUIRE(ev.wait_exit(60s));
  CHECK(ev.exit.exit_code == 0);
  CHECK(ev.started_calls == 1);
  CHECK(ev.exit_calls == 1);
  REQUIRE(ev.lines.size() == n);
  CHECK(ev.lines_at_exit == n);  // every reply line came before on_exit
  bool in_order = true;
  for (int i = 0; i < n; ++i) in_order = in_order && ev.lines[i] == "line-" + std::to_string(i);
  CHECK(in_order);
  CHECK(ev.batches < n);  // delivered in batches, not line by line
  CHECK(gone(ev.pid));
}

TEST_CASE("reply lines: overlong lines are capped, a last partial line is delivered",
          "[process]") {
  process_runner runner;
  events ev;
  auto s = sh("head -c 3000000 /dev/zero | tr '\\0' a >&4; echo >&4; echo ok >&4; printf tail >&4");
  s.protocol_pipes = true;
  runner.start(s, ev.callbacks());
  REQUIRE(ev.wait_exit());
  REQUIRE(ev.lines.size() == 3);
  CHECK(ev.lines[0].size() == 1024 * 1024);
  CHECK(ev.lines[1] == "ok");
  CHECK(ev.lines[2] == "tail");
}

TEST_CASE("protocol fds do not leak into other children", "[process]") {
  auto method = GENERATE(start_method::fork, start_method::spawn, start_method::forkserver);
  process_runner runner;
  events worker, other;
  process_spec w;
  w.argv = {program("proc_echo")};
  w.protocol_pipes = true;
  w.method = method;
  auto worker_token = runner.start(w, worker.callbacks());
  REQUIRE(worker.wait([&] { return worker.started_calls > 0; }));
  auto sleeper = sh("exec sleep 1000", method);
  auto other_token = runner.start(sleeper, other.callbacks());
  REQUIRE(other.wait([&] { return other.started_calls > 0; }));
  // The worker sees EOF only if no other child holds a copy of its request pipe.
  runner.close_requests(worker_token);
  CHECK(worker.wait_exit(10s));
  CHECK(worker.exit.exit_code == 0);
  CHECK(other.exit_calls == 0);
  runner.kill_group(other_token, SIGKILL);
  REQUIRE(other.wait_exit());
  CHECK(gone(other.pid));
}

TEST_CASE("writing to a worker that closed its request pipe does not hurt", "[process]") {
  process_runner runner;
  events ev;
  auto s = sh("exec 3<&-; sleep 0.3; echo alive");
  s.protocol_pipes = true;
  auto token = runner.start(s, ev.callbacks());
  REQUIRE(ev.wait([&] { return ev.started_calls > 0; }));
  std::this_thread::sleep_for(100ms);
  for (int i = 0; i < 100; ++i) runner.write(token, std::string(100000, 'r') + "\n");
  REQUIRE(ev.wait_exit());
  CHECK(ev.exit.exit_code == 0);
  CHECK(ev.exit.output == "alive\n");
  runner.write(token, "after exit\n");  // unknown token by now: ignored
  runner.close_requests(token);
}

TEST_CASE("the destructor kills and reaps everything left", "[process]") {
  auto method = GENERATE(start_method::fork, start_method::spawn, start_method::forkserver);
  events ev;
  int grandchild = -1;
  {
    process_runner runner;
    auto s = sh("sleep 1000 & echo $! >&4; wait", method);
    s.protocol_pipes = true;
    runner.start(s, ev.callbacks());
    REQUIRE(ev.wait_lines(1));
    grandchild = std::stoi(ev.lines[0]);
    CHECK(runner.live_count() == 1);
  }
  CHECK(gone(grandchild));
  // Reaped by us, not left as a zombie: the pid no longer exists at all.
  CHECK((::kill(ev.pid, 0) != 0 && errno == ESRCH));
}

TEST_CASE("run_to_end kills the group at the limit and keeps the output", "[process]") {
  process_runner runner;
  auto r = runner.run_to_end(sh("echo started; sleep 1000 & echo $!; wait"), 300ms);
  CHECK(r.term_signal == SIGKILL);
  CHECK(r.exit_code == -1);
  REQUIRE(r.output.rfind("started\n", 0) == 0);
  int grandchild = std::atoi(r.output.c_str() + 8);
  REQUIRE(grandchild > 1);
  CHECK(gone(grandchild));
}

TEST_CASE("many short processes at once", "[process]") {
  process_runner runner;
  const int n = 64;
  std::vector<events> evs(n);
  for (int i = 0; i < n; ++i) {
    process_spec s;
    s.argv = {program("proc_exit"), std::to_string(i % 7), std::to_string(i)};
    s.method = i % 2 ? start_method::fork : start_method::spawn;
    runner.start(s, evs[i].callbacks());
  }
  for (int i = 0; i < n; ++i) {
    REQUIRE(evs[i].wait_exit());
    CHECK(evs[i].exit.exit_code == i % 7);
    CHECK(evs[i].exit.output == std::to_string(i) + "\n");
    CHECK(evs[i].exit_calls == 1);
  }
  CHECK(runner.live_count() == 0);
  CHECK(child_pids().size() == 1);  // the fork server
}

namespace {
/// Sequential request/reply round trips with one warm proc_echo worker per thread.
double round_trips_per_second(start_method method, int workers, std::size_t per_worker) {
  process_runner runner;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&runner, method, per_worker] {
      std::mutex m;
      std::condition_variable cv;
      std::size_t replies = 0;
      bool exited = false;
      process_callbacks cb;
      cb.on_reply_lines = [&](std::vector<std::string> lines) {
        std::lock_guard<std::mutex> g(m);
        replies += lines.size();
        cv.notify_all();
      };
      cb.on_exit = [&](process_exit) {
        std::lock_guard<std::mutex> g(m);
        exited = true;
        cv.notify_all();
      };
      process_spec s;
      s.argv = {program("proc_echo")};
      s.protocol_pipes = true;
      s.method = method;
      auto token = runner.start(s, cb);
      for (std::size_t i = 0; i < per_worker; ++i) {
        runner.write(token, "ping\n");
        std::unique_lock<std::mutex> g(m);
        cv.wait(g, [&] { return replies > i; });
      }
      runner.close_requests(token);
      std::unique_lock<std::mutex> g(m);
      cv.wait(g, [&] { return exited; });
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return workers * per_worker / secs;
}
}  // namespace

// Not a test: round-trip rates of warm workers (hidden; run with "[process-bench]" -s).
TEST_CASE("protocol round trips per second", "[.][process-bench]") {
  for (auto method : {start_method::fork, start_method::spawn, start_method::forkserver})
    for (int workers : {1, 2})
      std::printf("%s, %d worker(s): %.0f round trips/s\n", to_string(method), workers,
                  round_trips_per_second(method, workers, 20000));
}

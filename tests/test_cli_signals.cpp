// How a run ends early, on the real gremlin-actors binary and real test commands
// (cli/stop_watch.hpp, docs/exit-codes.md): SIGTERM and SIGHUP are handled like SIGINT, each
// with its exit code; a second signal still works; a closed standard output neither kills the
// program nor leaves a process; an interrupted run says so in its progress and -q lines; the
// signal pipe is close-on-exec. Every test tags its commands (CT_MARK in their environment,
// unique sleep lengths) and checks /proc afterwards that none of them is left.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>

#include <csignal>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"

using namespace gremlins::testing;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

json read_json(const std::string& path) {
  auto text = read_text(path);
  INFO("results file " << path << ":\n" << text);
  REQUIRE_FALSE(text.empty());
  return json::parse(text);
}

std::map<std::string, std::string> statuses(const json& doc) {
  std::map<std::string, std::string> out;
  for (const auto& r : doc.at("results")) out[r.at("gremlin_id").get<std::string>()] = r.at("status");
  return out;
}

void check_nothing_left(const std::string& marker) {
  auto left = left_behind(marker);
  kill_all(left);
  INFO("processes left behind with marker " << marker);
  CHECK(left.empty());
}

/// g1 is zapped at once; the others say they started, then sleep `sleep` seconds.
std::string slow_script(const std::string& sleep) {
  return "case \"$ACTIVE_GREMLIN\" in '') exit 0;; g1) exit 1;; esac\n"
         "touch \"$D/started-$ACTIVE_GREMLIN\"\n"
         "sleep " + sleep;
}

/// gremlin-actors with its standard output (and, with `both`, its standard error: `2>&1`) on
/// a pipe this test reads, like `gremlin-actors run ... | head -1`. Without `both`, stderr
/// goes to a file. SIGPIPE is at its default in the child, as a shell leaves it.
class piped_cli {
public:
  piped_cli(const std::vector<std::string>& args, bool both) {
    err_path_ = dir_ / "stderr";
    std::vector<std::string> argv{GREMLINS_CLI};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::setpgid(0, 0);
      int in = ::open("/dev/null", O_RDONLY);
      int err = both ? p[1] : ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || err < 0) ::_exit(126);
      ::dup2(in, 0);
      ::dup2(p[1], 1);
      ::dup2(err, 2);
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGPIPE, SIG_DFL);
      ::execve(cargv[0], cargv.data(), environ);
      ::_exit(127);
    }
    ::close(p[1]);
    read_fd_ = p[0];
  }
  ~piped_cli() {
    close_reader();
    if (!reaped_) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  /// Reads up to the first newline (what `head -1` takes); empty when none came in `limit`.
  std::string first_line(std::chrono::milliseconds limit) {
    std::string got;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (got.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd pf{read_fd_, POLLIN, 0};
      if (::poll(&pf, 1, 50) <= 0) continue;
      char c;
      if (::read(read_fd_, &c, 1) != 1) break;
      got += c;
    }
    return got;
  }
  /// The reader goes away, as `head` does after its line.
  void close_reader() {
    if (read_fd_ >= 0) ::close(read_fd_);
    read_fd_ = -1;
  }
  /// Waits up to `limit`; past it, kills the group and reports a time-out.
  cli_run wait(std::chrono::milliseconds limit) {
    cli_run r;
    auto deadline = std::chrono::steady_clock::now() + limit;
    int st = 0;
    for (;;) {
      if (::waitpid(pid_, &st, WNOHANG) == pid_) break;
      if (std::chrono::steady_clock::now() > deadline) {
        r.timed_out = true;
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, &st, 0);
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    reaped_ = true;
    if (WIFEXITED(st)) r.exit_code = WEXITSTATUS(st);
    if (WIFSIGNALED(st)) r.term_signal = WTERMSIG(st);
    r.err = read_text(err_path_);
    return r;
  }

private:
  scratch_dir dir_;
  std::string err_path_;
  pid_t pid_ = -1;
  int read_fd_ = -1;
  bool reaped_ = false;
};

}  // namespace

TEST_CASE("signals: SIGTERM and SIGHUP stop a run like SIGINT, each with its exit code", "[cli][signals]") {
  struct which {
    int sig;
    int code;
    const char* name;
  };
  auto w = GENERATE(which{SIGTERM, 143, "SIGTERM"}, which{SIGHUP, 129, "SIGHUP"}, which{SIGINT, 130, "SIGINT"});
  INFO(w.name);
  scratch_dir d;
  auto mark = unique_marker("stopsig");
  std::string sleep = std::to_string(320 + w.sig) + ".5";
  cli_process cli(run_args({"--gremlins", "g1,g2,g3,g4", "--timeout", "120", "--env", "D=" + d.path(),
                            "--json", d / "r.json"},
                           mark, slow_script(sleep)));
  REQUIRE(wait_for_file(d / "started-g2", 60s));
  cli.signal(w.sig);
  auto r = cli.wait(60s);
  INFO(r.err);
  CHECK_FALSE(r.timed_out);
  CHECK(r.term_signal == 0);
  CHECK(r.exit_code == w.code);
  auto doc = read_json(d / "r.json");
  CHECK(doc["interrupted"] == true);
  auto st = statuses(doc);
  CHECK(st["g1"] == "zapped");
  CHECK(st["g2"] == "error");  // cancelled while it was running
  CHECK_FALSE(exists(d / "started-g3"));
  // The console report and the progress line say it was interrupted, and never 100 %.
  CHECK_THAT(r.out, Catch::Contains("Interrupted"));
  CHECK_THAT(r.err, Catch::Contains("interrupted: 1 of 4 gremlins tested"));
  CHECK_THAT(r.err, !Catch::Contains("(100%)"));
  CHECK_THAT(r.err, !Catch::Contains("4/4"));
  if (w.sig != SIGINT) CHECK_THAT(r.err, Catch::Contains(std::string("stopped by ") + w.name));
  check_nothing_left(mark);
  check_nothing_left(sleep);
}

TEST_CASE("signals: -q after an interrupt says how many were tested and scores those", "[cli][signals]") {
  scratch_dir d;
  auto mark = unique_marker("quietstop");
  cli_process cli(run_args({"-q", "--gremlins", "g1,g2,g3,g4", "--timeout", "120", "--env", "D=" + d.path()},
                           mark, slow_script("330.5")));
  REQUIRE(wait_for_file(d / "started-g2", 60s));
  cli.signal(SIGINT);
  auto r = cli.wait(60s);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 130);
  CHECK_THAT(r.out, Catch::Contains("gremlins: interrupted: 1 of 4 tested, 1 zapped, 0 survived"));
  CHECK_THAT(r.out, Catch::Contains("score 100.00% over the tested ones"));
  CHECK_THAT(r.out, !Catch::Contains("4 total"));
  check_nothing_left(mark);
  check_nothing_left("330.5");
}

TEST_CASE("signals: a second signal kills what the first could not stop", "[cli][signals]") {
  // The baseline ignores SIGTERM, which is what the first stop sends it.
  scratch_dir d;
  auto mark = unique_marker("twice");
  auto script =
    "trap '' TERM\n"
    "case \"$ACTIVE_GREMLIN\" in '') touch \"$D/baseline\"; sleep 331.5;; esac\n"
    "touch \"$D/ran-$ACTIVE_GREMLIN\"";
  cli_process cli(run_args({"--gremlins", "g1,g2", "--env", "D=" + d.path()}, mark, script));
  REQUIRE(wait_for_file(d / "baseline", 60s));
  cli.signal(SIGINT);
  std::this_thread::sleep_for(1500ms);
  CHECK_FALSE(processes_with("331.5").empty());  // the first one asked; the baseline ignored it
  cli.signal(SIGINT);
  auto r = cli.wait(30s);
  INFO(r.err);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 130);
  CHECK_THAT(r.err, Catch::Contains("interrupted during the baseline"));
  CHECK_FALSE(exists(d / "ran-g1"));
  check_nothing_left(mark);
  check_nothing_left("331.5");
}

TEST_CASE("signals: `2>&1 | head -1` with no results file stops the run, exit 141, nothing left",
          "[cli][signals]") {
  scratch_dir d;
  auto mark = unique_marker("headnofile");
  piped_cli cli(run_args({"--gremlins", "g1,g2,g3,g4", "--timeout", "120", "--env", "D=" + d.path()}, mark,
                         slow_script("332.5")),
                true);
  auto line = cli.first_line(60s);
  CHECK_THAT(line, Catch::Contains("gremlin-actors: 1/4"));
  cli.close_reader();
  auto r = cli.wait(60s);
  CHECK_FALSE(r.timed_out);
  CHECK(r.term_signal == 0);  // not killed by SIGPIPE
  CHECK(r.exit_code == 141);
  check_nothing_left(mark);
  check_nothing_left("332.5");
}

TEST_CASE("signals: `| head -1` with stderr elsewhere: stopped as soon as stdout is gone", "[cli][signals]") {
  scratch_dir d;
  auto mark = unique_marker("stdoutgone");
  piped_cli cli(run_args({"--gremlins", "g1,g2,g3,g4", "--timeout", "120", "--env", "D=" + d.path()}, mark,
                         slow_script("333.5")),
                false);
  REQUIRE(wait_for_file(d / "started-g2", 60s));
  cli.close_reader();  // nothing was printed on stdout yet: only the watch can see this
  auto r = cli.wait(60s);
  INFO(r.err);
  CHECK_FALSE(r.timed_out);
  CHECK(r.term_signal == 0);
  CHECK(r.exit_code == 141);
  CHECK_THAT(r.err, Catch::Contains("standard output was closed"));
  CHECK_FALSE(exists(d / "started-g3"));
  check_nothing_left(mark);
  check_nothing_left("333.5");
}

TEST_CASE("signals: `2>&1 | head -1` with --json finishes quietly and writes the results", "[cli][signals]") {
  scratch_dir d;
  auto mark = unique_marker("headjson");
  auto script =
    "case \"$ACTIVE_GREMLIN\" in '') exit 0;; g1) exit 1;; esac\n"
    "sleep 0.3; exit 0";
  piped_cli cli(run_args({"--gremlins", "g1,g2,g3,g4,g5", "--timeout", "60", "--json", d / "r.json"}, mark,
                         script),
                true);
  auto line = cli.first_line(60s);
  CHECK_THAT(line, Catch::Contains("gremlin-actors: 1/5"));
  cli.close_reader();
  auto r = cli.wait(60s);
  CHECK_FALSE(r.timed_out);
  CHECK(r.term_signal == 0);
  CHECK(r.exit_code == 0);
  auto doc = read_json(d / "r.json");
  CHECK(doc["interrupted"] == false);
  auto st = statuses(doc);
  CHECK(st.size() == 5);
  CHECK(st["g1"] == "zapped");
  CHECK(st["g5"] == "survived");
  check_nothing_left(mark);
}

TEST_CASE("signals: the signal pipe and every descriptor of the CLI are close-on-exec", "[cli][signals]") {
  scratch_dir d;
  auto mark = unique_marker("cloexec");
  // g1 lists what a test command gets, g2 waits for the go-ahead while the CLI is looked at.
  auto script =
    "case \"$ACTIVE_GREMLIN\" in '') exit 0;;\n"
    "  g1) exec \"$FDS\" \"$D/fds-g1\";;\n"
    "  g2) touch \"$D/started-g2\"; while [ ! -e \"$D/go\" ]; do sleep 0.05; done; exit 1;;\n"
    "esac";
  cli_process cli(run_args({"--gremlins", "g1,g2", "--timeout", "60", "--env", "D=" + d.path(), "--env",
                            "FDS=" + program("proc_fds"), "--json", d / "r.json"},
                           mark, script));
  REQUIRE(wait_for_file(d / "started-g2", 60s));
  auto fd_dir = "/proc/" + std::to_string(cli.pid()) + "/fd";
  std::set<std::string> std_streams;  // cli_process leaves its copies of 0-2 open in the CLI
  for (int fd = 0; fd <= 2; ++fd) {
    std::error_code ec;
    std_streams.insert(std::filesystem::read_symlink(fd_dir + "/" + std::to_string(fd), ec).string());
  }
  std::vector<std::string> inheritable;
  std::size_t looked_at = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fd_dir)) {
    auto name = entry.path().filename().string();
    int fd = std::stoi(name);
    if (fd <= 2) continue;
    std::error_code ec;
    auto target = std::filesystem::read_symlink(entry.path(), ec).string();
    // What this test process let the CLI inherit is not the CLI's doing.
    auto ours = std::filesystem::read_symlink("/proc/self/fd/" + name, ec);
    if ((!ec && ours.string() == target) || std_streams.count(target)) continue;
    auto info = read_text("/proc/" + std::to_string(cli.pid()) + "/fdinfo/" + name);
    auto at = info.find("flags:");
    if (at == std::string::npos) continue;  // closed meanwhile
    ++looked_at;
    auto flags = std::stoul(info.substr(at + 6), nullptr, 8);
    if ((flags & O_CLOEXEC) == 0) inheritable.push_back(name + " -> " + target);
  }
  ::close(::open((d / "go").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  auto r = cli.wait(60s);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(looked_at > 0);
  for (const auto& x : inheritable) {
    INFO("a descriptor of the CLI without close-on-exec: " << x);
    CHECK(false);
  }
  // And the test command itself sees only 0, 1 and 2.
  auto fds = read_text(d / "fds-g1");
  INFO(fds);
  CHECK(fds.rfind("0 ", 0) == 0);
  CHECK(fds.find("\n3 ") == std::string::npos);
  check_nothing_left(mark);
}

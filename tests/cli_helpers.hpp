#pragma once
// Running the real gremlin-actors binary from tests: start it (fork + exec, its own process
// group, stdout and stderr into files so nothing can block), wait with a time limit (then
// kill its group), and look in /proc for processes a run left behind.

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace gremlins::testing {

/// A fresh folder under /tmp, removed with everything in it at the end of the test.
class scratch_dir {
public:
  scratch_dir() {
    char name[] = "/tmp/gremlins-cli-XXXXXX";
    if (::mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  /// Writes `text` to `name` inside the folder; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    auto p = *this / name;
    std::ofstream(p) << text;
    return p;
  }

private:
  std::string path_;
};

inline bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// How a CLI run ended.
struct cli_run {
  int exit_code = -1;    ///< when it exited, else -1
  int term_signal = 0;   ///< when a signal ended it
  bool timed_out = false;  ///< the test's limit was hit and the CLI was killed
  std::string out, err;
  long maxrss_kb = 0;    ///< peak resident set of the CLI process
  double wall_ms = 0;
};

/// Options of a CLI start.
struct cli_options {
  std::string cwd;                                        ///< empty: the test's own
  std::vector<std::pair<std::string, std::string>> env;   ///< set in the CLI's environment
};

/// A started gremlin-actors process.
class cli_process {
public:
  cli_process(const std::vector<std::string>& args, const cli_options& opts = {}) {
    out_path_ = dir_ / "stdout";
    err_path_ = dir_ / "stderr";
    std::vector<std::string> argv{GREMLINS_CLI};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    // The environment is built before the fork: the child must not allocate.
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string kv = *e;
      bool replaced = false;
      for (const auto& o : opts.env) replaced = replaced || kv.rfind(o.first + "=", 0) == 0;
      if (!replaced) env.push_back(kv);
    }
    for (const auto& o : opts.env) env.push_back(o.first + "=" + o.second);
    std::vector<char*> cenv;
    for (auto& kv : env) cenv.push_back(kv.data());
    cenv.push_back(nullptr);
    cwd_ = opts.cwd;
    started_ = std::chrono::steady_clock::now();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) exec_child(cargv.data(), cenv.data());
  }
  cli_process(const cli_process&) = delete;
  cli_process& operator=(const cli_process&) = delete;
  ~cli_process() {
    if (!reaped_) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  int pid() const { return pid_; }
  void signal(int sig) const { ::kill(pid_, sig); }

  /// Waits up to `limit` for the CLI to end; past it, kills its group and says so.
  cli_run wait(std::chrono::milliseconds limit) {
    cli_run r;
    auto deadline = started_ + limit;
    int st = 0;
    struct rusage ru {};
    for (;;) {
      pid_t p = ::wait4(pid_, &st, WNOHANG, &ru);
      if (p == pid_) break;
      if (std::chrono::steady_clock::now() > deadline) {
        r.timed_out = true;
        ::kill(-pid_, SIGKILL);
        ::wait4(pid_, &st, 0, &ru);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    reaped_ = true;
    r.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    if (WIFEXITED(st)) r.exit_code = WEXITSTATUS(st);
    if (WIFSIGNALED(st)) r.term_signal = WTERMSIG(st);
    r.maxrss_kb = ru.ru_maxrss;
    r.out = read_text(out_path_);
    r.err = read_text(err_path_);
    return r;
  }

private:
  // Between fork and exec: only async-signal-safe calls, nothing allocated.
  [[noreturn]] void exec_child(char** argv, char** envp) {
    ::setpgid(0, 0);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (!cwd_.empty() && ::chdir(cwd_.c_str()) != 0) ::_exit(126);
    ::signal(SIGINT, SIG_DFL);
    ::execve(argv[0], argv, envp);
    ::_exit(127);
  }

  scratch_dir dir_;
  std::string out_path_, err_path_, cwd_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::chrono::steady_clock::time_point started_;
};

/// Runs gremlin-actors with `args` to its end (or `limit`, then killed).
inline cli_run run_cli(const std::vector<std::string>& args,
                       std::chrono::milliseconds limit = std::chrono::seconds(120),
                       const cli_options& opts = {}) {
  cli_process p(args, opts);
  return p.wait(limit);
}

/// A string unique to this test process and call, to tag the processes of one test.
inline std::string unique_marker(const std::string& what) {
  static std::atomic<int> n{0};
  return "ct" + std::to_string(::getpid()) + "x" + std::to_string(++n) + what;
}

/// Pids of live processes whose environment or command line contains `marker`.
inline std::vector<int> processes_with(const std::string& marker) {
  std::vector<int> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    int pid = std::stoi(name);
    if (pid == ::getpid()) continue;
    auto environ_text = read_text("/proc/" + name + "/environ");
    auto cmdline = read_text("/proc/" + name + "/cmdline");
    if (environ_text.find(marker) == std::string::npos && cmdline.find(marker) == std::string::npos)
      continue;
    // A zombie has left already; only its parent's wait is missing.
    auto stat = read_text("/proc/" + name + "/stat");
    auto paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z') continue;
    out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

/// Waits up to `limit` for every process tagged with `marker` to be gone; returns those left.
inline std::vector<int> left_behind(const std::string& marker,
                                    std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = processes_with(marker);
    if (left.empty() || std::chrono::steady_clock::now() > deadline) return left;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

/// Kills what `left_behind` found, so one failing test does not leave processes either.
inline void kill_all(const std::vector<int>& pids) {
  for (int p : pids) ::kill(p, SIGKILL);
}

/// Waits up to `limit` for `path` to exist.
inline bool wait_for_file(const std::string& path, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!exists(path)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

/// A program of tests/programs, built beside the tests.
inline std::string program(const std::string& name) {
  return std::string(GREMLINS_TEST_PROGRAMS_DIR) + "/" + name;
}

/// `run OPTIONS... --env CT_MARK=<marker> -- sh -c SCRIPT`
inline std::vector<std::string> run_args(std::vector<std::string> opts, const std::string& marker,
                                         const std::string& script) {
  std::vector<std::string> a{"run"};
  a.insert(a.end(), opts.begin(), opts.end());
  a.insert(a.end(), {"--env", "CT_MARK=" + marker, "--", "sh", "-c", script});
  return a;
}

}  // namespace gremlins::testing

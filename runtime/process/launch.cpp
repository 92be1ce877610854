// Why the child side looks the way it does: everything a child needs (resolved path, argv,
// envp, fds) is prepared in the parent, so between fork and execve the child only makes
// async-signal-safe calls. Boost.Process is used for starting only (the `fork` method): its
// own exit handling would race the runner's reaping.

#include "runtime/process/launch.hpp"

#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "runtime/process/runner.hpp"

extern char** environ;

namespace gremlins::process_detail {

namespace bp = boost::process;

std::vector<std::string> merged_environment(const process_spec& spec) {
  std::vector<std::pair<std::string, std::string>> overrides = spec.env;
  if (spec.protocol_pipes) {
    overrides.emplace_back("GREMLIN_REQUEST_FD", std::to_string(request_fd_number));
    overrides.emplace_back("GREMLIN_REPLY_FD", std::to_string(reply_fd_number));
  }
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (auto& kv : overrides) overridden = overridden || kv.first == key;
    if (!overridden) out.push_back(std::move(entry));
  }
  for (auto& kv : overrides) {
    bool later = false;  // the last of several overrides of one key wins
    for (auto& other : overrides) later = (&other > &kv && other.first == kv.first) || later;
    if (!later) out.push_back(kv.first + "=" + kv.second);
  }
  return out;
}

std::string env_value(const std::vector<std::string>& env, const std::string& key) {
  for (auto& e : env)
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=')
      return e.substr(key.size() + 1);
  return {};
}

namespace {

bool is_executable_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::optional<std::string> find_program(const std::string& name,
                                        const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = env_value(env, "PATH");
  if (path.empty()) path = "/usr/local/bin:/usr/bin:/bin";
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(begin, end - begin);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (is_executable_file(candidate)) return candidate;
    begin = end + 1;
  }
  return std::nullopt;
}

// In a new child, before exec: lead a process group of its own (so ctrl-c and our group
// kills reach exactly the test run), with no signal blocked or handled, whatever the parent had.
void become_child_leader() {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
}

namespace {

/// The child-side setup of the `fork` method, run by Boost.Process between fork and execve.
struct child_setup : bp::extend::handler {
  launch_plan* plan;  // not const: Boost.Process wants a char** environment
  explicit child_setup(launch_plan* p) : plan(p) {}

  template <class Executor>
  void on_setup(Executor& exec) const {
    // bp::exe set the executable; argv[0] stays what the caller gave, env is ours.
    exec.cmd_line = plan->argv.data();
    exec.env = plan->envp.data();
  }

  template <class Executor>
  void on_exec_setup(Executor& exec) const {
    become_child_leader();
    for (int i = 0; i < plan->nfds; ++i) {
      if (::dup2(plan->fds[i], i) < 0) fail(exec, "dup2 failed");
    }
    close_from(plan->nfds);
    if (!plan->cwd.empty() && ::chdir(plan->cwd.c_str()) != 0)
      fail(exec, "cannot change to the working directory");
  }

  template <class Executor>
  void on_error(Executor& exec, const std::error_code&) const {
    // Boost.Process forgets a child whose exec failed; reap it so no zombie is left.
    if (exec.pid > 0)
      while (::waitpid(exec.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
  }

  template <class Executor>
  static void fail(Executor& exec, const char* what) {
    exec.set_error(std::error_code(errno, std::system_category()), what);
    ::_exit(127);
  }
};

}  // namespace

void close_from(int lowest) {
  // Marked close-on-exec rather than closed: a start method may still need one of them to
  // report a failed exec (Boost.Process's error pipe, the fork server's), and exec closes
  // the rest. Kernels before 5.11 lack the flag: then one fcntl per descriptor.
  constexpr unsigned close_range_cloexec = 1u << 2;
  if (::syscall(SYS_close_range, static_cast<unsigned>(lowest), ~0u, close_range_cloexec) == 0) return;
  long max = ::sysconf(_SC_OPEN_MAX);
  for (int fd = lowest; fd < (max > 0 ? max : 1024); ++fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
}

int start_with_fork(launch_plan& plan) {
  std::error_code ec;
  bp::child c(bp::exe = plan.path, child_setup(&plan), ec);
  if (ec) throw std::runtime_error(ec.message());
  int pid = c.id();
  // We reap it ourselves; an attached bp::child would waitpid or terminate it on destruction.
  c.detach();
  return pid;
}

int start_with_spawn(const launch_plan& plan) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  for (int i = 0; i < plan.nfds; ++i) posix_spawn_file_actions_adddup2(&actions, plan.fds[i], i);
  // Nothing else reaches the child, not even what our own parent let us inherit.
  posix_spawn_file_actions_addclosefrom_np(&actions, plan.nfds);
  if (!plan.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, plan.cwd.c_str());
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, plan.path.c_str(), &actions, &attr, plan.argv.data(),
                         plan.envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error(errno_text(rc));
  return pid;
}

void prepare_plan(const process_spec& spec, launch_plan& plan) {
  if (spec.argv.empty() || spec.argv[0].empty()) throw std::runtime_error("empty command");
  const std::string& program = spec.argv[0];
  plan.env_storage = merged_environment(spec);
  auto path = find_program(program, plan.env_storage);
  if (!path)
    throw std::runtime_error("cannot start '" + program + "': no such program on PATH (" +
                             env_value(plan.env_storage, "PATH") + ")");
  plan.path = *path;
  plan.cwd = spec.cwd;
  struct stat st;
  if (!plan.cwd.empty() && (::stat(plan.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
    throw std::runtime_error("cannot start '" + program + "': working directory '" + plan.cwd +
                             "' does not exist or is not a directory");
  plan.argv_storage = spec.argv;
  for (auto& a : plan.argv_storage) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : plan.env_storage) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  start_method method = spec.method;
  if (method == start_method::auto_) method = get_optimal_start_method();
  if (method == start_method::auto_) method = start_method::spawn;
  plan.method = method;
}

}  // namespace gremlins::process_detail

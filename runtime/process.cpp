// Why this file looks the way it does (see also runtime/process.hpp and STYLE.md "ninja"):
// - It is the only place that starts processes, so every fork, pipe read and reap happens on
//   one I/O thread running a boost::asio::io_context; the public methods only post to it and
//   CAF scheduler threads never block on a child.
// - Everything a child needs (resolved path, argv, envp, fds) is prepared in the parent, so
//   the child side of fork only makes async-signal-safe calls before execve.
// - Exits are seen through a pidfd (readable once the leader is a zombie). The group is killed
//   while the zombie still pins its pgid, then the leader is reaped: no pid-reuse race and no
//   SIGCHLD handler that could steal other code's children.
// - Every parent-side fd is O_CLOEXEC and the child-side ends live above fd 10 until dup2'd
//   into place, so one child's protocol pipes never leak into another child.
// - The I/O thread blocks SIGPIPE: a write to a dead worker yields EPIPE instead of killing us.

#include "runtime/process.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>
#include <thread>
#include <unordered_map>

extern char** environ;

namespace gremlins {

namespace asio = boost::asio;
namespace bp = boost::process;

namespace {

constexpr int request_fd_number = 3;
constexpr int reply_fd_number = 4;
constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t max_reply_line = 1024 * 1024;
// After the leader is reaped and its group killed, the pipes normally reach EOF at once; a
// process that escaped the group (setsid) could hold them forever, so stop waiting after this.
constexpr auto drain_grace = std::chrono::seconds(2);
// Child-side fds are moved at or above this number so dup2 onto 0..4 never clobbers one.
constexpr int high_fd = 10;

/// Owns one file descriptor.
class unique_fd {
public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  unique_fd(unique_fd&& o) noexcept : fd_(o.release()) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~unique_fd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_ = -1;
};

std::string errno_text(int err) { return std::strerror(err); }

/// Moves `fd` to a close-on-exec descriptor >= high_fd.
unique_fd raise_fd(unique_fd fd) {
  int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, high_fd);
  if (moved < 0) throw std::runtime_error("fcntl(F_DUPFD_CLOEXEC): " + errno_text(errno));
  return unique_fd(moved);
}

/// A close-on-exec pipe; `child_end` (0: read, 1: write) is raised above high_fd.
std::pair<unique_fd, unique_fd> make_pipe(int child_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe2: " + errno_text(errno));
  unique_fd ends[2] = {unique_fd(p[0]), unique_fd(p[1])};
  ends[child_end] = raise_fd(std::move(ends[child_end]));
  return {std::move(ends[0]), std::move(ends[1])};
}

/// The caller's environment with `spec.env` (and the protocol fd numbers) overriding it.
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

bool is_executable_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

/// argv[0] as execvp would find it, but on the PATH of the child's environment.
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

/// Everything the child needs, prepared in the parent so that the child only calls
/// async-signal-safe functions between fork and execve.
struct launch_plan {
  std::string path;
  std::string cwd;
  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::array<int, 5> fds{{-1, -1, -1, -1, -1}};  ///< become the child's fds 0..4
  int nfds = 3;
};

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
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
    for (int i = 0; i < plan->nfds; ++i) {
      if (::dup2(plan->fds[i], i) < 0) fail(exec, "dup2 failed");
    }
    if (!plan->cwd.empty() && ::chdir(plan->cwd.c_str()) != 0)
      fail(exec, "cannot change to the working directory");
  }

  template <class Executor>
  static void fail(Executor& exec, const char* what) {
    exec.set_error(std::error_code(errno, std::system_category()), what);
    ::_exit(127);
  }
};

/// fork+exec through Boost.Process; returns the pid or throws with a message.
int start_with_fork(launch_plan& plan) {
  std::error_code ec;
  bp::child c(bp::exe = plan.path, child_setup(&plan), ec);
  if (ec) throw std::runtime_error(ec.message());
  int pid = c.id();
  // We reap it ourselves; an attached bp::child would waitpid or terminate it on destruction.
  c.detach();
  return pid;
}

/// posix_spawn (vfork-like in glibc); returns the pid or throws with a message.
int start_with_spawn(const launch_plan& plan) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  for (int i = 0; i < plan.nfds; ++i) posix_spawn_file_actions_adddup2(&actions, plan.fds[i], i);
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

int pidfd_open(int pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

/// Keeps the last `cap` bytes of what is appended; amortised O(1) per byte.
void keep_tail(std::string& tail, std::size_t cap, const char* data, std::size_t n) {
  if (cap == 0) return;
  if (n >= cap) {
    tail.assign(data + n - cap, cap);
    return;
  }
  tail.append(data, n);
  if (tail.size() > 2 * cap) tail.erase(0, tail.size() - cap);
}

}  // namespace

/// One started child and everything the I/O thread tracks about it.
struct running_child {
  running_child(asio::io_context& ioc, process_token t, process_callbacks c, std::size_t cap)
      : token(t), callbacks(std::move(c)), tail_cap(cap), output(ioc), replies(ioc),
        requests(ioc), exit_watch(ioc), timer(ioc) {}

  process_token token;
  process_callbacks callbacks;
  std::size_t tail_cap;
  int pid = -1;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point ended;

  asio::posix::stream_descriptor output;    ///< stdout+stderr
  asio::posix::stream_descriptor replies;   ///< protocol replies
  asio::posix::stream_descriptor requests;  ///< protocol requests
  asio::posix::stream_descriptor exit_watch;  ///< the pidfd
  asio::steady_timer timer;                 ///< drain grace, or exit polling without pidfd
  std::vector<char> output_buf = std::vector<char>(read_chunk);
  std::vector<char> reply_buf = std::vector<char>(read_chunk);

  std::string tail;
  std::string partial;          ///< an incomplete reply line
  bool partial_truncated = false;
  std::string pending;          ///< requests not yet handed to a write
  std::string inflight;         ///< requests being written
  bool writing = false;
  bool close_after_write = false;

  bool output_open = false;
  bool replies_open = false;
  bool reaped = false;
  bool finished = false;
  int wait_status = 0;
  bool status_known = false;
};

using child_ptr = std::shared_ptr<running_child>;

struct process_runner::impl {
  impl() : work(ioc.get_executor()) {
    thread = std::thread([this] { run(); });
  }

  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::unordered_map<process_token, child_ptr> children;
  std::atomic<process_token> next_token{1};
  std::atomic<std::size_t> live{0};
  std::thread thread;

  void run();
  template <class F>
  void post(F&& f) { asio::post(ioc, std::forward<F>(f)); }

  void do_start(process_token token, process_spec spec, process_callbacks callbacks);
  int launch(const process_spec& spec, launch_plan& plan);
  void fail_start(process_callbacks& callbacks, std::string message);
  void watch_exit(const child_ptr& c);
  void poll_exit(const child_ptr& c);
  void on_leader_exit(const child_ptr& c, bool zombie_known);
  void read_output(const child_ptr& c);
  void read_replies(const child_ptr& c);
  void split_replies(running_child& c, const char* data, std::size_t n,
                     std::vector<std::string>& lines);
  void flush_requests(const child_ptr& c);
  void close_requests(running_child& c);
  void maybe_finish(const child_ptr& c);
  void shutdown();
};

void process_runner::impl::run() {
  // A write to a worker that died must return EPIPE here, not kill the whole program.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gremlin-actors: a process callback threw: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "gremlin-actors: a process callback threw\n");
    }
  }
}

void process_runner::impl::fail_start(process_callbacks& callbacks, std::string message) {
  --live;
  process_exit exit;
  exit.spawn_error = std::move(message);
  if (callbacks.on_exit) callbacks.on_exit(std::move(exit));
}

/// Resolves program and cwd, then starts the child with the requested method; throws a
/// message naming the program or directory on failure.
int process_runner::impl::launch(const process_spec& spec, launch_plan& plan) {
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
  try {
    switch (method) {
      case start_method::fork: return start_with_fork(plan);
      case start_method::forkserver:
        throw std::runtime_error("start method forkserver not implemented");
      case start_method::spawn:
      case start_method::auto_: return start_with_spawn(plan);
    }
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot start '" + program + "' (" + plan.path + ", start method " +
                             to_string(method) + "): " + e.what());
  }
  throw std::runtime_error("unknown start method");
}

void process_runner::impl::do_start(process_token token, process_spec spec,
                                    process_callbacks callbacks) {
  launch_plan plan;
  unique_fd out_r, out_w, req_r, req_w, rep_r, rep_w, devnull;
  int pid = -1;
  try {
    std::tie(out_r, out_w) = make_pipe(1);
    devnull = raise_fd(unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
    plan.fds = {{devnull.get(), out_w.get(), out_w.get(), -1, -1}};
    if (spec.protocol_pipes) {
      std::tie(req_r, req_w) = make_pipe(0);
      std::tie(rep_r, rep_w) = make_pipe(1);
      plan.fds[request_fd_number] = req_r.get();
      plan.fds[reply_fd_number] = rep_w.get();
      plan.nfds = 5;
    }
    pid = launch(spec, plan);
  } catch (const std::exception& e) {
    fail_start(callbacks, e.what());
    return;
  }
  auto c = std::make_shared<running_child>(ioc, token, std::move(callbacks),
                                           spec.output_tail_bytes);
  c->pid = pid;
  c->started = std::chrono::steady_clock::now();
  children.emplace(token, c);
  c->output.assign(out_r.release());
  c->output_open = true;
  if (spec.protocol_pipes) {
    c->replies.assign(rep_r.release());
    c->requests.assign(req_w.release());
    c->requests.non_blocking(true);
    c->replies_open = true;
  }
  // The child-side ends close here, so EOF comes as soon as the child's group is gone.
  if (c->callbacks.on_started) c->callbacks.on_started(pid);
  read_output(c);
  if (c->replies_open) read_replies(c);
  watch_exit(c);
}

void process_runner::impl::watch_exit(const child_ptr& c) {
  int fd = pidfd_open(c->pid);
  if (fd < 0) {
    poll_exit(c);  // kernels without pidfd_open
    return;
  }
  c->exit_watch.assign(fd);
  c->exit_watch.async_wait(asio::posix::stream_descriptor::wait_read,
                           [this, c](const boost::system::error_code& ec) {
                             if (ec || c->finished) return;
                             on_leader_exit(c, true);
                           });
}

void process_runner::impl::poll_exit(const child_ptr& c) {
  siginfo_t info{};
  // WNOWAIT leaves the zombie in place so its group can still be killed safely.
  int rc = ::waitid(P_PID, static_cast<id_t>(c->pid), &info, WEXITED | WNOHANG | WNOWAIT);
  if (rc == 0 && info.si_pid == c->pid) return on_leader_exit(c, true);
  if (rc != 0 && errno == ECHILD) return on_leader_exit(c, false);
  c->timer.expires_after(std::chrono::milliseconds(5));
  c->timer.async_wait([this, c](const boost::system::error_code& ec) {
    if (!ec && !c->finished) poll_exit(c);
  });
}

void process_runner::impl::on_leader_exit(const child_ptr& c, bool zombie_known) {
  // The zombie leader still owns its pgid: kill what is left of the group, then reap.
  if (zombie_known) ::kill(-c->pid, SIGKILL);
  int status = 0;
  pid_t rc;
  do rc = ::waitpid(c->pid, &status, 0);
  while (rc < 0 && errno == EINTR);
  c->status_known = rc == c->pid;
  c->wait_status = status;
  c->reaped = true;
  c->ended = std::chrono::steady_clock::now();
  if (c->exit_watch.is_open()) c->exit_watch.close();
  c->timer.cancel();
  c->timer.expires_after(drain_grace);
  c->timer.async_wait([this, c](const boost::system::error_code& ec) {
    if (ec || c->finished) return;
    boost::system::error_code ignored;
    c->output.close(ignored);
    c->replies.close(ignored);
    c->output_open = c->replies_open = false;
    maybe_finish(c);
  });
  maybe_finish(c);
}

void process_runner::impl::read_output(const child_ptr& c) {
  c->output.async_read_some(
      asio::buffer(c->output_buf), [this, c](const boost::system::error_code& ec, std::size_t n) {
        keep_tail(c->tail, c->tail_cap, c->output_buf.data(), n);
        if (ec || !c->output.is_open()) {
          boost::system::error_code ignored;
          c->output.close(ignored);
          c->output_open = false;
          return maybe_finish(c);
        }
        read_output(c);
      });
}

void process_runner::impl::read_replies(const child_ptr& c) {
  c->replies.async_read_some(
      asio::buffer(c->reply_buf), [this, c](const boost::system::error_code& ec, std::size_t n) {
        std::vector<std::string> lines;
        split_replies(*c, c->reply_buf.data(), n, lines);
        if (!lines.empty() && c->callbacks.on_reply_lines && !c->finished)
          c->callbacks.on_reply_lines(std::move(lines));
        if (ec || !c->replies.is_open()) {
          boost::system::error_code ignored;
          c->replies.close(ignored);
          c->replies_open = false;
          return maybe_finish(c);
        }
        read_replies(c);
      });
}

void process_runner::impl::split_replies(running_child& c, const char* data, std::size_t n,
                                         std::vector<std::string>& lines) {
  const char* end = data + n;
  auto append_capped = [&c](const char* p, std::size_t len) {
    std::size_t room = max_reply_line - c.partial.size();
    if (len > room) c.partial_truncated = true;
    c.partial.append(p, std::min(len, room));
  };
  while (data < end) {
    auto nl = static_cast<const char*>(std::memchr(data, '\n', end - data));
    if (nl == nullptr) {
      append_capped(data, end - data);
      return;
    }
    if (c.partial.empty() && !c.partial_truncated) {
      lines.emplace_back(data, std::min<std::size_t>(nl - data, max_reply_line));
    } else {
      append_capped(data, nl - data);
      lines.push_back(std::move(c.partial));
      c.partial.clear();
      c.partial_truncated = false;
    }
    data = nl + 1;
  }
}

void process_runner::impl::flush_requests(const child_ptr& c) {
  if (c->writing || !c->requests.is_open()) return;
  if (c->pending.empty()) {
    if (c->close_after_write) close_requests(*c);
    return;
  }
  std::swap(c->inflight, c->pending);
  c->pending.clear();
  c->writing = true;
  asio::async_write(c->requests, asio::buffer(c->inflight),
                    [this, c](const boost::system::error_code& ec, std::size_t) {
                      c->writing = false;
                      c->inflight.clear();
                      if (ec) {  // the worker closed its end or died: nothing more to send
                        c->pending.clear();
                        close_requests(*c);
                        return;
                      }
                      flush_requests(c);
                    });
}

void process_runner::impl::close_requests(running_child& c) {
  boost::system::error_code ignored;
  c.requests.close(ignored);
}

void process_runner::impl::maybe_finish(const child_ptr& c) {
  if (c->finished || !c->reaped || c->output_open || c->replies_open) return;
  c->finished = true;
  c->timer.cancel();
  close_requests(*c);
  if (!c->partial.empty() && c->callbacks.on_reply_lines) {
    std::vector<std::string> last{std::move(c->partial)};
    c->callbacks.on_reply_lines(std::move(last));
  }
  process_exit exit;
  if (c->status_known && WIFEXITED(c->wait_status)) exit.exit_code = WEXITSTATUS(c->wait_status);
  if (c->status_known && WIFSIGNALED(c->wait_status)) exit.term_signal = WTERMSIG(c->wait_status);
  if (c->tail.size() > c->tail_cap) c->tail.erase(0, c->tail.size() - c->tail_cap);
  exit.output = std::move(c->tail);
  exit.wall_ms = std::chrono::duration<double, std::milli>(c->ended - c->started).count();
  auto callbacks = std::move(c->callbacks);
  children.erase(c->token);
  --live;
  if (callbacks.on_exit) callbacks.on_exit(std::move(exit));
}

void process_runner::impl::shutdown() {
  for (auto& entry : children) {
    auto& c = entry.second;
    c->finished = true;  // no more callbacks: the owners may be going away with us
    if (!c->reaped) {
      ::kill(-c->pid, SIGKILL);
      while (::waitpid(c->pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      c->reaped = true;
    }
    boost::system::error_code ignored;
    c->output.close(ignored);
    c->replies.close(ignored);
    c->requests.close(ignored);
    c->exit_watch.close(ignored);
    c->timer.cancel();
  }
  live -= children.size();
  children.clear();
}

process_runner::process_runner() : impl_(std::make_unique<impl>()) {}

process_runner::~process_runner() {
  std::promise<void> done;
  impl_->post([this, &done] {
    impl_->shutdown();
    done.set_value();
  });
  done.get_future().wait();
  // Aborted handlers still hold their children; let them run out, then the loop returns.
  impl_->work.reset();
  impl_->thread.join();
}

process_token process_runner::start(process_spec spec, process_callbacks callbacks) {
  process_token token = impl_->next_token++;
  ++impl_->live;
  impl_->post([this, token, spec = std::move(spec), callbacks = std::move(callbacks)]() mutable {
    impl_->do_start(token, std::move(spec), std::move(callbacks));
  });
  return token;
}

void process_runner::write(process_token token, std::string data) {
  impl_->post([this, token, data = std::move(data)]() mutable {
    auto it = impl_->children.find(token);
    if (it == impl_->children.end()) return;
    auto& c = it->second;
    if (!c->requests.is_open() || c->close_after_write) return;
    if (c->pending.empty()) c->pending = std::move(data);
    else c->pending += data;
    impl_->flush_requests(c);
  });
}

void process_runner::close_requests(process_token token) {
  impl_->post([this, token] {
    auto it = impl_->children.find(token);
    if (it == impl_->children.end()) return;
    it->second->close_after_write = true;
    impl_->flush_requests(it->second);
  });
}

void process_runner::kill_group(process_token token, int sig) {
  impl_->post([this, token, sig] {
    auto it = impl_->children.find(token);
    if (it == impl_->children.end() || it->second->reaped || it->second->pid <= 1) return;
    ::kill(-it->second->pid, sig);
  });
}

void process_runner::kill_pgid(int pgid, int sig) {
  if (pgid > 1) ::kill(-pgid, sig);  // never -1 or -0: those mean "everyone" / "our group"
}

std::size_t process_runner::live_count() const { return impl_->live.load(); }

process_exit process_runner::run_to_end(process_spec spec, std::chrono::milliseconds limit) {
  auto promise = std::make_shared<std::promise<process_exit>>();
  auto result = promise->get_future();
  process_callbacks callbacks;
  callbacks.on_exit = [promise](process_exit e) { promise->set_value(std::move(e)); };
  process_token token = start(std::move(spec), std::move(callbacks));
  if (result.wait_for(limit) == std::future_status::timeout) kill_group(token, SIGKILL);
  return result.get();
}

}  // namespace gremlins

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
// - Start methods: `fork` is Boost.Process's bp::child (fork+exec) with our own extend handler;
//   `spawn`/`auto` is posix_spawn; `forkserver` is a copy of this process forked by the
//   constructor (before the I/O thread exists) that forks children on request (namespace fs).
//   Boost.Process is used for starting only: its own exit handling would race our reaping.

#include "runtime/process.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <poll.h>
#include <sys/signalfd.h>
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
  start_method method = start_method::spawn;  ///< resolved: never auto_
};

/// The pipes of one child: the parent keeps out_r, req_w, rep_r; the rest go to the child.
struct child_pipes {
  unique_fd out_r, out_w, req_r, req_w, rep_r, rep_w, devnull;

  /// Opens them and records the child's fds 0..2 (and 3, 4 for the protocol) in `plan`.
  void open(bool protocol, launch_plan& plan) {
    std::tie(out_r, out_w) = make_pipe(1);
    devnull = raise_fd(unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
    plan.fds = {{devnull.get(), out_w.get(), out_w.get(), -1, -1}};
    if (!protocol) return;
    std::tie(req_r, req_w) = make_pipe(0);
    std::tie(rep_r, rep_w) = make_pipe(1);
    plan.fds[request_fd_number] = req_r.get();
    plan.fds[reply_fd_number] = rep_w.get();
    plan.nfds = 5;
  }
  void close_child_ends() {
    out_w.reset();
    req_r.reset();
    rep_w.reset();
    devnull.reset();
  }
};

/// The child-side setup of the `fork` method, run by Boost.Process between fork and execve.

/// In a new child, before exec: lead a process group of its own (so ctrl-c and our group
/// kills reach exactly the test run), with no signal blocked or handled, whatever the parent had.
void become_child_leader() {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
}

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


// ---- the fork server ------------------------------------------------------------------
// A copy of the runner's process, forked in the runner's constructor (before its I/O thread
// exists), that forks and execs children on request. It runs without exec in a copy of a
// possibly multi-threaded process, so it only makes async-signal-safe calls on memory that
// was allocated before the fork. Runner -> server: a header message carrying the child's fds
// (SCM_RIGHTS), then the payload "path\0cwd\0argv...\0env...\0" in chunks. Server -> runner:
// fixed-size records (started / failed with errno / exited with the wait status). The server
// kills a child's group while the leader is still a zombie, then reaps it.

namespace fs {
constexpr std::uint32_t magic = 0x67726d6c;
constexpr std::size_t chunk = 32 * 1024;
constexpr std::size_t max_payload = 4 * 1024 * 1024;
constexpr std::size_t max_ptrs = 64 * 1024;
constexpr int max_children = 4096;
constexpr int received_fd_floor = 100;
enum kind : std::int32_t { started = 1, failed = 2, exited = 3 };

struct header {
  std::uint32_t magic, id, nfds, argc, envc, pad;
  std::uint64_t payload_len;
};
struct record {
  std::int32_t kind;
  std::uint32_t id;
  std::int32_t pid;
  std::int32_t value;  ///< errno (failed) or wait status (exited)
};

/// The server's only memory, allocated (untouched) in the runner before the fork.
struct memory {
  std::unique_ptr<char[]> payload{new char[max_payload + 1]};
  std::unique_ptr<char*[]> ptrs{new char*[max_ptrs]};
  std::unique_ptr<int[]> pids{new int[max_children]};
  int npids = 0;
};

void send_record(int sock, record r) {
  while (::send(sock, &r, sizeof r, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

/// Receives a request header and its fds (moved above received_fd_floor); false on EOF.
bool recv_header(int sock, header& h, int* fds, int& nfds) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 5)];
  iovec iov{&h, sizeof h};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  nfds = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int count = static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < count && nfds < 5; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds[nfds++] = ::fcntl(fd, F_DUPFD_CLOEXEC, received_fd_floor);
      ::close(fd);
    }
  }
  return n == static_cast<ssize_t>(sizeof h) && h.magic == magic;
}

/// Reads `len` payload bytes; false when they do not fit (they are read and dropped).
bool recv_payload(int sock, memory& mem, std::uint64_t len) {
  bool fits = len <= max_payload;
  std::uint64_t got = 0;
  while (got < len) {
    char* dst = mem.payload.get() + (fits ? got : 0);
    ssize_t n = ::recv(sock, dst, chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::uint64_t>(n);
  }
  if (fits) mem.payload[len] = '\0';
  return fits;
}

/// The child side: own group, default signals, fds 0..n-1, cwd, exec; errno to `err_fd`.
[[noreturn]] void exec_child(const char* path, const char* cwd, char** argv, char** envp,
                             const int* fds, int nfds, int err_fd) {
  become_child_leader();
  bool ok = true;
  for (int i = 0; i < nfds && ok; ++i) ok = ::dup2(fds[i], i) >= 0;
  if (ok && cwd[0] != '\0') ok = ::chdir(cwd) == 0;
  if (ok) ::execve(path, argv, envp);
  int e = errno;
  while (::write(err_fd, &e, sizeof e) < 0 && errno == EINTR) {
  }
  ::_exit(127);
}

/// Forks and execs one child; returns 0 and its pid, or the errno of the failure.
int launch_child(char** strings, std::uint32_t argc, const int* fds, int nfds, int& pid) {
  int errp[2];
  if (::pipe2(errp, O_CLOEXEC) != 0) return errno;
  pid = ::fork();
  if (pid == 0) exec_child(strings[0], strings[1], strings + 2, strings + 3 + argc, fds, nfds, errp[1]);
  int e = pid < 0 ? errno : 0;
  ::close(errp[1]);
  ssize_t r = 0;
  if (pid > 0) {
    do r = ::read(errp[0], &e, sizeof e);
    while (r < 0 && errno == EINTR);
  }
  ::close(errp[0]);
  if (pid > 0 && r > 0) ::waitpid(pid, nullptr, 0);  // exec failed: reap it here, quietly
  return pid > 0 && r <= 0 ? 0 : (e != 0 ? e : EIO);
}

/// Splits the payload into path, cwd, argv (null-terminated), env (null-terminated).
bool parse_payload(memory& mem, std::uint64_t len, std::uint32_t argc, std::uint32_t envc) {
  std::size_t needed = std::size_t{argc} + envc + 4;
  if (needed > max_ptrs || argc == 0) return false;
  char* p = mem.payload.get();
  char* end = p + len;
  char** out = mem.ptrs.get();
  std::size_t k = 0;
  for (std::size_t i = 0; i < std::size_t{argc} + envc + 2; ++i) {
    if (p >= end) return false;
    out[k++] = p;
    p += std::strlen(p) + 1;
    if (i == argc + 1) out[k++] = nullptr;  // ends argv
  }
  out[k] = nullptr;  // ends env
  return true;
}

/// Serves one request; false when the runner has gone.
bool serve_one(int sock, memory& mem) {
  header h{};
  int fds[5];
  int nfds = 0;
  bool ok = recv_header(sock, h, fds, nfds);
  if (!ok && nfds == 0) return false;
  ok = ok && recv_payload(sock, mem, h.payload_len) &&
       parse_payload(mem, h.payload_len, h.argc, h.envc) && nfds == static_cast<int>(h.nfds);
  int pid = -1;
  int err = ok ? launch_child(mem.ptrs.get(), h.argc, fds, nfds, pid) : E2BIG;
  for (int i = 0; i < nfds; ++i) ::close(fds[i]);
  if (err == 0 && mem.npids < max_children) mem.pids[mem.npids++] = pid;
  send_record(sock, err == 0 ? record{started, h.id, pid, 0} : record{failed, h.id, -1, err});
  return true;
}

/// Reaps every exited child: its group is killed first, while the zombie pins the pgid.
void reap_children(int sock, memory& mem) {
  for (;;) {
    siginfo_t info;
    info.si_pid = 0;
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
    int pid = info.si_pid;
    ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    for (int i = 0; i < mem.npids; ++i)
      if (mem.pids[i] == pid) mem.pids[i] = mem.pids[--mem.npids];
    send_record(sock, record{exited, 0, pid, status});
  }
}

/// Detaches the server from everything it inherited but its socket.
void isolate(int sock) {
  int null_fd = ::open("/dev/null", O_RDWR);
  for (int i = 0; i < 3 && null_fd >= 0; ++i) ::dup2(null_fd, i);
  if (null_fd > 2) ::close(null_fd);
  if (sock > 3) ::syscall(SYS_close_range, 3u, static_cast<unsigned>(sock - 1), 0u);
  ::syscall(SYS_close_range, static_cast<unsigned>(sock + 1), ~0u, 0u);
}

[[noreturn]] void server_main(int sock, memory& mem) {
  if (sock < 3) sock = ::fcntl(sock, F_DUPFD_CLOEXEC, 3);  // 0..2 become /dev/null
  isolate(sock);
  // Handlers inherited from the runner's process (test frameworks, CAF) must not run here.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  int sig_fd = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  for (;;) {
    pollfd p[2] = {{sock, POLLIN, 0}, {sig_fd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) continue;
    if (p[1].revents != 0) {
      signalfd_siginfo drained[8];
      while (::read(sig_fd, drained, sizeof drained) > 0) {
      }
      reap_children(sock, mem);
    }
    if (p[0].revents != 0 && !serve_one(sock, mem)) break;
  }
  // The runner has gone: nothing we started may outlive it.
  for (int i = 0; i < mem.npids; ++i) ::kill(-mem.pids[i], SIGKILL);
  while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
  ::_exit(0);
}
}  // namespace fs

/// The runner's side of the fork server (see namespace fs); used on the I/O thread only,
/// except start(), which the runner's constructor calls before that thread exists.
class fork_server_client {
public:
  explicit fork_server_client(asio::io_context& ioc) : sock(ioc) {}

  asio::posix::stream_descriptor sock;
  std::vector<fs::record> stash;  ///< records received but not yet handled
  bool dead = false;

  void start() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      error_ = "socketpair: " + errno_text(errno);
      return;
    }
    auto mem = std::make_unique<fs::memory>();
    pid_ = ::fork();
    if (pid_ == 0) fs::server_main(sv[1], *mem);
    ::close(sv[1]);
    if (pid_ < 0) {
      error_ = "fork: " + errno_text(errno);
      ::close(sv[0]);
      return;
    }
    sock.assign(sv[0]);
  }

  bool running() const { return sock.is_open() && !dead; }

  /// Asks the server to start `plan`; returns the pid or throws with a message.
  int spawn(const launch_plan& plan) {
    if (!running())
      throw std::runtime_error(error_.empty() ? "the fork server is not running" : error_);
    std::string payload = plan.path + '\0' + plan.cwd + '\0';
    for (auto& a : plan.argv_storage) payload.append(a).push_back('\0');
    for (auto& e : plan.env_storage) payload.append(e).push_back('\0');
    fs::header h{fs::magic, ++next_id_, static_cast<std::uint32_t>(plan.nfds),
                 static_cast<std::uint32_t>(plan.argv_storage.size()),
                 static_cast<std::uint32_t>(plan.env_storage.size()), 0, payload.size()};
    send_message(&h, sizeof h, plan.fds.data(), plan.nfds);
    for (std::size_t off = 0; off < payload.size(); off += fs::chunk)
      send_message(payload.data() + off, std::min(fs::chunk, payload.size() - off), nullptr, 0);
    fs::record r = wait_for(h.id);
    if (r.kind != fs::started) throw std::runtime_error(errno_text(r.value));
    return r.pid;
  }

  /// Moves every record that has arrived into `stash`; notes the server's death.
  void drain() {
    fs::record r;
    for (;;) {
      ssize_t n = ::recv(sock.native_handle(), &r, sizeof r, MSG_DONTWAIT);
      if (n == static_cast<ssize_t>(sizeof r)) stash.push_back(r);
      else if (n < 0 && errno == EINTR) continue;
      else if (n < 0 && errno == EAGAIN) return;
      else {
        dead = true;
        return;
      }
    }
  }

  /// Ends the server: it kills and reaps what it started, then exits; we reap it.
  void stop() {
    boost::system::error_code ignored;
    sock.close(ignored);
    reap_server();
  }

  void reap_server() {
    if (pid_ > 0)
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    pid_ = -1;
  }

private:
  int pid_ = -1;
  std::string error_;
  std::uint32_t next_id_ = 0;

  void send_message(const void* data, std::size_t len, const int* fds, int nfds) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 5)] = {};
    iovec iov{const_cast<void*>(data), len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (nfds > 0) {
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
      std::memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    for (;;) {
      if (::sendmsg(sock.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) return;
      if (errno == EINTR) continue;
      if (errno != EAGAIN) throw std::runtime_error("fork server: " + errno_text(errno));
      // Full: keep reading its records meanwhile, so neither side can block the other.
      pollfd p{sock.native_handle(), POLLOUT | POLLIN, 0};
      ::poll(&p, 1, 1000);
      if (p.revents & POLLIN) drain();
      if (dead) throw std::runtime_error("the fork server died");
    }
  }

  fs::record wait_for(std::uint32_t id) {
    for (;;) {
      for (auto it = stash.begin(); it != stash.end(); ++it) {
        if (it->kind != fs::exited && it->id == id) {
          fs::record r = *it;
          stash.erase(it);
          return r;
        }
      }
      if (dead) throw std::runtime_error("the fork server died");
      pollfd p{sock.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, 30000) == 0) throw std::runtime_error("the fork server does not answer");
      drain();
    }
  }
};

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
  std::string pending;          ///< requests not yet written, from `written` on
  std::size_t written = 0;
  bool writing = false;         ///< waiting for room in the pipe
  bool close_after_write = false;

  bool output_open = false;
  bool replies_open = false;
  bool reaped = false;
  bool via_server = false;      ///< the fork server is its parent and reaps it
  bool finished = false;
  int wait_status = 0;
  bool status_known = false;
};

using child_ptr = std::shared_ptr<running_child>;

struct process_runner::impl {
  impl() : ioc(1), work(ioc.get_executor()), server(ioc) {
    server.start();  // first, while this object has no thread of its own yet
    if (server.running()) post([this] { watch_server(); });
    thread = std::thread([this] { run(); });
  }

  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::unordered_map<process_token, child_ptr> children;
  std::atomic<process_token> next_token{1};
  std::atomic<std::size_t> live{0};
  fork_server_client server;
  std::unordered_map<int, process_token> server_children;  ///< pid -> token
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
  void leader_reaped(const child_ptr& c, int status, bool status_known);
  void watch_server();
  void handle_server_records();
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
  if (method == start_method::auto_) method = start_method::spawn;
  plan.method = method;
  try {
    switch (method) {
      case start_method::fork: return start_with_fork(plan);
      case start_method::forkserver: return server.spawn(plan);
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
  child_pipes pipes;
  int pid = -1;
  auto start_time = std::chrono::steady_clock::now();  // wall_ms includes the start itself
  try {
    pipes.open(spec.protocol_pipes, plan);
    pid = launch(spec, plan);
  } catch (const std::exception& e) {
    fail_start(callbacks, e.what());
    return;
  }
  pipes.close_child_ends();  // from now on only the child's group holds them: EOF = gone
  auto c = std::make_shared<running_child>(ioc, token, std::move(callbacks),
                                           spec.output_tail_bytes);
  c->pid = pid;
  c->started = start_time;
  c->via_server = plan.method == start_method::forkserver;
  children.emplace(token, c);
  c->output.assign(pipes.out_r.release());
  c->output_open = true;
  if (spec.protocol_pipes) {
    c->replies.assign(pipes.rep_r.release());
    c->requests.assign(pipes.req_w.release());
    c->requests.non_blocking(true);
    c->replies_open = true;
  }
  if (c->callbacks.on_started) c->callbacks.on_started(pid);
  read_output(c);
  if (c->replies_open) read_replies(c);
  if (c->via_server) {
    server_children.emplace(pid, token);
    post([this] { handle_server_records(); });  // an exit may have come with the start
  } else {
    watch_exit(c);
  }
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
  leader_reaped(c, status, rc == c->pid);
}

void process_runner::impl::leader_reaped(const child_ptr& c, int status, bool status_known) {
  c->status_known = status_known;
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

void process_runner::impl::watch_server() {
  server.sock.async_wait(asio::posix::stream_descriptor::wait_read,
                         [this](const boost::system::error_code& ec) {
                           if (ec) return;
                           server.drain();
                           handle_server_records();
                           if (server.running()) watch_server();
                         });
}

void process_runner::impl::handle_server_records() {
  auto records = std::move(server.stash);
  server.stash.clear();
  for (auto& r : records) {
    auto it = r.kind == fs::exited ? server_children.find(r.pid) : server_children.end();
    if (it == server_children.end()) continue;
    auto child = children.find(it->second);
    server_children.erase(it);
    if (child != children.end()) leader_reaped(child->second, r.value, true);
  }
  if (!server.dead) return;
  // The server died: its children cannot be reaped by us; end their groups all the same.
  for (auto& entry : server_children) {
    ::kill(-entry.first, SIGKILL);
    auto child = children.find(entry.second);
    if (child != children.end()) leader_reaped(child->second, 0, false);
  }
  server_children.clear();
  server.reap_server();
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
  // Write at once while the pipe has room (the common case for small requests); only a
  // full pipe waits for writability, so a request costs one syscall and no extra handler.
  while (c->written < c->pending.size()) {
    ssize_t n = ::write(c->requests.native_handle(), c->pending.data() + c->written,
                        c->pending.size() - c->written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {  // EPIPE: the worker closed its end or died, nothing more to send
      c->pending.clear();
      c->written = 0;
      return close_requests(*c);
    }
    c->written += static_cast<std::size_t>(n);
  }
  if (c->written == c->pending.size()) {
    c->pending.clear();
    c->written = 0;
    if (c->close_after_write) close_requests(*c);
    return;
  }
  if (c->written > c->pending.size() / 2) {  // compact rarely: amortised O(1) per byte
    c->pending.erase(0, c->written);
    c->written = 0;
  }
  c->writing = true;
  c->requests.async_wait(asio::posix::stream_descriptor::wait_write,
                         [this, c](const boost::system::error_code& ec) {
                           c->writing = false;
                           if (ec) return;
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
    if (!c->reaped && c->via_server) {
      ::kill(-c->pid, SIGKILL);  // the server reaps it before it exits, below
    } else if (!c->reaped) {
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
  server_children.clear();
  server.stop();
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

void process_runner::kill_all(int sig) {
  impl_->post([this, sig] {
    for (auto& kv : impl_->children)
      if (!kv.second->reaped && kv.second->pid > 1) ::kill(-kv.second->pid, sig);
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

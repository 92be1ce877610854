// The fork server runs without exec in a copy of a possibly multi-threaded process, so it only
// makes async-signal-safe calls on memory that was allocated before the fork.

#include "runtime/process/fork_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace gremlins::process_detail {

namespace wire = fork_server_wire;
using namespace fork_server_wire;

namespace {

constexpr std::size_t scan_buffer = 64 * 1024;

/// A directory entry as getdents64 returns it (glibc 2.36 declares no wrapper type).
struct linux_dirent64 {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

/// The server's only memory, allocated (untouched) in the runner before the fork.
struct memory {
  std::unique_ptr<char[]> payload{new char[max_payload + 1]};
  std::unique_ptr<char*[]> ptrs{new char*[max_ptrs]};
  std::unique_ptr<int[]> pids{new int[max_children]};
  int npids = 0;
  char marker[128] = {};  ///< "GREMLIN_RUN_TOKEN=<runner id>:", searched in /proc/*/environ
  std::unique_ptr<char[]> scan{new char[scan_buffer]};
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
  if (ok) close_from(nfds);  // err_fd is close-on-exec already: it still reports a failure
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

/// True when the environment `pid` started with holds `marker` as one of its entries.
/// Async-signal-safe: open/read/close into preallocated memory.
bool carries_marker(int pid, memory& mem) {
  char path[40] = "/proc/";
  char digits[16];
  int n = 0;
  for (int v = pid; v > 0 && n < 15; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
  int k = 6;
  while (n > 0) path[k++] = digits[--n];
  const char tail[] = "/environ";
  for (char c : tail) path[k++] = c;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::size_t len = std::strlen(mem.marker);
  // Entries are NUL-separated; compare each entry's start with the marker, chunk by chunk.
  bool found = false, at_entry_start = true;
  std::size_t matched = 0;
  for (;;) {
    ssize_t got = ::read(fd, mem.scan.get(), scan_buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    for (ssize_t i = 0; i < got && !found; ++i) {
      char c = mem.scan[i];
      if (c == '\0') {
        at_entry_start = true;
        matched = 0;
        continue;
      }
      if (at_entry_start && matched < len && c == mem.marker[matched]) {
        if (++matched == len) found = true;
      } else {
        at_entry_start = false;
      }
    }
    if (found) break;
  }
  ::close(fd);
  return found;
}

/// Kills every process on the machine that carries the runner's marker (the runner's test
/// runs, workers and whatever they started, escaped or not), until a scan finds none.
void kill_marked(memory& mem) {
  if (mem.marker[0] == '\0') return;
  for (int round = 0; round < 50; ++round) {
    int dir = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return;
    bool killed = false;
    alignas(8) char entries[8192];
    for (;;) {
      long n = ::syscall(SYS_getdents64, dir, entries, sizeof entries);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<linux_dirent64*>(entries + off);
        off += d->d_reclen;
        int pid = 0;
        bool numeric = d->d_name[0] != '\0';
        for (const char* c = d->d_name; *c != '\0'; ++c) {
          if (*c < '0' || *c > '9') numeric = false;
          else pid = pid * 10 + (*c - '0');
        }
        if (!numeric || pid <= 1 || pid == ::getpid()) continue;
        if (carries_marker(pid, mem)) {
          ::kill(pid, SIGKILL);
          ::kill(-pid, SIGKILL);  // it may lead a group of unmarked processes (env cleared)
          killed = true;
        }
      }
    }
    ::close(dir);
    if (!killed) return;
    struct timespec pause = {0, 20 * 1000 * 1000};
    ::nanosleep(&pause, nullptr);  // let the killed die, so a fork in flight is seen next round
  }
}

[[noreturn]] void server_main(int sock, memory& mem) {
  if (sock < 3) sock = ::fcntl(sock, F_DUPFD_CLOEXEC, 3);  // 0..2 become /dev/null
  isolate(sock);
  // Handlers inherited from the runner's process (test frameworks, CAF) must not run here.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  // The server is also the guardian of the runner's processes: it outlives a runner killed
  // by SIGKILL (or a signal to the runner's whole group) and then ends what the runner started.
  ::setpgid(0, 0);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU})
    ::sigaction(sig, &ign, nullptr);
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
  // The runner has gone: nothing it or we started may outlive it.
  for (int i = 0; i < mem.npids; ++i) ::kill(-mem.pids[i], SIGKILL);
  kill_marked(mem);
  while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
  ::_exit(0);
}

}  // namespace

void fork_server_client::start(const std::string& marker) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    error_ = "socketpair: " + errno_text(errno);
    return;
  }
  auto mem = std::make_unique<memory>();
  std::snprintf(mem->marker, sizeof mem->marker, "%s", marker.c_str());
  pid_ = ::fork();
  if (pid_ == 0) server_main(sv[1], *mem);
  ::close(sv[1]);
  if (pid_ < 0) {
    error_ = "fork: " + errno_text(errno);
    ::close(sv[0]);
    return;
  }
  sock.assign(sv[0]);
}

int fork_server_client::spawn(const launch_plan& plan) {
  if (!running())
    throw std::runtime_error(error_.empty() ? "the fork server is not running" : error_);
  std::string payload = plan.path + '\0' + plan.cwd + '\0';
  for (auto& a : plan.argv_storage) payload.append(a).push_back('\0');
  for (auto& e : plan.env_storage) payload.append(e).push_back('\0');
  wire::header h{wire::magic, ++next_id_, static_cast<std::uint32_t>(plan.nfds),
               static_cast<std::uint32_t>(plan.argv_storage.size()),
               static_cast<std::uint32_t>(plan.env_storage.size()), 0, payload.size()};
  send_message(&h, sizeof h, plan.fds.data(), plan.nfds);
  for (std::size_t off = 0; off < payload.size(); off += wire::chunk)
    send_message(payload.data() + off, std::min(wire::chunk, payload.size() - off), nullptr, 0);
  wire::record r = wait_for(h.id);
  if (r.kind != wire::started) throw std::runtime_error(errno_text(r.value));
  return r.pid;
}

void fork_server_client::drain() {
  wire::record r;
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

void fork_server_client::stop() {
  boost::system::error_code ignored;
  sock.close(ignored);
  reap_server();
}

void fork_server_client::reap_server() {
  if (pid_ > 0)
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  pid_ = -1;
}

void fork_server_client::send_message(const void* data, std::size_t len, const int* fds, int nfds) {
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

wire::record fork_server_client::wait_for(std::uint32_t id) {
  for (;;) {
    for (auto it = stash.begin(); it != stash.end(); ++it) {
      if (it->kind != wire::exited && it->id == id) {
        wire::record r = *it;
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

}  // namespace gremlins::process_detail

// Why this file looks the way it does (see also runner.hpp):
// - It is the only place that starts processes, so every fork, pipe read and reap happens on
//   one I/O thread running a boost::asio::io_context; the public methods only post to it and
//   CAF scheduler threads never block on a child.
// - Exits are seen through a pidfd (readable once the leader is a zombie). The group is killed
//   while the zombie still pins its pgid, then the leader is reaped: no pid-reuse race and no
//   SIGCHLD handler that could steal other code's children.
// - Every parent-side fd is O_CLOEXEC and the child-side ends live above fd 10 until dup2'd
//   into place (fd.hpp), so one child's protocol pipes never leak into another child.
// - The I/O thread blocks SIGPIPE: a write to a dead worker yields EPIPE instead of killing us.
// - Start methods (launch.hpp): `fork` is fork+exec through Boost.Process, `spawn`/`auto` is
//   posix_spawn; `forkserver` (fork_server.hpp) is a copy of this process forked by the
//   constructor, before the I/O thread exists, that forks children on request.

#include "runtime/process/runner.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>
#include <thread>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "runtime/process/descendants.hpp"
#include "runtime/process/fork_server.hpp"
#include "runtime/process/launch.hpp"

namespace gremlins {

namespace asio = boost::asio;
using namespace process_detail;

namespace {

constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t max_reply_line = process_runner::max_reply_line;
// How often escaped descendants are looked for while children live, and how soon again
// after a run ended (its escaped processes are re-parented to us as their parents die).
constexpr auto sweep_interval = std::chrono::milliseconds(500);
constexpr auto sweep_soon = std::chrono::milliseconds(50);

/// A name for this runner, unique on the machine while it lives: pid and instance number.
std::string new_runner_id() {
  static std::atomic<unsigned> instances{0};
  return std::to_string(::getpid()) + "-" + std::to_string(++instances);
}
// After the leader is reaped and its group killed, the pipes normally reach EOF at once; a
// process that escaped the group (setsid) could hold them forever, so stop waiting after this.
constexpr auto drain_grace = std::chrono::seconds(2);

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
  bool overflow_reported = false;  ///< on_reply_overflow was called for the current line
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
  impl() : ioc(1), work(ioc.get_executor()), server(ioc), sweep_timer(ioc) {
    subreaper = become_subreaper();
    // First, while this object has no thread of its own yet.
    server.start(std::string(run_token_variable) + "=" + id + ":");
    if (server.running()) post([this] { watch_server(); });
    thread = std::thread([this] { run(); });
  }

  const std::string id = new_runner_id();
  bool subreaper = false;

  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::unordered_map<process_token, child_ptr> children;
  std::atomic<process_token> next_token{1};
  std::atomic<std::size_t> live{0};
  fork_server_client server;
  std::unordered_map<int, process_token> server_children;  ///< pid -> token
  std::unordered_map<int, process_token> direct_pids;      ///< live children we started
  std::unordered_map<int, process_token> escaped;          ///< re-parented descendants -> run
  std::unordered_set<int> recent_groups;                   ///< groups of runs that ended lately
  std::deque<int> recent_order;

  void remember_group(int pgid) {
    if (!recent_groups.insert(pgid).second) return;
    recent_order.push_back(pgid);
    if (recent_order.size() > 1024) {
      recent_groups.erase(recent_order.front());
      recent_order.pop_front();
    }
  }
  asio::steady_timer sweep_timer;
  bool sweep_armed = false;
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
  void sweep(process_token also_end, bool end_all);
  void arm_sweep(std::chrono::milliseconds after);
  bool has_own_zombie() const;
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

/// Prepares the plan, then starts the child with its start method; throws a message naming
/// the program or directory on failure.
int process_runner::impl::launch(const process_spec& spec, launch_plan& plan) {
  prepare_plan(spec, plan);
  try {
    switch (plan.method) {
      case start_method::fork: return start_with_fork(plan);
      case start_method::forkserver: return server.spawn(plan);
      case start_method::spawn:
      case start_method::auto_: return start_with_spawn(plan);
    }
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot start '" + spec.argv[0] + "' (" + plan.path + ", start method " +
                             to_string(plan.method) + "): " + e.what());
  }
  throw std::runtime_error("unknown start method");
}

void process_runner::impl::do_start(process_token token, process_spec spec,
                                    process_callbacks callbacks) {
  launch_plan plan;
  child_pipes pipes;
  int pid = -1;
  auto start_time = std::chrono::steady_clock::now();  // wall_ms includes the start itself
  spec.env.emplace_back(run_token_variable, id + ":" + std::to_string(token));
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
  direct_pids.emplace(pid, token);
  arm_sweep(sweep_interval);
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
  // Escaped descendants of this run would hold its pipes until the drain grace: end them now.
  sweep(c->token, false);
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
    auto it = r.kind == fork_server_wire::exited ? server_children.find(r.pid) : server_children.end();
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
    if (len > room) {
      c.partial_truncated = true;
      // Reported at once: a worker that never ends the line must not pass for a slow one.
      if (!c.overflow_reported && c.callbacks.on_reply_overflow && !c.finished) c.callbacks.on_reply_overflow();
      c.overflow_reported = true;
    }
    c.partial.append(p, std::min(len, room));
  };
  while (data < end) {
    auto nl = static_cast<const char*>(std::memchr(data, '\n', end - data));
    if (nl == nullptr) {
      append_capped(data, end - data);
      return;
    }
    if (c.partial.empty() && !c.partial_truncated) {
      if (static_cast<std::size_t>(nl - data) > max_reply_line && c.callbacks.on_reply_overflow && !c.finished)
        c.callbacks.on_reply_overflow();
      lines.emplace_back(data, std::min<std::size_t>(nl - data, max_reply_line));
    } else {
      append_capped(data, nl - data);
      lines.push_back(std::move(c.partial));
      c.partial.clear();
      c.partial_truncated = false;
      c.overflow_reported = false;
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
  direct_pids.erase(c->pid);
  remember_group(c->pid);
  children.erase(c->token);
  --live;
  if (callbacks.on_exit) callbacks.on_exit(std::move(exit));
  // What the run left behind outside its group is ended now, and again a moment later.
  sweep(0, false);
  arm_sweep(sweep_soon);
}

// Escaped descendants: processes re-parented to us (the subreaper) that carry one of our
// run tokens. Those of a run that has ended (or of `also_end`, or all with `end_all`) are
// killed; killed ones are reaped as they die. Zombies we never saw alive are not ours to
// reap: other code in this process may be waiting for them.
void process_runner::impl::sweep(process_token also_end, bool end_all) {
  const std::string prefix = id + ":";
  for (int pid : own_children()) {
    if (direct_pids.count(pid) || server_children.count(pid) || escaped.count(pid)) continue;
    auto st = read_proc_stat(pid);
    if (st && st->state == 'Z') {
      // A member of one of our runs' groups, re-parented to us and killed with its group.
      if (direct_pids.count(st->pgrp) || recent_groups.count(st->pgrp)) ::waitpid(pid, nullptr, WNOHANG);
      continue;
    }
    auto token = environment_value(pid, run_token_variable);
    if (!token || token->compare(0, prefix.size(), prefix) != 0) continue;
    escaped.emplace(pid, static_cast<process_token>(std::stoull(token->substr(prefix.size()))));
  }
  for (auto it = escaped.begin(); it != escaped.end();) {
    int pid = it->first;
    bool ended = end_all || it->second == also_end || children.count(it->second) == 0;
    if (ended) {
      auto st = read_proc_stat(pid);
      if (st && st->state != 'Z') {
        if (st->pgrp == pid) ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
      }
    }
    int status = 0;
    pid_t rc;
    do rc = ::waitpid(pid, &status, ended && end_all ? 0 : WNOHANG);
    while (rc < 0 && errno == EINTR);
    if (rc == pid || (rc < 0 && errno == ECHILD)) it = escaped.erase(it);
    else ++it;
  }
  if (!escaped.empty()) arm_sweep(sweep_soon);
}

bool process_runner::impl::has_own_zombie() const {
  for (int pid : own_children()) {
    auto st = read_proc_stat(pid);
    if (st && (direct_pids.count(st->pgrp) || recent_groups.count(st->pgrp))) return true;
  }
  return false;
}

void process_runner::impl::arm_sweep(std::chrono::milliseconds after) {
  if (!subreaper) return;
  auto when = std::chrono::steady_clock::now() + after;
  if (sweep_armed && sweep_timer.expiry() <= when) return;
  sweep_armed = true;
  sweep_timer.expires_at(when);
  sweep_timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    sweep_armed = false;
    sweep(0, false);
    // Members of a killed group can become our zombies a while after their run ended.
    if (!children.empty() || !recent_groups.empty()) arm_sweep(sweep_interval);
  });
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
  direct_pids.clear();
  sweep_timer.cancel();
  sweep(0, true);
  // What was killed above dies asynchronously; reap the zombies of our groups as they appear.
  for (int round = 0; round < 20 && has_own_zombie(); ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    sweep(0, true);
  }
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

bool process_runner::is_group_of_descendant(int pgid, int ancestor) {
  return process_detail::is_group_of_descendant(pgid, ancestor);
}

bool process_runner::is_foreign_group(int pgid, int ancestor) {
  if (pgid <= 1) return true;
  if (process_detail::is_group_of_descendant(pgid, ancestor)) return false;
  // A child that exits while we look shows up as a zombie, or dying with no parent: it cannot
  // be checked, and it needs no signal any more.
  auto st = process_detail::read_proc_stat(pgid);
  return st && st->state != 'Z' && st->state != 'X' && st->ppid != 0;
}

bool process_runner::kill_descendant_group(int pgid, int ancestor, int sig) {
  // Checked again right before the signal: the pid may have been reused since `started`.
  if (!process_detail::is_group_of_descendant(pgid, ancestor)) return false;
  ::kill(-pgid, sig);
  return true;
}

void process_runner::end_escaped(process_token token) {
  impl_->post([this, token] { impl_->sweep(token, false); });
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

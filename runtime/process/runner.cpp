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

#include "runtime/process/runner_impl.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>

namespace gremlins {

namespace asio = boost::asio;
using namespace process_detail;

namespace {

// How often escaped descendants are looked for while children live, and how soon again
// after a run ended (its escaped processes are re-parented to us as their parents die).
constexpr auto sweep_interval = std::chrono::milliseconds(500);
constexpr auto sweep_soon = std::chrono::milliseconds(50);
// end_escaped's sweeps of /proc are this far apart at least: a warm worker answering
// thousands of gremlins a second costs a sweep every escape_gap, not one per result, and an
// escaped process outlives its gremlin's result by escape_gap at most.
constexpr auto escape_gap = std::chrono::milliseconds(20);

// After the leader is reaped and its group killed, the pipes normally reach EOF at once; a
// process that escaped the group (setsid) could hold them forever, so stop waiting after this.
constexpr auto drain_grace = std::chrono::seconds(2);

int pidfd_open(int pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

std::string process_detail::new_runner_id() {
  static std::atomic<unsigned> instances{0};
  return std::to_string(::getpid()) + "-" + std::to_string(++instances);
}

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
  if (stopping) {
    fail_start(callbacks, "the process runner is shutting down");
    return;
  }
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
  sweeper.started(pid);
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
  sweep(false, {c->token});
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
  sweeper.ended(c->pid);
  children.erase(c->token);
  --live;
  if (callbacks.on_exit) callbacks.on_exit(std::move(exit));
  // What the run left behind outside its group is ended now, and again a moment later.
  sweep(false);
  arm_sweep(sweep_soon);
}

void process_runner::impl::sweep(bool end_all, const std::vector<process_token>& also_end) {
  bool pending = sweeper.sweep(
    // The fork server and its children are not descendants of a run.
    [this](int pid) { return pid == server.pid() || server_children.count(pid) > 0; },
    [this, &also_end, end_all](process_token t) {
      return end_all || children.count(t) == 0 || std::find(also_end.begin(), also_end.end(), t) != also_end.end();
    },
    end_all);
  if (pending) arm_sweep(sweep_soon);
}

void process_runner::impl::arm_sweep(std::chrono::milliseconds after) {
  if (!subreaper || stopping) return;
  auto when = std::chrono::steady_clock::now() + after;
  if (sweep_armed && sweep_timer.expiry() <= when) return;
  sweep_armed = true;
  sweep_timer.expires_at(when);
  sweep_timer.async_wait([this](const boost::system::error_code& ec) {
    // A timer that had expired already when shutdown() cancelled it still runs its handler
    // (the cancel came too late for it), with no error: it must not arm the timer again.
    if (ec || stopping) return;
    sweep_armed = false;
    sweep(false);
    // Members of a killed group can become our zombies a while after their run ended.
    if (!children.empty() || sweeper.watching()) arm_sweep(sweep_interval);
  });
}

void process_runner::impl::escape_sweep() {
  if (stopping) return;  // shutdown() ends every escaped process anyway
  auto due = last_escape_sweep + escape_gap;
  if (std::chrono::steady_clock::now() >= due) return run_escape_sweep();
  escape_timer.expires_at(due);
  escape_timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping) run_escape_sweep();
  });
}

void process_runner::impl::run_escape_sweep() {
  std::vector<process_token> tokens;
  {
    std::lock_guard<std::mutex> guard(escape_mx);
    tokens.swap(escape_tokens);
    escape_posted = false;
  }
  last_escape_sweep = std::chrono::steady_clock::now();
  sweep(false, tokens);
}

void process_runner::impl::shutdown() {
  stopping = true;
  escape_timer.cancel();
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
  sweep_timer.cancel();
  sweep(true);
  // What was killed above dies asynchronously; reap the zombies of our groups as they appear.
  for (int round = 0; round < 20 && sweeper.has_own_child(); ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    sweep(true);
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
  {
    std::lock_guard<std::mutex> guard(impl_->escape_mx);
    impl_->escape_tokens.push_back(token);
    if (impl_->escape_posted) return;  // the sweep already queued takes this token too
    impl_->escape_posted = true;
  }
  impl_->post([this] { impl_->escape_sweep(); });
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

#pragma once
// The process runner's inside, shared by runner.cpp (starting, exits, reaping, sweeping) and
// runner_io.cpp (output, reply lines, requests). Not installed for use elsewhere.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/process/descendants.hpp"
#include "runtime/process/fork_server.hpp"
#include "runtime/process/launch.hpp"
#include "runtime/process/runner.hpp"

namespace gremlins {

namespace process_detail {
constexpr std::size_t read_chunk = 64 * 1024;
/// A name for a runner, unique on the machine while it lives: pid and instance number.
std::string new_runner_id();
}  // namespace process_detail

// This header is private to the runner's two files, which live in process_detail's world.
using namespace process_detail;


/// One started child and everything the I/O thread tracks about it.
struct running_child {
  running_child(boost::asio::io_context& ioc, process_token t, process_callbacks c, std::size_t cap)
      : token(t), callbacks(std::move(c)), tail_cap(cap), output(ioc), replies(ioc),
        requests(ioc), exit_watch(ioc), timer(ioc) {}

  process_token token;
  process_callbacks callbacks;
  std::size_t tail_cap;
  int pid = -1;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point ended;

  boost::asio::posix::stream_descriptor output;    ///< stdout+stderr
  boost::asio::posix::stream_descriptor replies;   ///< protocol replies
  boost::asio::posix::stream_descriptor requests;  ///< protocol requests
  boost::asio::posix::stream_descriptor exit_watch;  ///< the pidfd
  boost::asio::steady_timer timer;                 ///< drain grace, or exit polling without pidfd
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
  impl() : ioc(1), work(ioc.get_executor()), server(ioc), sweep_timer(ioc), escape_timer(ioc) {
    subreaper = become_subreaper();
    // First, while this object has no thread of its own yet.
    server.start(std::string(run_token_variable) + "=" + id + ":");
    if (server.running()) post([this] { watch_server(); });
    thread = std::thread([this] { run(); });
  }

  const std::string id = new_runner_id();
  bool subreaper = false;

  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  std::unordered_map<process_token, child_ptr> children;
  std::atomic<process_token> next_token{1};
  std::atomic<std::size_t> live{0};
  fork_server_client server;
  std::unordered_map<int, process_token> server_children;  ///< pid -> token
  descendant_sweeper sweeper{id};
  boost::asio::steady_timer sweep_timer;
  bool sweep_armed = false;
  /// Set by shutdown(): nothing may arm a timer or start a process after it, or the I/O
  /// thread would never run out of work and the destructor's join would wait forever.
  bool stopping = false;
  /// Runs whose escaped descendants are to be ended (end_escaped), gathered from any thread
  /// so that a burst of warm results costs one sweep of /proc, not one each.
  std::mutex escape_mx;
  std::vector<process_token> escape_tokens;
  bool escape_posted = false;   ///< a sweep for escape_tokens is posted or waiting on escape_timer
  boost::asio::steady_timer escape_timer;  ///< such sweeps are escape_gap apart at least
  std::chrono::steady_clock::time_point last_escape_sweep{};
  std::thread thread;

  void run();
  template <class F>
  void post(F&& f) { boost::asio::post(ioc, std::forward<F>(f)); }

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
  /// Ends escaped descendants of runs that ended, of the runs in `also_end`, or (`end_all`)
  /// of every run.
  void sweep(bool end_all, const std::vector<process_token>& also_end = {});
  void arm_sweep(std::chrono::milliseconds after);
  void escape_sweep();       ///< end_escaped's sweep, now or at last_escape_sweep + escape_gap
  void run_escape_sweep();
  void shutdown();
};

}  // namespace gremlins

#pragma once
// All child-process handling of the runtime sits behind this interface (like ninja's
// subprocess.h). The implementation (runner.cpp, launch.cpp, fork_server.cpp, fd.cpp in this
// folder) is the only code that includes Boost.Process or calls fork, exec or kill; it runs
// every fork, pipe read and reap on one I/O thread of its own, so
// no CAF scheduler thread ever blocks on a process. Events reach their owner through the
// callbacks, which run on that I/O thread and must not block (actors pass an anon_send).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "messages/pool_config.hpp"
#include "messages/process_events.hpp"

namespace gremlins {

/// Identifies one started process for the lifetime of a process_runner.
using process_token = std::uint64_t;

/// What to start.
struct process_spec {
  std::vector<std::string> argv;  ///< run as is, never through a shell; argv[0] is looked up on PATH
  std::string cwd;                ///< empty: the caller's working directory
  std::vector<std::pair<std::string, std::string>> env;  ///< added to (overriding) the caller's environment
  /// Open the two protocol pipes and export GREMLIN_REQUEST_FD / GREMLIN_REPLY_FD.
  bool protocol_pipes = false;
  start_method method = start_method::auto_;
  std::size_t output_tail_bytes = 16 * 1024;  ///< how much of stdout+stderr to keep
};

/// Callbacks of one process; all run on the runner's I/O thread, in this order:
/// on_started once (or on_exit alone with spawn_error), on_reply_lines any number of
/// times, on_exit exactly once, after every reply line that was written.
struct process_callbacks {
  std::function<void(int pid)> on_started;
  std::function<void(std::vector<std::string> lines)> on_reply_lines;  ///< protocol lines, without '\n'
  std::function<void(process_exit)> on_exit;
  /// A reply line grew past process_runner::max_reply_line bytes (called once per such line,
  /// as soon as it is seen; the line itself is delivered cut at the limit if it ever ends).
  std::function<void()> on_reply_overflow;
};

/// Starts, feeds, kills and reaps child processes. Each child leads its own process group.
/// When a child's leader exits, whatever is left of its group is killed (SIGKILL), so a
/// grandchild that holds the output pipe cannot keep the run alive or outlive it.
/// The runner makes its process a child subreaper (Linux): descendants that escape their
/// group (setsid, daemons) are re-parented to it and ended when their run ends. Every child
/// carries GREMLIN_RUN_TOKEN in its environment; if the runner's process dies (even by
/// SIGKILL), its fork server kills every process that carries one of the runner's tokens.
class process_runner {
public:
  process_runner();
  /// Kills every remaining process group (SIGKILL), reaps them, stops the I/O thread.
  ~process_runner();
  process_runner(const process_runner&) = delete;
  process_runner& operator=(const process_runner&) = delete;

  /// Queues a start; returns at once. Failures arrive as on_exit with spawn_error.
  process_token start(process_spec spec, process_callbacks callbacks);
  /// Writes `data` to the process's request pipe (protocol_pipes), without blocking.
  void write(process_token token, std::string data);
  /// Closes the request pipe: the worker sees end of file.
  void close_requests(process_token token);
  /// Sends `sig` to the whole process group of `token` (no-op once it was reaped).
  void kill_group(process_token token, int sig);
  /// Sends `sig` to the process group of every child not yet reaped (an interrupted run).
  void kill_all(int sig);
  /// True when `pgid` leads its own process group and descends from `ancestor` (a worker's
  /// pid): the only kind of process group a worker may ask the runtime to signal.
  static bool is_group_of_descendant(int pgid, int ancestor);
  /// True when `pgid` names a live process that is not such a group: a worker that reports
  /// it lies. (One that is gone already is not foreign: it will never be signalled unless it
  /// checks out at that time.)
  static bool is_foreign_group(int pgid, int ancestor);
  /// Sends `sig` to the process group `pgid` if it still leads its group and descends from
  /// `ancestor`; false (and nothing is signalled) otherwise.
  static bool kill_descendant_group(int pgid, int ancestor, int sig);
  /// Ends the escaped descendants of `token`'s run (processes that left its process group
  /// and were re-parented to the runner), though the run itself goes on: a warm worker's
  /// gremlin run is over, the worker is not.
  void end_escaped(process_token token);
  /// The longest reply line kept; a longer one is reported through on_reply_overflow.
  static constexpr std::size_t max_reply_line = 1024 * 1024;
  /// Number of processes started and not yet reaped.
  std::size_t live_count() const;

  /// Blocking helper for threads that are not actors (the CLI before the actor system
  /// starts): runs to completion or until `limit`, then kills the group.
  process_exit run_to_end(process_spec spec, std::chrono::milliseconds limit);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace gremlins

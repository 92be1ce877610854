#pragma once
// What ends a `run` early, and how. SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal was
// closed) reach a handler that only writes the signal's number to a pipe; a thread of the CLI
// reads it and stops what runs (the baseline, the gremlins, the pytest prepare step), so the
// run ends with the results so far and its own exit code (cli/exit_codes.hpp). A second signal
// stops again, harder: every process the run started gets SIGKILL.
//
// A closed standard output (`gremlin-actors run ... | head -1`) is not a signal: SIGPIPE is
// ignored (ignore_sigpipe) and writes to a closed stream just fail. The same thread polls the
// standard output when it is a pipe or a socket; once its reader has gone, the results have
// no console to go to. With a results file asked for, the run goes on quietly and writes it;
// without one, there is nobody left to report to, and the run is stopped (exit_output_gone).
//
// docs/exit-codes.md describes the behaviour; tests/test_cli_signals.cpp checks it on the
// real program.

#include <signal.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace gremlins::cli {

/// Why a run was stopped.
enum class stop_cause { none, sigint, sigterm, sighup, output_gone };

/// The exit code of a stopped run: exit_interrupted, exit_terminated, exit_hangup,
/// exit_output_gone (exit_ok for none).
int exit_code_of(stop_cause cause);

/// For messages: "SIGINT (Ctrl-C)", "SIGTERM", "SIGHUP (the terminal was closed)",
/// "a closed standard output".
std::string describe(stop_cause cause);

/// SIGPIPE ignored for the rest of the process: a write to a closed pipe fails with EPIPE
/// instead of killing the program. Children get the default back (the runtime resets every
/// signal in a new child).
void ignore_sigpipe();

/// True when `fd` is a pipe or a socket whose reader has gone (a poll that does not wait).
/// A terminal, a file, /dev/null: false.
bool output_closed(int fd);

/// Watches for the signals and the closed output from its constructor to its destructor.
/// A signal ignored when the program started (nohup, `cmd &` in a script) stays ignored.
class stop_watch {
 public:
  /// What is stopped: `again` is false for the first stop, true for every later signal.
  using stop_fn = std::function<void(bool again)>;

  stop_watch();
  /// Puts the signals' previous handlers back, ends the thread.
  ~stop_watch();
  stop_watch(const stop_watch&) = delete;
  stop_watch& operator=(const stop_watch&) = delete;

  /// From now on a stop calls `fn` (empty: nothing to call). When a stop came already,
  /// `fn(false)` is called at once. The call happens under a lock that set_target takes too:
  /// after `set_target({})` returns, the old target is never called again.
  void set_target(stop_fn fn);

  /// set_target(fn) for a scope: declared after what `fn` uses, it clears the target before
  /// that is destroyed.
  class scoped_target {
   public:
    scoped_target(stop_watch& w, stop_fn fn) : w_(w) { w_.set_target(std::move(fn)); }
    ~scoped_target() { w_.set_target({}); }
    scoped_target(const scoped_target&) = delete;
    scoped_target& operator=(const scoped_target&) = delete;

   private:
    stop_watch& w_;
  };

  /// Whether a closed standard output stops the run (there is no results file) or is only
  /// recorded (stdout_closed()).
  void stop_when_output_closed(bool on);

  /// The first cause of a stop; none when nothing stopped the run. Lock-free.
  stop_cause cause() const { return cause_.load(); }
  bool stopped() const { return cause() != stop_cause::none; }

  /// True once the standard output was seen closed (by the watch, or by output_closed(1) now).
  bool stdout_closed() const;

 private:
  void watch();
  void stop(stop_cause why);

  static constexpr int signal_count = 3;  ///< SIGINT, SIGTERM, SIGHUP
  int pipe_[2] = {-1, -1};
  bool installed_[signal_count] = {};
  struct sigaction previous_[signal_count] = {};  ///< what was there before
  std::thread thread_;
  mutable std::mutex mx_;
  stop_fn target_;
  std::atomic<stop_cause> cause_{stop_cause::none};
  std::atomic<bool> quit_{false};
  bool stop_on_output_closed_ = false;
  bool stdout_closed_ = false;
  bool watch_stdout_ = false;
};

}  // namespace gremlins::cli

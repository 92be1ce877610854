#pragma once
// Starting one child: the launch plan prepared in the parent (resolved program, argv, merged
// environment, the child's descriptors), and the two direct start methods, posix_spawn and
// fork+exec through Boost.Process. The fork server (fork_server.hpp) takes the same plan.

#include <fcntl.h>

#include <array>
#include <tuple>
#include <optional>
#include <string>
#include <vector>

#include "messages/pool_config.hpp"
#include "runtime/process/fd.hpp"

namespace gremlins {
struct process_spec;
}

namespace gremlins::process_detail {

/// The protocol descriptors as the child sees them (exported as GREMLIN_REQUEST_FD/REPLY_FD).
constexpr int request_fd_number = 3;
constexpr int reply_fd_number = 4;

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

/// The caller's environment with `spec.env` (and the protocol fd numbers) overriding it.
std::vector<std::string> merged_environment(const process_spec& spec);

/// The value of `key` in an environment of "K=V" entries, or empty.
std::string env_value(const std::vector<std::string>& env, const std::string& key);

/// argv[0] as execvp would find it, but on the PATH of the child's environment.
std::optional<std::string> find_program(const std::string& name, const std::vector<std::string>& env);

/// Fills `plan` from `spec`: program found on PATH, cwd checked, argv and envp, the start
/// method resolved (never auto_). Throws a message naming the program or folder.
void prepare_plan(const process_spec& spec, launch_plan& plan);

/// In a new child, before exec: lead a process group of its own, default signal handling.
/// Async-signal-safe.
void become_child_leader();

/// In a new child, after its descriptors 0..lowest-1 are in place: every other one, inherited
/// ones included, closes at exec, so a child sees only its own. Async-signal-safe.
void close_from(int lowest);

/// fork+exec through Boost.Process; returns the pid or throws with a message.
int start_with_fork(launch_plan& plan);

/// posix_spawn (vfork-like in glibc); returns the pid or throws with a message.
int start_with_spawn(const launch_plan& plan);

}  // namespace gremlins::process_detail

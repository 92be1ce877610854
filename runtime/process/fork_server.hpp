#pragma once
// The fork server: A copy of the runner's process, forked in the runner's constructor (before its I/O thread
// exists), that forks and execs children on request. It runs without exec in a copy of a
// possibly multi-threaded process, so it only makes async-signal-safe calls on memory that
// was allocated before the fork. Runner -> server: a header message carrying the child's fds
// (SCM_RIGHTS), then the payload "path\0cwd\0argv...\0env...\0" in chunks. Server -> runner:
// fixed-size records (started / failed with errno / exited with the wait status). The server
// kills a child's group while the leader is still a zombie, then reaps it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/process/launch.hpp"

namespace gremlins::process_detail {

/// The fork server's wire format (a SOCK_SEQPACKET socket pair).
namespace fork_server_wire {
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
}  // namespace fork_server_wire

/// The runner's side of the fork server; used on the runner's I/O thread only, except
/// start(), which the runner's constructor calls before that thread exists.
class fork_server_client {
public:
  explicit fork_server_client(boost::asio::io_context& ioc) : sock(ioc) {}

  boost::asio::posix::stream_descriptor sock;
  std::vector<fork_server_wire::record> stash;  ///< records received but not yet handled
  bool dead = false;

  /// Forks the server (call while the process has one thread); failures are kept for spawn().
  /// When the runner goes away, the server kills every process whose environment holds the
  /// entry prefix `marker` (the runner's GREMLIN_RUN_TOKEN).
  void start(const std::string& marker);
  bool running() const { return sock.is_open() && !dead; }
  /// The server's pid (-1 when it is not running).
  int pid() const { return pid_; }
  /// Asks the server to start `plan`; returns the pid or throws with a message.
  int spawn(const launch_plan& plan);
  /// Moves every record that has arrived into `stash`; notes the server's death.
  void drain();
  /// Ends the server: it kills and reaps what it started, then exits; we reap it.
  void stop();
  /// Reaps the server process (it has exited or is about to).
  void reap_server();

private:
  int pid_ = -1;
  std::string error_;
  std::uint32_t next_id_ = 0;

  void send_message(const void* data, std::size_t len, const int* fds, int nfds);
  fork_server_wire::record wait_for(std::uint32_t id);
};

}  // namespace gremlins::process_detail

#pragma once
// What /proc says about the runner's descendants: who a process's parent and group are, and
// which processes carry a run's token in their environment. Linux only.
//
// Every child the runner starts gets GREMLIN_RUN_TOKEN=<runner id>:<token> in its
// environment, and its descendants inherit it. A process that escaped its process group
// (setsid, a double-forking daemon) is re-parented to the runner, which is a child
// subreaper, when its parent dies; the token says which run it came from.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace gremlins::process_detail {

/// The environment variable that carries a run's token.
constexpr const char* run_token_variable = "GREMLIN_RUN_TOKEN";

/// Parent, process group and state of a process, from /proc/PID/stat.
struct proc_stat {
  int ppid = 0;
  int pgrp = 0;
  char state = '?';  ///< 'Z' for a zombie
};

/// /proc/PID/stat, or nothing when the process does not exist (any more).
std::optional<proc_stat> read_proc_stat(int pid);

/// True when `pid` leads its own process group and descends from `ancestor` (its parent,
/// or its parent's parent, ...).
bool is_group_of_descendant(int pid, int ancestor);

/// The direct children of this process (of all its threads).
std::vector<int> own_children();

/// The value of `key` in the environment `pid` started with, if readable.
std::optional<std::string> environment_value(int pid, const std::string& key);

/// Makes this process the reaper of its orphaned descendants; false where the kernel refuses.
bool become_subreaper();

/// The runner's bookkeeping of its children's groups and of escaped descendants. Used on the
/// runner's I/O thread only.
class descendant_sweeper {
public:
  explicit descendant_sweeper(std::string runner_id) : prefix_(std::move(runner_id) + ":") {}

  /// A child the runner started (it leads its own group).
  void started(int pid) { direct_.insert(pid); }
  /// That child was reaped; its group is remembered for a while, so that members re-parented
  /// to us can be recognised as ours when they die.
  void ended(int pid);

  /// Looks at this process's children: escaped descendants carrying one of our tokens are
  /// noted; those whose run has `ended(token)` are killed (SIGKILL, with their group when they
  /// lead one); the dead ones we know are reaped (waiting for them when `wait`). Zombies we
  /// never saw alive are reaped only when they belong to one of our groups: other code in this
  /// process may be waiting for the rest. `foreign(pid)` excludes children that are not
  /// descendants of a run (the fork server's). True while killed ones are still to be reaped.
  bool sweep(const std::function<bool(int)>& foreign, const std::function<bool(std::uint64_t)>& ended,
             bool wait);

  /// True while the sweeper still has something to look after (escaped or recent groups).
  bool watching() const { return !escaped_.empty() || !recent_.empty(); }
  /// True while a child of this process belongs to one of our groups.
  bool has_own_child() const;

private:
  std::string prefix_;
  std::unordered_set<int> direct_;                   ///< live children we started
  std::unordered_map<int, std::uint64_t> escaped_;   ///< re-parented descendants -> token
  std::unordered_set<int> recent_;                   ///< groups of runs that ended lately
  std::deque<int> recent_order_;
};

}  // namespace gremlins::process_detail

#pragma once
// What /proc says about the runner's descendants: who a process's parent and group are, and
// which processes carry a run's token in their environment. Linux only.
//
// Every child the runner starts gets GREMLIN_RUN_TOKEN=<runner id>:<token> in its
// environment, and its descendants inherit it. A process that escaped its process group
// (setsid, a double-forking daemon) is re-parented to the runner, which is a child
// subreaper, when its parent dies; the token says which run it came from.

#include <optional>
#include <string>
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

}  // namespace gremlins::process_detail

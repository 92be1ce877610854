#include "runtime/process/descendants.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

namespace gremlins::process_detail {

namespace {

// Plain read(2): a /proc file of a process that exits meanwhile fails with ESRCH, which
// std::filebuf turns into an exception.
std::string slurp(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

std::optional<proc_stat> read_proc_stat(int pid) {
  if (pid <= 0) return std::nullopt;
  auto text = slurp("/proc/" + std::to_string(pid) + "/stat");
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after
  // the last ')'.
  auto paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(paren + 1));
  proc_stat st;
  if (!(rest >> st.state >> st.ppid >> st.pgrp)) return std::nullopt;
  return st;
}

bool is_group_of_descendant(int pid, int ancestor) {
  if (pid <= 1 || ancestor <= 1 || pid == ancestor) return false;
  auto st = read_proc_stat(pid);
  if (!st || st->pgrp != pid) return false;
  int current = st->ppid;
  for (int depth = 0; depth < 64 && current > 1; ++depth) {
    if (current == ancestor) return true;
    auto up = read_proc_stat(current);
    if (!up) return false;
    current = up->ppid;
  }
  return false;
}

std::vector<int> own_children() {
  std::vector<int> pids;
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return pids;
  while (dirent* e = ::readdir(tasks)) {
    if (e->d_name[0] == '.') continue;
    std::istringstream in(slurp(std::string("/proc/self/task/") + e->d_name + "/children"));
    int pid;
    while (in >> pid) pids.push_back(pid);
  }
  ::closedir(tasks);
  return pids;
}

std::optional<std::string> environment_value(int pid, const std::string& key) {
  auto env = slurp("/proc/" + std::to_string(pid) + "/environ");
  std::string prefix = key + "=";
  std::size_t start = 0;
  while (start < env.size()) {
    auto end = env.find('\0', start);
    if (end == std::string::npos) end = env.size();
    if (env.compare(start, prefix.size(), prefix) == 0)
      return env.substr(start + prefix.size(), end - start - prefix.size());
    start = end + 1;
  }
  return std::nullopt;
}

bool become_subreaper() { return ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0; }

void descendant_sweeper::ended(int pid) {
  direct_.erase(pid);
  if (!recent_.insert(pid).second) return;
  recent_order_.push_back(pid);
  if (recent_order_.size() > 1024) {
    recent_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
}

bool descendant_sweeper::sweep(const std::function<bool(int)>& foreign,
                               const std::function<bool(std::uint64_t)>& ended, bool wait) {
  for (int pid : own_children()) {
    if (direct_.count(pid) || foreign(pid) || escaped_.count(pid)) continue;
    auto st = read_proc_stat(pid);
    if (st && st->state == 'Z') {
      // A member of one of our runs' groups, re-parented to us and killed with its group.
      if (direct_.count(st->pgrp) || recent_.count(st->pgrp)) ::waitpid(pid, nullptr, WNOHANG);
      continue;
    }
    auto token = environment_value(pid, run_token_variable);
    if (!token || token->compare(0, prefix_.size(), prefix_) != 0) continue;
    escaped_.emplace(pid, std::stoull(token->substr(prefix_.size())));
  }
  for (auto it = escaped_.begin(); it != escaped_.end();) {
    int pid = it->first;
    bool end = ended(it->second);
    if (end) {
      auto st = read_proc_stat(pid);
      if (st && st->state != 'Z') {
        if (st->pgrp == pid) ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
      }
    }
    pid_t rc;
    do rc = ::waitpid(pid, nullptr, end && wait ? 0 : WNOHANG);
    while (rc < 0 && errno == EINTR);
    if (rc == pid || (rc < 0 && errno == ECHILD)) it = escaped_.erase(it);
    else ++it;
  }
  return !escaped_.empty();
}

bool descendant_sweeper::has_own_child() const {
  for (int pid : own_children()) {
    auto st = read_proc_stat(pid);
    if (st && (direct_.count(st->pgrp) || recent_.count(st->pgrp))) return true;
  }
  return false;
}

}  // namespace gremlins::process_detail

#pragma once
// Helpers shared by the warm-worker tests: a unique marker per test, the fault worker's
// command line, a scan of /proc for processes that carry the marker, the CLI run through
// a shell, and the results JSON it wrote.

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace warm_support {

/// A string no other process on the machine carries: put it in a worker's argv.
inline std::string unique_marker() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return "gwmark" + std::to_string(::getpid()) + "x" + std::to_string(++counter) + "x" +
         std::to_string(rd() % 1000000);
}

/// Reads a whole file ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Pids of live (not zombie) processes whose cmdline or environment contains `marker`.
inline std::vector<int> processes_with(const std::string& marker) {
  std::vector<int> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (auto* e = ::readdir(d)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0 || pid == ::getpid()) continue;
    auto base = std::string("/proc/") + e->d_name;
    auto stat = slurp(base + "/stat");
    auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) continue;
    if (stat[close_paren + 2] == 'Z') continue;  // a zombie runs nothing
    if (slurp(base + "/cmdline").find(marker) != std::string::npos ||
        slurp(base + "/environ").find(marker) != std::string::npos)
      out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

/// Processes carrying `marker` still alive after up to 3 s (a SIGKILL lands asynchronously).
inline std::vector<int> leftovers(const std::string& marker) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (;;) {
    auto pids = processes_with(marker);
    if (pids.empty() || std::chrono::steady_clock::now() > deadline) return pids;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

/// A fresh scratch folder, removed by its destructor.
struct scratch_dir {
  std::filesystem::path path;
  scratch_dir() {
    path = std::filesystem::temp_directory_path() / unique_marker();
    std::filesystem::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

/// The fault worker's command line (tests/programs/fault_worker.cpp) with `flags`.
inline std::string fault_worker(const std::string& marker, const std::string& flags = "") {
  return std::string(GREMLINS_TEST_PROGRAMS_DIR) + "/fault_worker --marker " + marker +
         (flags.empty() ? "" : " " + flags);
}

/// Single-quotes `s` for /bin/sh.
inline std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// What a CLI run printed and how it ended.
struct cli_result {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr
};

/// Runs `gremlin-actors run ARGS...` and waits for it; `wrapper` (for instance
/// "timeout -s INT 30") goes in front of the command.
inline cli_result run_cli(const std::vector<std::string>& args, const std::string& wrapper = "") {
  std::string cmd = (wrapper.empty() ? "" : wrapper + " ") + std::string(GREMLINS_CLI) + " run";
  for (const auto& a : args) cmd += " " + sh_quote(a);
  cmd += " 2>&1";
  cli_result r;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = ::pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

/// Gremlin ids "<prefix>00".."<prefix>NN": a 'z' prefix is zapped, 's' survives.
inline std::vector<std::string> ids(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    char num[16];
    std::snprintf(num, sizeof num, "%02d", i);
    out.push_back(prefix + num);
  }
  return out;
}

inline std::string join(const std::vector<std::string>& xs, const std::string& sep = ",") {
  std::string out;
  for (const auto& x : xs) out += (out.empty() ? "" : sep) + x;
  return out;
}

/// The results JSON at `path`, its results keyed by gremlin id (duplicates counted apart).
struct results_file {
  nlohmann::json doc;
  std::map<std::string, nlohmann::json> by_id;
  std::map<std::string, int> times_seen;
  explicit results_file(const std::string& path) {
    doc = nlohmann::json::parse(slurp(path), nullptr, false);
    if (!doc.is_object() || !doc.contains("results")) return;
    for (const auto& r : doc["results"]) {
      auto id = r.value("gremlin_id", std::string());
      by_id[id] = r;
      ++times_seen[id];
    }
  }
  std::string status(const std::string& id) const {
    auto it = by_id.find(id);
    return it == by_id.end() ? "<missing>" : it->second.value("status", std::string("<none>"));
  }
  std::string output(const std::string& id) const {
    auto it = by_id.find(id);
    return it == by_id.end() ? "" : it->second.value("error_output", std::string());
  }
  const nlohmann::json& pool() const { return doc["pool"]; }
};

/// The number after "worker_pid=" in a fault worker's output, or 0.
inline long worker_pid_in(const std::string& output) {
  auto at = output.find("worker_pid=");
  return at == std::string::npos ? 0 : std::atol(output.c_str() + at + 11);
}

/// The status the fault worker gives `id` when nothing goes wrong.
inline std::string expected_status(const std::string& id) {
  if (!id.empty() && id[0] == 'z') return "zapped";
  if (!id.empty() && id[0] == 'e') return "error";
  return "survived";
}

}  // namespace warm_support

// A worker-protocol worker (docs/protocol.md) for the runtime's tests, with faults switched on by argv flags.
//
// Verdicts: an id starting with 'z' is zapped (killing test tests/test_fake.py::test_<id>),
// 'e' is an error, anything else survives. Every result's output names the worker's pid
// ("worker_pid=N"), and the child's pid when a child was forked, so tests can see which
// process answered.
//
// Flags (all optional; ids are exact gremlin ids):
//   --marker S               ignored: a unique string tests look for in /proc/*/cmdline
//   --capabilities a,b       what `ready` offers (default fork,inprocess; "none": nothing)
//   --ready-delay-ms N       sleep before `ready` (a slow warm-up)
//   --never-ready            print to stderr, then sleep until killed instead of `ready`
//   --fail-warmup N          exit 3 before `ready` the first N times (needs --state-dir)
//   --warmup-error           send an `error` event instead of `ready`
//   --ready-protocol N       the protocol version `ready` claims (default 1)
//   --garbage-before-ready   write a line that is not JSON before `ready`
//   --result-before-ready    write a valid `result` line before `ready`
//   --state-dir D            where counters live (warm-up failures, one-shot deaths)
//   --pid-file F             append "<pid>\n" when ready
//   --gremlin-ms N           every gremlin takes N ms (in the child under fork)
//   --die-on ID              exit 1 when asked to run ID
//   --kill-on ID             SIGKILL itself when asked to run ID
//   --die-once-on ID         exit 1 on ID the first time only (needs --state-dir)
//   --garbage-on ID          answer ID with a line that is not JSON
//   --unknown-on ID          answer ID with an unknown event
//   --wrong-on ID            answer ID with a result for another gremlin
//   --hang-on ID             hang on ID: in the worker itself (inprocess), or in the forked
//                            child (fork executor, after `started`)
//   --flood-on ID            write --flood-mb MB (default 50) to stdout and stderr on ID
//   --ignore-shutdown        keep reading after `shutdown` (exit only at end of file)
//   --linger                 on `shutdown` or end of file, sleep until killed instead of exiting
//   --lie-started-on ID      announce `started` for --lie-pid (default: the runtime's own pid)
//                            instead of a forked child, then hang
//   --lie-pid N              the pid that --lie-started-on names
//   --long-line-on ID        answer ID with 2 MiB and no newline, then hang
//   --dup-result-on ID       send ID's result twice
//   --escape-on ID           the forked child starts `setsid sleep 1000` (a process that leaves
//                            its group) before it answers
//   --fds-file F             write the worker's open descriptors, one a line, to F at start
//
// The fork executor is real: a child per gremlin, in its own process group, announced with
// `started`; the child computes the verdict and sends it to the parent, which relays it.

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using nlohmann::json;

namespace {

struct options {
  std::vector<std::string> capabilities{"fork", "inprocess"};
  long ready_delay_ms = 0;
  bool never_ready = false;
  int fail_warmup = 0;
  bool warmup_error = false;
  int ready_protocol = 1;
  bool garbage_before_ready = false;
  bool result_before_ready = false;
  std::string state_dir;
  std::string pid_file;
  long gremlin_ms = 0;
  long flood_mb = 50;
  bool ignore_shutdown = false;
  bool linger = false;
  long lie_pid = 0;
  std::string fds_file;
  std::map<std::string, std::set<std::string>> faults;  ///< flag -> ids
};

int reply_fd = -1;

void write_all(int fd, const std::string& s) {
  const char* p = s.data();
  size_t n = s.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) std::_Exit(5);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void send(const json& j) { write_all(reply_fd, j.dump() + "\n"); }

void sleep_ms(long ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

options parse(int argc, char** argv) {
  options o;
  static const std::set<std::string> id_flags{"--die-on", "--kill-on", "--die-once-on", "--garbage-on",
                                              "--unknown-on", "--wrong-on", "--hang-on", "--flood-on",
                                              "--lie-started-on", "--long-line-on", "--dup-result-on",
                                              "--escape-on"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "fault_worker: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--marker") value();
    else if (a == "--capabilities") {
      auto v = value();
      o.capabilities = v == "none" ? std::vector<std::string>{} : split(v, ',');
    } else if (a == "--ready-delay-ms") o.ready_delay_ms = std::stol(value());
    else if (a == "--never-ready") o.never_ready = true;
    else if (a == "--fail-warmup") o.fail_warmup = std::stoi(value());
    else if (a == "--warmup-error") o.warmup_error = true;
    else if (a == "--ready-protocol") o.ready_protocol = std::stoi(value());
    else if (a == "--garbage-before-ready") o.garbage_before_ready = true;
    else if (a == "--result-before-ready") o.result_before_ready = true;
    else if (a == "--state-dir") o.state_dir = value();
    else if (a == "--pid-file") o.pid_file = value();
    else if (a == "--gremlin-ms") o.gremlin_ms = std::stol(value());
    else if (a == "--flood-mb") o.flood_mb = std::stol(value());
    else if (a == "--ignore-shutdown") o.ignore_shutdown = true;
    else if (a == "--linger") o.linger = true;
    else if (a == "--lie-pid") o.lie_pid = std::stol(value());
    else if (a == "--fds-file") o.fds_file = value();
    else if (id_flags.count(a)) o.faults[a].insert(value());
    else {
      std::fprintf(stderr, "fault_worker: unknown flag %s\n", a.c_str());
      std::exit(2);
    }
  }
  return o;
}

bool has(const options& o, const char* flag, const std::string& id) {
  auto it = o.faults.find(flag);
  return it != o.faults.end() && it->second.count(id) > 0;
}

// Counts one more event `name` (one line appended to state_dir/name, atomically with
// O_APPEND, so that workers running at once do not lose counts) and returns how many
// there were before it.
int bump(const options& o, const std::string& name) {
  if (o.state_dir.empty()) {
    std::fprintf(stderr, "fault_worker: this fault needs --state-dir\n");
    std::exit(2);
  }
  auto path = o.state_dir + "/" + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) std::exit(2);
  write_all(fd, "x\n");
  struct stat st {};
  ::fstat(fd, &st);
  ::close(fd);
  return static_cast<int>(st.st_size / 2) - 1;
}

void warm_up(const options& o) {
  std::fprintf(stdout, "fault_worker %d warming up\n", static_cast<int>(::getpid()));
  std::fflush(stdout);
  if (o.fail_warmup > 0) {
    int before = bump(o, "warmup_failures");
    if (before < o.fail_warmup) {
      std::fprintf(stderr, "fault_worker: warm-up failure number %d\n", before + 1);
      std::exit(3);
    }
  }
  if (o.ready_delay_ms > 0) sleep_ms(o.ready_delay_ms);
  if (o.never_ready) {
    std::fprintf(stderr, "fault_worker: stuck in warm-up, never ready\n");
    for (;;) ::pause();
  }
  if (o.warmup_error) {
    send({{"event", "error"}, {"message", "fault_worker: collection failed on purpose"}});
    for (;;) ::pause();
  }
  if (o.garbage_before_ready) write_all(reply_fd, "warming up, not json\n");
  if (o.result_before_ready)
    send({{"event", "result"}, {"gremlin", "early"}, {"status", "survived"}, {"killing_test", nullptr}, {"ms", 0}});
  if (!o.pid_file.empty()) std::ofstream(o.pid_file, std::ios::app) << ::getpid() << "\n";
  send({{"event", "ready"}, {"protocol", o.ready_protocol}, {"pid", ::getpid()}, {"capabilities", o.capabilities}});
}

void flood(long mb) {
  std::string chunk(1 << 20, 'x');
  chunk.back() = '\n';
  for (long i = 0; i < mb; ++i) {
    write_all(STDOUT_FILENO, chunk);
    write_all(STDERR_FILENO, chunk);
  }
}

// What testing `id` yields: the part a forked child computes.
json verdict(const options& o, const std::string& id) {
  if (o.gremlin_ms > 0) sleep_ms(o.gremlin_ms);
  json r = {{"event", "result"}, {"gremlin", id}, {"ms", static_cast<double>(o.gremlin_ms)}};
  if (!id.empty() && id[0] == 'z') {
    r["status"] = "zapped";
    r["killing_test"] = "tests/test_fake.py::test_" + id;
  } else if (!id.empty() && id[0] == 'e') {
    r["status"] = "error";
    r["killing_test"] = nullptr;
  } else {
    r["status"] = "survived";
    r["killing_test"] = nullptr;
  }
  return r;
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// The fork executor: the child leads its own group and hands its verdict back on a pipe.
json run_forked(const options& o, const std::string& id) {
  int p[2];
  if (::pipe(p) != 0) std::_Exit(6);
  pid_t child = ::fork();
  if (child < 0) std::_Exit(6);
  if (child == 0) {
    ::setpgid(0, 0);
    ::close(p[0]);
    if (has(o, "--hang-on", id))
      for (;;) ::pause();
    if (has(o, "--escape-on", id) && ::fork() == 0) {
      ::setsid();
      int null_fd = ::open("/dev/null", O_RDWR);
      for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
      for (int fd = 3; fd < 1024; ++fd) ::close(fd);
      ::execlp("sleep", "sleep", "1000", static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    write_all(p[1], verdict(o, id).dump());
    std::_Exit(0);
  }
  ::setpgid(child, child);  // also here: `started` must not race the child's own setpgid
  ::close(p[1]);
  send({{"event", "started"}, {"gremlin", id}, {"pid", child}});
  auto text = read_all(p[0]);
  ::close(p[0]);
  int wstatus = 0;
  while (::waitpid(child, &wstatus, 0) < 0 && errno == EINTR) {}
  json r = json::parse(text, nullptr, false);
  if (r.is_discarded()) {
    r = {{"event", "result"}, {"gremlin", id}, {"status", "error"}, {"killing_test", nullptr}, {"ms", 0}};
    r["output"] = WIFSIGNALED(wstatus) ? "child killed by signal " + std::to_string(WTERMSIG(wstatus))
                                       : std::string("child ended without a verdict");
  }
  r["output"] = r.value("output", std::string()) + "worker_pid=" + std::to_string(::getpid()) +
                " child_pid=" + std::to_string(child);
  return r;
}

void run_one(const options& o, const json& req) {
  std::string id = req.at("gremlin").get<std::string>();
  if (has(o, "--die-on", id)) std::exit(1);
  if (has(o, "--kill-on", id)) ::raise(SIGKILL);
  if (has(o, "--die-once-on", id) && bump(o, "died_on_" + id) == 0) std::exit(1);
  if (has(o, "--flood-on", id)) flood(o.flood_mb);
  if (has(o, "--garbage-on", id)) return write_all(reply_fd, "this is not json {" + id + "\n");
  if (has(o, "--unknown-on", id)) return send({{"event", "bogus"}, {"gremlin", id}});
  if (has(o, "--lie-started-on", id)) {
    send({{"event", "started"}, {"gremlin", id}, {"pid", o.lie_pid > 0 ? o.lie_pid : static_cast<long>(::getppid())}});
    for (;;) ::pause();
  }
  if (has(o, "--long-line-on", id)) {
    write_all(reply_fd, std::string(2 << 20, 'x'));
    for (;;) ::pause();
  }
  if (has(o, "--dup-result-on", id)) {
    auto r = verdict(o, id);
    r["output"] = "worker_pid=" + std::to_string(::getpid());
    send(r);
    return send(r);
  }
  if (has(o, "--wrong-on", id)) {
    auto r = verdict(o, "not-" + id);
    return send(r);
  }
  if (req.value("executor", std::string()) == "fork") return send(run_forked(o, id));
  if (has(o, "--hang-on", id))
    for (;;) ::pause();
  auto r = verdict(o, id);
  r["output"] = "worker_pid=" + std::to_string(::getpid());
  send(r);
}

}  // namespace

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  const char* in_env = std::getenv("GREMLIN_REQUEST_FD");
  const char* out_env = std::getenv("GREMLIN_REPLY_FD");
  if (in_env == nullptr || out_env == nullptr) {
    std::fprintf(stderr, "fault_worker: GREMLIN_REQUEST_FD / GREMLIN_REPLY_FD not set\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  int in = std::atoi(in_env);
  reply_fd = std::atoi(out_env);
  if (!o.fds_file.empty()) {
    std::string fds;
    for (int fd = 0; fd < 1024; ++fd)
      if (::fcntl(fd, F_GETFD) >= 0) fds += std::to_string(fd) + "\n";
    std::ofstream(o.fds_file) << fds;
  }
  warm_up(o);
  std::string pending;
  char buf[65536];
  for (;;) {
    auto nl = pending.find('\n');
    if (nl == std::string::npos) {
      ssize_t n = ::read(in, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(buf, static_cast<size_t>(n));
      continue;
    }
    auto line = pending.substr(0, nl);
    pending.erase(0, nl + 1);
    json req = json::parse(line, nullptr, false);
    if (req.is_discarded() || !req.is_object()) {
      std::fprintf(stderr, "fault_worker: bad request line: %s\n", line.c_str());
      return 4;
    }
    auto op = req.value("op", std::string());
    if (op == "shutdown") {
      if (o.ignore_shutdown) continue;
      break;
    }
    if (op == "run") run_one(o, req);
  }
  while (o.linger) ::pause();
  return 0;
}

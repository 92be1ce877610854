// Worker nodes (docs/nodes.md) on one machine over 127.0.0.1, with real processes: nodes are
// `gremlin-actors node` processes, the coordinator is `gremlin-actors run --nodes`. Every test
// tags its processes with a marker (in the node's environment, which its workers and their
// test runs inherit, and in the commands) and checks that none is left afterwards.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "cli_helpers.hpp"
#include "runtime/formats/results_json.hpp"
#include "runtime/remote/basp_gate.hpp"
#include "runtime/remote/identity.hpp"
#include "runtime/remote/remoting.hpp"

using namespace gremlins::testing;
using nlohmann::json;

namespace {

const std::string fault_worker = std::string(GREMLINS_TEST_PROGRAMS_DIR) + "/fault_worker";
constexpr auto node_start_limit = std::chrono::seconds(30);

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string join(const std::vector<std::string>& xs, const std::string& sep) {
  std::string out;
  for (const auto& x : xs) out += (out.empty() ? "" : sep) + x;
  return out;
}

// Ids cycling z, s, e: zapped, survived, error (both the fault worker and verdict_command).
std::vector<std::string> mixed(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%c%03d", "zse"[i % 3], i);
    out.push_back(buf);
  }
  return out;
}

// A cold test command with the fault worker's verdicts: z* fails (zapped), e* exits 3 (error).
std::string verdict_script(const std::string& marker, const std::string& before = "") {
  return before + "case \"$ACTIVE_GREMLIN\" in z*) exit 1;; e*) exit 3;; esac; exit 0 # " + marker;
}

/// A `gremlin-actors node` on 127.0.0.1 with a port of its own choosing.
class node_process {
public:
  node_process(std::vector<std::string> args, const std::string& marker,
               std::vector<std::pair<std::string, std::string>> env = {}) {
    auto ready = dir_ / "ready";
    std::vector<std::string> full = {"node", "--listen", "127.0.0.1:0", "--ready-file", ready};
    bool has_listen = std::find(args.begin(), args.end(), "--listen") != args.end();
    if (has_listen) full = {"node", "--ready-file", ready};
    full.insert(full.end(), args.begin(), args.end());
    env.emplace_back("GREMLIN_TEST_MARKER", marker);
    cli_options opts;
    opts.env = env;
    proc_ = std::make_unique<cli_process>(full, opts);
    if (wait_for_file(ready, node_start_limit)) address_ = trimmed(read_text(ready));
  }
  const std::string& address() const { return address_; }
  std::uint16_t port() const { return static_cast<std::uint16_t>(std::stoi(address_.substr(address_.rfind(':') + 1))); }
  int pid() const { return proc_->pid(); }
  /// Ends it as an operator would (SIGTERM) and returns how it ended.
  cli_run stop() {
    proc_->signal(SIGTERM);
    return proc_->wait(std::chrono::seconds(20));
  }
  void kill() { proc_->signal(SIGKILL); }
  void signal(int sig) { proc_->signal(sig); }
  cli_run wait() { return proc_->wait(std::chrono::seconds(20)); }

private:
  scratch_dir dir_;
  std::unique_ptr<cli_process> proc_;
  std::string address_;
};

json read_json(const std::string& path) {
  auto text = read_text(path);
  if (text.empty()) return json();
  return json::parse(text, nullptr, false);
}

std::map<std::string, std::string> statuses(const json& doc) {
  std::map<std::string, std::string> out;
  if (!doc.is_object()) return out;
  for (const auto& r : doc["results"]) out[r["gremlin_id"].get<std::string>()] = r["status"].get<std::string>();
  return out;
}

// Every id in `ids` has exactly one result, and no other id has one.
void check_one_result_each(const json& doc, const std::vector<std::string>& ids) {
  REQUIRE(doc.is_object());
  std::map<std::string, int> seen;
  for (const auto& r : doc["results"]) ++seen[r["gremlin_id"].get<std::string>()];
  CHECK(seen.size() == ids.size());
  for (const auto& id : ids) {
    INFO("gremlin " << id);
    CHECK(seen[id] == 1);
  }
}

std::map<std::string, json> nodes_of(const json& doc) {
  std::map<std::string, json> out;
  if (doc.is_object() && doc["pool"].contains("nodes"))
    for (const auto& n : doc["pool"]["nodes"]) out[n["address"].get<std::string>()] = n;
  return out;
}

void check_nothing_left(const std::string& marker) {
  auto left = left_behind(marker, std::chrono::seconds(10));
  INFO("processes left: " << left.size());
  CHECK(left.empty());
  kill_all(left);
}

// Opens a TCP connection to 127.0.0.1:port; -1 when it cannot.
int tcp_connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TEST_CASE("nodes: a coordinator with two nodes gives the same verdicts as a local run", "[nodes]") {
  auto marker = unique_marker("same");
  scratch_dir dir;
  auto ids = mixed(30);
  auto gremlins = join(ids, ",");
  SECTION("cold: a fresh process per gremlin") {
    auto script = verdict_script(marker);
    node_process a({"--workers", "1", "--", "sh", "-c", script}, marker);
    node_process b({"--workers", "1", "--", "sh", "-c", script}, marker);
    REQUIRE(!a.address().empty());
    REQUIRE(!b.address().empty());
    auto local = run_cli({"run", "-q", "--gremlins", gremlins, "--workers", "2", "--json", dir / "local.json", "--",
                          "sh", "-c", script});
    auto remote = run_cli({"run", "-q", "--gremlins", gremlins, "--workers", "0", "--nodes",
                           a.address() + "," + b.address(), "--json", dir / "remote.json", "--", "sh", "-c", script});
    INFO(local.err << remote.err);
    CHECK(local.exit_code == 0);
    CHECK(remote.exit_code == 0);
    auto l = read_json(dir / "local.json");
    auto r = read_json(dir / "remote.json");
    check_one_result_each(r, ids);
    CHECK(statuses(l) == statuses(r));
    CHECK(statuses(r)["z000"] == "zapped");
    CHECK(statuses(r)["s001"] == "survived");
    CHECK(statuses(r)["e002"] == "error");
    // Who ran what: both nodes, one slot each, every gremlin.
    auto nodes = nodes_of(r);
    REQUIRE(nodes.size() == 2);
    CHECK(nodes[a.address()]["workers"] == 1);
    CHECK(nodes[b.address()]["workers"] == 1);
    CHECK(nodes[a.address()]["gremlins"].get<int>() + nodes[b.address()]["gremlins"].get<int>() == 30);
    CHECK(nodes[a.address()]["gremlins"].get<int>() > 0);
    CHECK(nodes[b.address()]["gremlins"].get<int>() > 0);
    CHECK(r["pool"]["workers"] == 2);
    CHECK_FALSE(l["pool"].contains("nodes"));  // a local run says nothing of nodes
    CHECK(a.stop().exit_code == 0);
    CHECK(b.stop().exit_code == 0);
  }
  SECTION("warm, batches, local and remote slots together") {
    auto worker = fault_worker + " --marker " + marker;
    node_process a({"--workers", "2", "--worker-command", worker}, marker);
    node_process b({"--workers", "1", "--worker-command", worker}, marker);
    REQUIRE(!a.address().empty());
    REQUIRE(!b.address().empty());
    auto local = run_cli({"run", "-q", "--gremlins", gremlins, "--workers", "2", "--batch", "--batch-size", "4",
                          "--worker-command", worker, "--json", dir / "local.json"});
    auto remote = run_cli({"run", "-q", "--gremlins", gremlins, "--workers", "1", "--batch", "--batch-size", "4",
                           "--nodes", a.address() + "," + b.address(), "--worker-command", worker, "--json",
                           dir / "remote.json"});
    INFO(local.err << remote.err);
    CHECK(local.exit_code == 0);
    CHECK(remote.exit_code == 0);
    auto l = read_json(dir / "local.json");
    auto r = read_json(dir / "remote.json");
    check_one_result_each(r, ids);
    CHECK(statuses(l) == statuses(r));
    auto nodes = nodes_of(r);
    REQUIRE(nodes.size() == 3);
    CHECK(nodes["local"]["workers"] == 1);
    CHECK(nodes[a.address()]["workers"] == 2);
    CHECK(nodes[b.address()]["workers"] == 1);
    int sum = 0;
    for (auto& [addr, n] : nodes) sum += n["gremlins"].get<int>();
    CHECK(sum == 30);
    CHECK(r["pool"]["workers"] == 4);
    CHECK(r["pool"]["warmup_completed"] == 4);
    // The killing test and the worker's pid come back from the node like from a local worker.
    for (const auto& res : r["results"])
      if (res["status"] == "zapped")
        CHECK(res["killing_test"].get<std::string>().rfind("tests/test_fake.py::test_z", 0) == 0);
    CHECK(a.stop().exit_code == 0);
    CHECK(b.stop().exit_code == 0);
  }
  check_nothing_left(marker);
}

TEST_CASE("nodes: SIGKILL of a node mid-run: every gremlin still gets exactly one verdict", "[nodes]") {
  auto marker = unique_marker("kill");
  scratch_dir dir;
  auto log = dir / "started.log";
  // Each run appends "<gremlin> <node>" before it takes its 300 ms: the node's name comes from
  // the node process's own environment (inherited), not from the command, which must be equal.
  auto script = verdict_script(marker, "echo \"$ACTIVE_GREMLIN $NODE_NAME\" >> " + log + "; sleep 0.3; ");
  auto ids = mixed(24);
  node_process a({"--workers", "2", "--", "sh", "-c", script}, marker, {{"NODE_NAME", "A"}});
  node_process b({"--workers", "2", "--", "sh", "-c", script}, marker, {{"NODE_NAME", "B"}});
  REQUIRE(!a.address().empty());
  REQUIRE(!b.address().empty());

  SECTION("the other node takes over; what the dead one had in flight runs again, unblamed") {
    cli_process coordinator({"run", "-q", "--gremlins", join(ids, ","), "--workers", "0", "--nodes",
                             a.address() + "," + b.address(), "--json", dir / "r.json", "--", "sh", "-c", script},
                            cli_options{{}, {{"GREMLIN_TEST_MARKER", marker}}});
    // Mid-run: once both nodes have started gremlins.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      auto text = read_text(log);
      if (text.find(" A\n") != std::string::npos && std::count(text.begin(), text.end(), '\n') >= 6) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    a.kill();
    auto run = coordinator.wait(std::chrono::seconds(120));
    INFO(run.err);
    CHECK(run.exit_code == 0);
    auto r = read_json(dir / "r.json");
    check_one_result_each(r, ids);
    for (const auto& [id, st] : statuses(r)) {
      INFO(id);
      CHECK(st == (id[0] == 'z' ? "zapped" : id[0] == 'e' ? "error" : "survived"));
    }
    // No gremlin was blamed for the loss: the only errors are the e* verdicts (exit 3).
    for (const auto& res : r["results"])
      if (res["status"] == "error") CHECK(res["error_output"].get<std::string>().find("lost") == std::string::npos);
    auto nodes = nodes_of(r);
    REQUIRE(nodes.size() == 2);
    int by_a = nodes[a.address()]["gremlins"];
    int by_b = nodes[b.address()]["gremlins"];
    CHECK(by_a + by_b == 24);
    CHECK(by_a < 24);
    // A had gremlins in flight when it died: they started on A and were answered by B.
    auto text = read_text(log);
    int started_on_a = 0;
    for (std::size_t at = text.find(" A\n"); at != std::string::npos; at = text.find(" A\n", at + 1)) ++started_on_a;
    CHECK(started_on_a > by_a);
    CHECK(b.stop().exit_code == 0);
  }
  SECTION("the only node dies: the rest is error, with the reason") {
    cli_process coordinator({"run", "-q", "--gremlins", join(ids, ","), "--workers", "0", "--nodes", a.address(),
                             "--json", dir / "r.json", "--", "sh", "-c", script},
                            cli_options{{}, {{"GREMLIN_TEST_MARKER", marker}}});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      auto text = read_text(log);
      if (std::count(text.begin(), text.end(), '\n') >= 3) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    a.kill();
    auto run = coordinator.wait(std::chrono::seconds(120));
    INFO(run.err);
    CHECK(run.exit_code == 0);
    auto r = read_json(dir / "r.json");
    check_one_result_each(r, ids);
    int lost = 0;
    for (const auto& res : r["results"])
      if (res["error_output"].get<std::string>().find("no worker left: node " + a.address() + " lost") !=
          std::string::npos)
        ++lost;
    CHECK(lost > 0);
    CHECK(b.stop().exit_code == 0);
  }
  check_nothing_left(marker);
}

TEST_CASE("nodes: a node that stops answering is dropped after the connection timeout, its gremlins run elsewhere",
          "[nodes]") {
  auto marker = unique_marker("stop");
  scratch_dir dir;
  auto log = dir / "started.log";
  auto script = verdict_script(marker, "echo \"$ACTIVE_GREMLIN $NODE_NAME\" >> " + log + "; sleep 0.3; ");
  auto ids = mixed(8);
  node_process a({"--workers", "1", "--", "sh", "-c", script}, marker, {{"NODE_NAME", "A"}});
  node_process b({"--workers", "1", "--", "sh", "-c", script}, marker, {{"NODE_NAME", "B"}});
  REQUIRE(!a.address().empty());
  REQUIRE(!b.address().empty());
  cli_process coordinator({"run", "-q", "--gremlins", join(ids, ","), "--workers", "0", "--nodes",
                           a.address() + "," + b.address(), "--json", dir / "r.json", "--", "sh", "-c", script},
                          cli_options{{}, {{"GREMLIN_TEST_MARKER", marker}}});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && read_text(log).find(" A\n") == std::string::npos)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // A machine that vanishes without closing its connection: the node stops, its TCP stays up.
  a.signal(SIGSTOP);
  auto started = std::chrono::steady_clock::now();
  auto run = coordinator.wait(std::chrono::seconds(120));
  auto waited = std::chrono::steady_clock::now() - started;
  a.signal(SIGCONT);
  INFO(run.err);
  CHECK(run.exit_code == 0);
  auto r = read_json(dir / "r.json");
  check_one_result_each(r, ids);
  for (const auto& [id, st] : statuses(r)) CHECK(st == (id[0] == 'z' ? "zapped" : id[0] == 'e' ? "error" : "survived"));
  CHECK(r["pool"]["restarts"] == 0);  // dropped as lost, not blamed for a silence
  CHECK(nodes_of(r)[b.address()]["gremlins"].get<int>() >= 7);
  CHECK(waited < std::chrono::seconds(60));
  a.stop();
  CHECK(b.stop().exit_code == 0);
  check_nothing_left(marker);
}

TEST_CASE("nodes: a node that tests something else is refused, with both digests (exit 2)", "[nodes]") {
  auto marker = unique_marker("refuse");
  scratch_dir here, there;
  std::filesystem::create_directories(here / "src");
  std::filesystem::create_directories(there / "src");
  std::ofstream(here / "src/calc.py") << "def add(a, b):\n    return a + b\n";
  auto manifest = here.write("gremlins.json", R"({"gremlins": [
    {"id": "z1", "file": "src/calc.py", "line": 2, "operator": "arith", "original": "+", "replacement": "-"},
    {"id": "s2", "file": "src/calc.py", "line": 2, "operator": "arith", "original": "+", "replacement": "*"}]})");
  auto script = verdict_script(marker);
  auto run_against = [&](const node_process& n) {
    return run_cli({"run", "-q", "--manifest", manifest, "--rootdir", here.path(), "--nodes", n.address(),
                    "--workers", "0", "--json", here / "r.json", "--", "sh", "-c", script});
  };
  SECTION("another command") {
    node_process n({"--workers", "1", "--rootdir", there.path(), "--", "sh", "-c", script + " changed"}, marker);
    REQUIRE(!n.address().empty());
    auto r = run_against(n);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("node " + n.address() + " tests something else, refused"));
    CHECK_THAT(r.err, Catch::Matches("(.|\n)*command: node [0-9a-f]{16}, here [0-9a-f]{16}(.|\n)*"));
    CHECK_FALSE(exists(here / "r.json"));
    CHECK(n.stop().exit_code == 0);
  }
  SECTION("another checkout: a source file the gremlins name differs") {
    std::ofstream(there / "src/calc.py") << "def add(a, b):\n    return a - b\n";
    node_process n({"--workers", "1", "--rootdir", there.path(), "--", "sh", "-c", script}, marker);
    REQUIRE(!n.address().empty());
    auto r = run_against(n);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Matches("(.|\n)*sources: node [0-9a-f]{16}, here [0-9a-f]{16}(.|\n)*"));
    CHECK(n.stop().exit_code == 0);
  }
  SECTION("another gremlin list") {
    std::ofstream(there / "src/calc.py") << "def add(a, b):\n    return a + b\n";
    auto other = there.write("gremlins.json", R"({"gremlins": [{"id": "z1", "file": "src/calc.py"}]})");
    node_process n({"--workers", "1", "--rootdir", there.path(), "--manifest", other, "--", "sh", "-c", script}, marker);
    REQUIRE(!n.address().empty());
    auto r = run_against(n);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Matches("(.|\n)*gremlin list: node [0-9a-f]{16}, here [0-9a-f]{16}(.|\n)*"));
    CHECK(n.stop().exit_code == 0);
  }
  SECTION("the same sources in another folder: accepted") {
    std::ofstream(there / "src/calc.py") << "def add(a, b):\n    return a + b\n";
    auto same = there.write("gremlins.json", read_text(manifest));
    node_process n({"--workers", "1", "--rootdir", there.path(), "--manifest", same, "--", "sh", "-c", script}, marker);
    REQUIRE(!n.address().empty());
    auto r = run_against(n);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(statuses(read_json(here / "r.json")) == std::map<std::string, std::string>{{"s2", "survived"}, {"z1", "zapped"}});
    CHECK(n.stop().exit_code == 0);
  }
  check_nothing_left(marker);
}

TEST_CASE("nodes: garbage on a node's port leaves it serving", "[nodes]") {
  auto marker = unique_marker("garbage");
  scratch_dir dir;
  auto script = verdict_script(marker);
  node_process n({"--workers", "1", "--", "sh", "-c", script}, marker);
  REQUIRE(!n.address().empty());
  std::mt19937 rng(20240611);
  // Random bytes, a plain TCP client that says nothing, a line of text, and a BASP header that
  // claims a 4 GiB payload (CAF alone would allocate it).
  for (int i = 0; i < 20; ++i) {
    int fd = tcp_connect(n.port());
    REQUIRE(fd >= 0);
    std::string bytes(1 + rng() % 4096, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) {}
    ::close(fd);
  }
  {
    int fd = tcp_connect(n.port());
    REQUIRE(fd >= 0);
    ::close(fd);
  }
  {
    int fd = tcp_connect(n.port());
    std::string text = "GET / HTTP/1.0\r\n\r\n";
    if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) < 0) {}
    ::close(fd);
  }
  for (unsigned char op : {0, 1, 2}) {
    int fd = tcp_connect(n.port());
    unsigned char header[32] = {op, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (::send(fd, header, sizeof header, MSG_NOSIGNAL) < 0) {}
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::close(fd);
  }
  // Still serving: a coordinator runs through it, and its memory stayed small.
  auto r = run_cli({"run", "-q", "--gremlins", "z1,s2", "--workers", "0", "--nodes", n.address(), "--json",
                    dir / "r.json", "--", "sh", "-c", script});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(statuses(read_json(dir / "r.json")) == std::map<std::string, std::string>{{"s2", "survived"}, {"z1", "zapped"}});
  auto status = read_text("/proc/" + std::to_string(n.pid()) + "/status");
  auto rss = status.find("VmRSS:");
  REQUIRE(rss != std::string::npos);
  CHECK(std::stol(status.substr(rss + 6)) < 300 * 1024);  // kB
  auto end = n.stop();
  CHECK(end.exit_code == 0);
  CHECK_THAT(end.err, Catch::Contains("refused 127.0.0.1:"));
  CHECK_THAT(end.err, Catch::Contains("not a gremlin-actors coordinator"));
  check_nothing_left(marker);
}

TEST_CASE("nodes: without TLS a node listens on loopback only, unless told, and says so", "[nodes]") {
  auto marker = unique_marker("listen");
  auto script = verdict_script(marker);
  SECTION("refused beyond loopback") {
    auto r = run_cli({"node", "--listen", "0.0.0.0:0", "--workers", "1", "--", "sh", "-c", script});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("without TLS a node listens on loopback only"));
    CHECK_THAT(r.err, Catch::Contains("--insecure-listen"));
  }
  SECTION("--insecure-listen: it listens, and warns") {
    node_process n({"--listen", "0.0.0.0:0", "--insecure-listen", "--workers", "1", "--", "sh", "-c", script}, marker);
    REQUIRE(!n.address().empty());
    auto end = n.stop();
    CHECK(end.exit_code == 0);
    CHECK_THAT(end.err, Catch::Contains("WARNING: listening on 0.0.0.0:"));
    CHECK_THAT(end.err, Catch::Contains("without TLS"));
  }
  SECTION("loopback: it says it is plain and local") {
    node_process n({"--workers", "1", "--", "sh", "-c", script}, marker);
    REQUIRE(!n.address().empty());
    auto end = n.stop();
    CHECK_THAT(end.err, Catch::Contains("without TLS, on loopback only"));
  }
  check_nothing_left(marker);
}

TEST_CASE("nodes: bad node addresses and unreachable nodes are refused before anything runs", "[nodes]") {
  scratch_dir dir;
  auto ran = dir / "ran";
  auto cmd = std::vector<std::string>{"--", "sh", "-c", "touch " + ran};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "-q", "--gremlins", "a"});
    args.insert(args.end(), cmd.begin(), cmd.end());
    return args;
  };
  SECTION("not HOST:PORT") {
    auto r = run_cli(with({"--nodes", "localhost"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--nodes: 'localhost' is not HOST:PORT"));
  }
  SECTION("nobody listens there") {
    // A port that was free a moment ago.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    auto port = std::to_string(ntohs(sa.sin_port));
    ::close(fd);
    auto r = run_cli(with({"--nodes", "127.0.0.1:" + port}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("node 127.0.0.1:" + port + ": cannot connect"));
  }
  SECTION("--workers 0 without --nodes") {
    auto r = run_cli(with({"--workers", "0"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--workers 0 runs no worker here: it needs --nodes"));
  }
  SECTION("TLS files without --nodes") {
    auto r = run_cli(with({"--tls-ca", dir / "ca.pem"}));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("give --nodes too"));
  }
  CHECK_FALSE(exists(ran));
}

TEST_CASE("nodes: pool.nodes in the results JSON reads back as written", "[nodes]") {
  gremlins::run_report report;
  report.results.push_back(gremlins::worker_result{"g1", gremlins::status::zapped, "t", 1, ""});
  report.pool.workers = 3;
  report.pool.nodes = {{"local", 1, 0}, {"10.0.0.2:7070", 2, 1}};
  auto doc = gremlins::to_results_json(report);
  CHECK(doc["pool"]["nodes"] == json::parse(R"([{"address": "local", "workers": 1, "gremlins": 0},
                                                {"address": "10.0.0.2:7070", "workers": 2, "gremlins": 1}])"));
  auto back = gremlins::results_from_json(doc, "r.json");
  REQUIRE(back.pool.nodes.size() == 2);
  CHECK(back.pool.nodes[1].address == "10.0.0.2:7070");
  CHECK(back.pool.nodes[1].workers == 2);
  CHECK(back.pool.nodes[1].gremlins == 1);
  CHECK(gremlins::to_results_json(back)["pool"] == doc["pool"]);
  report.pool.nodes.clear();  // a local run writes no "nodes"
  CHECK_FALSE(gremlins::to_results_json(report)["pool"].contains("nodes"));
  auto bad = doc;
  bad["pool"]["nodes"] = 3;
  CHECK_THROWS_WITH(gremlins::results_from_json(bad, "r.json"), Catch::Contains("pool.nodes' must be an array"));
}

TEST_CASE("nodes: the gate's header check", "[nodes]") {
  using gremlins::basp_gate;
  auto header = [](unsigned char op, std::uint32_t payload, std::uint64_t op_data, std::uint64_t src,
                   std::uint64_t dst) {
    std::vector<unsigned char> h(32, 0);
    h[0] = op;
    for (int i = 0; i < 4; ++i) h[4 + i] = static_cast<unsigned char>(payload >> (24 - 8 * i));
    for (int i = 0; i < 8; ++i) {
      h[8 + i] = static_cast<unsigned char>(op_data >> (56 - 8 * i));
      h[16 + i] = static_cast<unsigned char>(src >> (56 - 8 * i));
      h[24 + i] = static_cast<unsigned char>(dst >> (56 - 8 * i));
    }
    return h;
  };
  const std::size_t max = 64u << 20;
  CHECK(basp_gate::refusal(header(1, 100, 0, 0, 0).data(), true, max).empty());        // client handshake
  CHECK_FALSE(basp_gate::refusal(header(0, 100, 1, 0, 0).data(), true, max).empty());  // not first
  CHECK_FALSE(basp_gate::refusal(header(1, 0xfffffff0u, 0, 0, 0).data(), true, max).empty());
  CHECK(basp_gate::refusal(header(2, 500, 0, 7, 9).data(), false, max).empty());       // direct message
  CHECK_FALSE(basp_gate::refusal(header(2, 0xfffffff0u, 0, 7, 9).data(), false, max).empty());
  CHECK_FALSE(basp_gate::refusal(header(2, 500, 0, 7, 0).data(), false, max).empty()); // no receiver
  CHECK(basp_gate::refusal(header(6, 0, 0, 0, 0).data(), false, max).empty());         // heartbeat
  CHECK_FALSE(basp_gate::refusal(header(6, 1, 0, 0, 0).data(), false, max).empty());
  CHECK_FALSE(basp_gate::refusal(header(7, 1, 0, 0, 0).data(), false, max).empty());   // no such operation
}

TEST_CASE("nodes: digests ignore where the checkout is, not what it holds", "[nodes]") {
  gremlins::command_spec a, b;
  a.rootdir = "/home/a/src";
  b.rootdir = "/srv/ci/checkout";
  a.argv = {"sh", "-c", "/home/a/src/run-tests.sh"};
  b.argv = {"sh", "-c", "/srv/ci/checkout/run-tests.sh"};
  CHECK(gremlins::command_digest(a) == gremlins::command_digest(b));
  CHECK_THAT(gremlins::command_text(a), Catch::Contains("<rootdir>/run-tests.sh"));
  b.env = {{"MODE", "x"}};
  CHECK(gremlins::command_digest(a) != gremlins::command_digest(b));
  std::vector<gremlins::gremlin> gs(2);
  gs[0].id = "g1";
  gs[0].file = "src/a.py";
  gs[1].id = "g2";
  gs[1].file = "/home/a/src/src/b.py";  // absolute, inside the rootdir
  CHECK(gremlins::source_files(gs, a.rootdir) == std::vector<std::string>{"src/a.py", "src/b.py"});
  gs[1].file = "../outside.py";
  CHECK(gremlins::source_files(gs, a.rootdir) == std::vector<std::string>{"src/a.py"});
  auto d1 = gremlins::gremlin_list_digest(gs);
  gs[0].timeout_ms = 12345;  // what a run adds is not what the list says
  CHECK(gremlins::gremlin_list_digest(gs) == d1);
  gs[0].line = 3;
  CHECK(gremlins::gremlin_list_digest(gs) != d1);
  CHECK(gremlins::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Sources: an instrumented copy that names the folder it lives in is the same copy elsewhere.
  scratch_dir one, two;
  for (const auto* d : {&one, &two}) {
    std::filesystem::create_directories(*d / "inst");
    std::ofstream(*d / "inst/_switch.py") << "ROOT = '" << d->path() << "/calc'\n";
    std::ofstream(*d / "a.py") << "x = 1\n";
  }
  gremlins::command_spec c1, c2;
  c1.rootdir = one.path();
  c1.instrumented_dir = one / "inst";
  c2.rootdir = two.path();
  c2.instrumented_dir = two / "inst";
  CHECK(gremlins::sources_digest(c1, {"a.py"}) == gremlins::sources_digest(c2, {"a.py"}));
  std::ofstream(two / "a.py") << "x = 2\n";
  CHECK(gremlins::sources_digest(c1, {"a.py"}) != gremlins::sources_digest(c2, {"a.py"}));
  CHECK(gremlins::sources_digest(c1, {"missing.py"}) != gremlins::sources_digest(c1, {"a.py"}));
  CHECK(gremlins::sources_digest(c1, {"../a.py"}) != gremlins::sources_digest(c1, {"a.py"}));
}

TEST_CASE("nodes: HOST:PORT", "[nodes]") {
  std::string why;
  auto v4 = gremlins::parse_host_port("10.0.0.2:7070", why);
  REQUIRE(v4);
  CHECK(v4->host == "10.0.0.2");
  CHECK(v4->port == 7070);
  auto v6 = gremlins::parse_host_port("[::1]:80", why);
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->text() == "[::1]:80");
  CHECK_FALSE(gremlins::parse_host_port("host", why));
  CHECK_FALSE(gremlins::parse_host_port("host:0", why));
  CHECK(gremlins::parse_host_port("host:0", why, true));
  CHECK_FALSE(gremlins::parse_host_port("host:65536", why));
  CHECK_FALSE(gremlins::parse_host_port(":80", why));
  CHECK(gremlins::is_loopback_host("127.0.0.1"));
  CHECK(gremlins::is_loopback_host("localhost"));
  CHECK_FALSE(gremlins::is_loopback_host("0.0.0.0"));
}

namespace {

// A CA, node and coordinator certificates it signed, and an intruder's from another CA, made
// with openssl in a scratch folder.
struct test_certificates {
  scratch_dir dir;
  bool ok = false;
  test_certificates() {
    auto d = dir.path();
    std::string script =
        "cd " + d + " && "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=gremlins-ca && "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca2.key -out ca2.pem -days 2 -subj /CN=other-ca && "
        "for who in node coord; do "
        "  openssl req -newkey rsa:2048 -nodes -keyout $who.key -out $who.csr -subj /CN=$who && "
        "  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $who.pem -days 2 || exit 1; "
        "done && "
        "openssl req -newkey rsa:2048 -nodes -keyout intruder.key -out intruder.csr -subj /CN=intruder && "
        "openssl x509 -req -in intruder.csr -CA ca2.pem -CAkey ca2.key -CAcreateserial -out intruder.pem -days 2";
    ok = std::system(("(" + script + ") > /dev/null 2>&1").c_str()) == 0;
  }
  std::string operator/(const std::string& name) const { return dir / name; }
  std::vector<std::string> flags(const std::string& who, const std::string& ca = "ca.pem") const {
    return {"--tls-cert", dir / (who + ".pem"), "--tls-key", dir / (who + ".key"), "--tls-ca", dir / ca};
  }
};

// An openssl s_client that connects and leaves at once. (Its exit code says little: with TLS 1.3
// its handshake is done before the server has checked its certificate.)
void s_client(const std::string& address, const std::string& extra) {
  auto cmd = "timeout 10 openssl s_client -connect " + address + " " + extra + " < /dev/null > /dev/null 2>&1";
  if (std::system(cmd.c_str()) < 0) FAIL("cannot run openssl s_client");
}

std::vector<std::string> cat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("nodes: TLS: peers with a certificate the CA signed work, every other peer is refused and logged",
          "[nodes][tls]") {
  test_certificates certs;
  REQUIRE(certs.ok);
  auto marker = unique_marker("tls");
  scratch_dir dir;
  auto script = verdict_script(marker);
  auto ids = mixed(12);
  node_process n(cat({"--workers", "2"}, cat(certs.flags("node"), {"--", "sh", "-c", script})), marker);
  REQUIRE(!n.address().empty());
  auto coordinate = [&](const std::vector<std::string>& tls, const std::string& json) {
    return run_cli(cat(cat({"run", "-q", "--gremlins", join(ids, ","), "--workers", "0", "--nodes", n.address(),
                            "--json", json},
                           tls),
                       {"--", "sh", "-c", script}));
  };
  // The coordinator with its certificate: the same verdicts as ever.
  auto good = coordinate(certs.flags("coord"), dir / "good.json");
  INFO(good.err);
  CHECK(good.exit_code == 0);
  auto r = read_json(dir / "good.json");
  check_one_result_each(r, ids);
  CHECK(statuses(r)["z000"] == "zapped");
  CHECK(statuses(r)["s001"] == "survived");
  CHECK(nodes_of(r)[n.address()]["gremlins"] == 12);

  // A TLS client without a certificate, and one whose certificate another CA signed.
  s_client(n.address(), "-CAfile " + (certs / "ca.pem"));
  s_client(n.address(), "-CAfile " + (certs / "ca.pem") + " -cert " + (certs / "intruder.pem") + " -key " +
                            (certs / "intruder.key"));
  // A coordinator without TLS.
  auto plain = coordinate({}, dir / "plain.json");
  CHECK(plain.exit_code == 2);
  CHECK_THAT(plain.err, Catch::Contains("node " + n.address() + ": cannot connect"));
  // A coordinator of another CA: it refuses the node's certificate itself, and says so.
  auto foreign = coordinate(certs.flags("intruder", "ca2.pem"), dir / "foreign.json");
  CHECK(foreign.exit_code == 2);
  CHECK_THAT(foreign.err, Catch::Contains("TLS: connection to " + n.address() + " refused: its certificate was not accepted"));
  CHECK_FALSE(exists(dir / "foreign.json"));
  // Random bytes on the TLS port.
  std::mt19937 rng(7);
  for (int i = 0; i < 5; ++i) {
    int fd = tcp_connect(n.port());
    REQUIRE(fd >= 0);
    std::string bytes(100 + rng() % 5000, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) {}
    ::close(fd);
  }
  // Still serving.
  auto again = coordinate(certs.flags("coord"), dir / "again.json");
  CHECK(again.exit_code == 0);
  CHECK(statuses(read_json(dir / "again.json")) == statuses(r));

  auto end = n.stop();
  CHECK(end.exit_code == 0);
  INFO(end.err);
  CHECK_THAT(end.err, Catch::Contains("with TLS (peers need a certificate signed by"));
  CHECK_THAT(end.err, Catch::Contains("TLS alert 'certificate required (no certificate was presented)' sent"));
  CHECK_THAT(end.err, Catch::Contains("its certificate was not accepted: unable to get local issuer certificate (subject /CN=intruder)"));
  CHECK_THAT(end.err, Catch::Contains("the TLS handshake did not complete"));
  CHECK_THAT(end.err, Catch::Contains("the peer did not accept this side"));  // the foreign coordinator
  // A good connection is never reported as refused.
  std::size_t refusals = 0;
  for (std::size_t at = end.err.find("TLS: refused"); at != std::string::npos; at = end.err.find("TLS: refused", at + 1))
    ++refusals;
  CHECK(refusals == 2 + 1 + 1 + 5);  // s_clients, plain coordinator, foreign coordinator, random bytes
  check_nothing_left(marker);
}

TEST_CASE("nodes: TLS files are checked before a node or a coordinator starts", "[nodes][tls]") {
  test_certificates certs;
  REQUIRE(certs.ok);
  auto script = verdict_script(unique_marker("tlsfiles"));
  SECTION("a node whose certificate its CA did not sign") {
    auto r = run_cli(cat({"node", "--listen", "127.0.0.1:0", "--workers", "1"},
                         cat(certs.flags("intruder"), {"--", "sh", "-c", script})));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("is not signed by --tls-ca"));
  }
  SECTION("a key that is not the certificate's") {
    auto r = run_cli({"node", "--listen", "127.0.0.1:0", "--workers", "1", "--tls-cert", certs / "node.pem",
                      "--tls-key", certs / "coord.key", "--tls-ca", certs / "ca.pem", "--", "sh", "-c", script});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("does not belong to --tls-cert"));
  }
  SECTION("only some of the three") {
    auto r = run_cli({"run", "-q", "--gremlins", "a", "--nodes", "127.0.0.1:1", "--tls-ca", certs / "ca.pem", "--",
                      "sh", "-c", script});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("TLS needs all three of --tls-cert, --tls-key and --tls-ca"));
  }
  SECTION("a TLS node may listen beyond loopback without --insecure-listen") {
    auto marker = unique_marker("tlswide");
    node_process n(cat({"--listen", "0.0.0.0:0", "--workers", "1"}, cat(certs.flags("node"), {"--", "sh", "-c", script})),
                   marker);
    REQUIRE(!n.address().empty());
    auto end = n.stop();
    CHECK(end.exit_code == 0);
    CHECK_THAT(end.err, Catch::Contains("with TLS"));
    CHECK_THAT(end.err, !Catch::Contains("WARNING"));
    check_nothing_left(marker);
  }
}

// `gremlin-actors node` takes run's options for what it runs (the command after `--`,
// --worker-command, --rootdir, --env, --instrumented-dir, --error-exit-codes,
// --signal-is-error, --workers, the TLS files, --manifest for the gremlin-list check, --pytest
// and its options), declared from the same option table (cli/options.hpp) and read from the
// same configuration file, plus its own: --listen, --insecure-listen, --ready-file.

#include "cli/node_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <pthread.h>
#include <signal.h>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "cli/config_merge.hpp"
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "cli/pytest_mode.hpp"
#include "runtime/formats/manifest.hpp"
#include "runtime/node.hpp"
#include "runtime/process/runner.hpp"
#include "runtime/remote/identity.hpp"

namespace fs = std::filesystem;

namespace gremlins::cli {

namespace {

struct node_options {
  run_options run;
  std::string listen;
  bool insecure_listen = false;
  std::string ready_file;
};

node_options& options_of_node() {
  static node_options opts;
  return opts;
}

/// The options of run a node takes.
const std::vector<std::string> node_keys = {
    "command", "worker_command", "rootdir", "instrumented_dir", "env", "workers", "error_exit_codes",
    "signal_is_error", "manifest", "tls_cert", "tls_key", "tls_ca", "pytest", "project", "python",
    "operators", "targets"};

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::vector<std::pair<std::string, std::string>> env_pairs(const std::vector<std::string>& kvs) {
  std::vector<std::pair<std::string, std::string>> env;
  for (const auto& kv : kvs) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw std::invalid_argument("--env: expected KEY=VALUE, got '" + kv + "'");
    env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

std::string absolute_dir(const std::string& dir, const char* flag) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::invalid_argument(std::string(flag) + ": " + dir + " is not a directory");
  return fs::absolute(dir).lexically_normal().string();
}

constexpr std::chrono::seconds stop_limit{30};

tls_files tls_of(const run_options& o) { return tls_files{o.tls_cert, o.tls_key, o.tls_ca}; }

void say(const std::string& line) {
  static std::mutex mx;
  std::lock_guard<std::mutex> guard(mx);
  std::cerr << "gremlin-actors node: " << line << std::endl;
}

// Written whole or not at all: a script waiting for the file reads a complete address.
void write_ready_file(const std::string& path, const std::string& address) {
  auto tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << address << "\n";
    if (!out) throw std::runtime_error("--ready-file: cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("--ready-file: cannot write " + path + ": " + ec.message());
}

// SIGINT, SIGTERM and SIGHUP stop the node: blocked in every thread (the actor system's and the
// runner's inherit the mask; children get an empty one) and awaited by sigwait. A signal that
// was ignored when the program started (nohup) stays ignored.
class stop_signals {
public:
  stop_signals() {
    sigemptyset(&set_);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {};
      if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
      sigaddset(&set_, sig);
    }
    ::pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~stop_signals() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  /// Waits for one of them; its name.
  std::string wait() {
    int sig = 0;
    while (::sigwait(&set_, &sig) != 0) {}
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
  }

private:
  sigset_t set_, old_;
};

}  // namespace

CLI::App* add_node_subcommand(CLI::App& app) {
  auto& o = options_of_node();
  auto* node = app.add_subcommand("node", "Offer worker slots to coordinators on the network (docs/nodes.md)");
  add_run_options(*node, o.run, node_keys);
  // Where a node's meaning differs from run's.
  node->get_option("--workers")->description("Worker slots this node offers, 1 to 1024 (default: CPU count)");
  node->get_option("--manifest")->description("The gremlin list: coordinators with another one are refused (optional)");
  node->add_option("--listen", o.listen, "HOST:PORT to listen on (port 0: any free port)")->required();
  node->add_flag("--insecure-listen", o.insecure_listen,
                 "Without TLS, listen beyond loopback anyway (anyone who reaches the port can run gremlins here)");
  node->add_option("--ready-file", o.ready_file, "Write HOST:PORT here once listening");
  return node;
}

int node_command(const CLI::App* parsed) {
  auto& o = options_of_node();
  stop_signals signals;
  node_config cfg;
  try {
    std::string config_file;
    if (parsed) merge_config_file(o.run, *parsed, config_file);
    std::string why;
    auto where = parse_host_port(o.listen, why, true);
    if (!where) throw std::invalid_argument("--listen: " + why);
    cfg.listen = *where;
    cfg.workers = o.run.workers.value_or(default_max_workers());
    cfg.tls = tls_of(o.run);
    cfg.insecure_listen = o.insecure_listen;
    cfg.log = say;
    command_spec& cmd = cfg.cmd;
    if (o.run.pytest) {
      if (!o.run.command.empty() || !o.run.manifest.empty())
        throw std::invalid_argument("--pytest finds the gremlins and the test command itself: drop --manifest and the command after --");
      process_runner prep_runner;
      auto prepared = prepare_pytest(o.run, prep_runner, [] { return false; });
      if (prepared.exit_code != 0) return prepared.exit_code;
      const auto& plan = prepared.plan;
      cmd.argv = plan.cold_command;
      cmd.worker_argv = plan.worker_command;
      cmd.rootdir = plan.project;
      cmd.instrumented_dir = plan.instrumented_dir;
      cmd.env = plan.env;
      o.run.manifest = plan.manifest;
    } else {
      cmd.argv = o.run.command;
      cmd.worker_argv = split_words(o.run.worker_command);
      cmd.rootdir = absolute_dir(o.run.rootdir, "--rootdir");
      if (!o.run.instrumented_dir.empty())
        cmd.instrumented_dir = absolute_dir(o.run.instrumented_dir, "--instrumented-dir");
    }
    auto user_env = env_pairs(o.run.env);
    cmd.env.insert(cmd.env.end(), user_env.begin(), user_env.end());
    cmd.error_exit_codes = o.run.error_exit_codes;
    cmd.signal_is_error = o.run.signal_is_error;
    if (!o.run.manifest.empty()) {
      try {
        cfg.manifest_digest = gremlin_list_digest(load_manifest(o.run.manifest).gremlins);
      } catch (const std::exception& e) {
        throw std::invalid_argument("--manifest: " + std::string(e.what()));
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "gremlin-actors node: error: " << e.what() << "\n";
    return exit_bad_input;
  }
  std::unique_ptr<gremlin_node> node;
  try {
    node = std::make_unique<gremlin_node>(cfg);
  } catch (const std::exception& e) {
    std::cerr << "gremlin-actors node: error: " << e.what() << "\n";
    return exit_bad_input;
  }
  auto address = node->address().text();
  std::string kinds = std::string(cfg.cmd.worker_argv.empty() ? "" : "warm") +
                      (cfg.cmd.worker_argv.empty() || cfg.cmd.argv.empty() ? "" : " and ") +
                      (cfg.cmd.argv.empty() ? "" : "cold") + (cfg.workers == 1 ? " worker slot" : " worker slots");
  if (node->tls())
    say("listening on " + address + " with TLS (peers need a certificate signed by " + cfg.tls.ca + "); " +
        std::to_string(cfg.workers) + " " + kinds);
  else if (is_loopback_host(cfg.listen.host))
    say("listening on " + address + " without TLS, on loopback only; " + std::to_string(cfg.workers) + " " +
        kinds);
  else
    say("WARNING: listening on " + address + " without TLS (--insecure-listen): anyone who can reach this "
        "port can run the test command here; " + std::to_string(cfg.workers) + " " + kinds);
  try {
    if (!o.ready_file.empty()) write_ready_file(o.ready_file, address);
  } catch (const std::exception& e) {
    std::cerr << "gremlin-actors node: error: " << e.what() << "\n";
    return exit_bad_input;
  }
  auto why = signals.wait();
  say("stopping (" + why + "): ending every worker");
  // Ending the workers takes a moment; should it hang, the node still goes (its guardian, the
  // fork server, ends every process the node started once the node is gone).
  std::thread([] {
    std::this_thread::sleep_for(stop_limit);
    say("could not end every worker within " + std::to_string(stop_limit.count()) + " s: exiting anyway");
    std::_Exit(1);
  }).detach();
  node.reset();
  return exit_ok;
}

remote_config make_remote_config(const run_options& o) {
  remote_config r;
  r.nodes = o.nodes;
  r.tls = tls_of(o);
  if (r.nodes.empty()) {
    if (r.tls.enabled()) throw std::invalid_argument("--tls-cert, --tls-key and --tls-ca are for worker nodes: give --nodes too");
    return r;
  }
  for (const auto& n : r.nodes) {
    std::string why;
    if (!parse_host_port(n, why)) throw std::invalid_argument("--nodes: " + why);
  }
  if (auto why = tls_problem(r.tls)) throw std::invalid_argument(*why);
  if (o.workers && *o.workers == 0) r.local_workers = 0;
  r.log = [](const std::string& line) { std::cerr << "gremlin-actors: " << line << std::endl; };
  return r;
}

std::string refusal_lines(const std::vector<std::string>& refusals) {
  std::string out;
  for (const auto& r : refusals) out += (out.empty() ? "" : "\ngremlin-actors: error: ") + r;
  return out;
}

}  // namespace gremlins::cli

// `gremlin-actors run`. The order of a run: check every input (exit 2 before anything runs),
// baseline (exit 4 when it fails), gremlins, reports, exit code.

#include "cli/run_command.hpp"

#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>
#include <functional>
#include <fmt/core.h>
#include <iostream>
#include <thread>
#include <unistd.h>

#include "cli/config_merge.hpp"
#include "cli/exit_codes.hpp"
#include "cli/progress_line.hpp"
#include "cli/pytest_mode.hpp"
#include "runtime/formats/manifest.hpp"
#include "runtime/process/runner.hpp"
#include "runtime/formats/elements_report.hpp"
#include "runtime/formats/html_report.hpp"
#include "runtime/formats/console_report.hpp"
#include "runtime/formats/results_json.hpp"
#include "runtime/runtime.hpp"

namespace fs = std::filesystem;

namespace gremlins::cli {

namespace {

struct refusal : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Ctrl-C reaches a handler that may only write to a pipe; a plain thread reads it and asks
// the runtime to stop, so the run ends with the results so far (exit 130).
int interrupt_pipe[2] = {-1, -1};

extern "C" void on_interrupt(int) {
  char c = 'i';
  [[maybe_unused]] auto n = ::write(interrupt_pipe[1], &c, 1);
}

class interrupt_watch {
public:
  explicit interrupt_watch(std::function<void()> stop) {
    if (::pipe(interrupt_pipe) != 0) return;
    thread_ = std::thread([this, stop] {
      char c = 0;
      while (::read(interrupt_pipe[0], &c, 1) < 0 && errno == EINTR) {}
      if (c == 'i') {
        interrupted_ = true;
        stop();
      }
    });
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
  }
  ~interrupt_watch() {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    char c = 'q';
    [[maybe_unused]] auto n = ::write(interrupt_pipe[1], &c, 1);
    if (thread_.joinable()) thread_.join();
    ::close(interrupt_pipe[0]);
    ::close(interrupt_pipe[1]);
  }
  bool interrupted() const { return interrupted_; }

private:
  std::thread thread_;
  std::atomic<bool> interrupted_{false};
};

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

pool_config make_pool_config(const run_options& o) {
  pool_config cfg;
  cfg.max_workers = o.parallel || o.workers ? o.workers.value_or(default_max_workers()) : 1;
  if (o.timeout) {
    cfg.timeout_s = *o.timeout;
    cfg.adaptive_timeout = false;
  }
  cfg.batch = o.batch;
  cfg.batch_size = o.batch_size;
  cfg.strategy = *parse_distribution(o.distribution);
  cfg.executor = *parse_executor(o.executor);
  cfg.method = *parse_start_method(o.start_method);
  cfg.warmup = !o.no_warmup;
  cfg.max_reuse = o.max_reuse;
  cfg.retry_crashed = !o.no_retry;
  cfg.max_restarts = o.max_restarts;
  cfg.warmup_timeout_s = o.warmup_timeout;
  cfg.warmup_retries = o.warmup_retries;
  if (auto err = validate(cfg)) throw refusal(*err);
  return cfg;
}

std::vector<std::pair<std::string, std::string>> make_env(const run_options& o) {
  std::vector<std::pair<std::string, std::string>> env;
  for (const auto& kv : o.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw refusal("--env: expected KEY=VALUE, got '" + kv + "'");
    env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

command_spec make_command(const run_options& o) {
  command_spec cmd;
  cmd.argv = o.command;
  cmd.worker_argv = split_words(o.worker_command);
  if (cmd.argv.empty() && cmd.worker_argv.empty())
    throw refusal("no test command: give it after `--`, e.g. `gremlin-actors run --gremlins a,b -- pytest -x`");
  std::error_code ec;
  if (!fs::is_directory(o.rootdir, ec)) throw refusal("--rootdir: " + o.rootdir + " is not a directory");
  cmd.rootdir = fs::absolute(o.rootdir).lexically_normal().string();
  if (!o.instrumented_dir.empty()) {
    if (!fs::is_directory(o.instrumented_dir, ec))
      throw refusal("--instrumented-dir: " + o.instrumented_dir + " is not a directory");
    cmd.instrumented_dir = fs::absolute(o.instrumented_dir).lexically_normal().string();
  }
  cmd.env = make_env(o);
  cmd.error_exit_codes = o.error_exit_codes;
  cmd.signal_is_error = o.signal_is_error;
  return cmd;
}

std::vector<gremlin> load_gremlins(const run_options& o, run_report& report) {
  int given = !o.manifest.empty() + !o.gremlins_csv.empty() + !o.gremlin_ids_file.empty();
  if (given != 1)
    throw refusal("give exactly one of --manifest FILE, --gremlins a,b,c or --gremlin-ids FILE");
  if (!o.gremlins_csv.empty()) return gremlins_from_list(o.gremlins_csv);
  if (!o.gremlin_ids_file.empty()) return load_gremlin_ids(o.gremlin_ids_file);
  auto m = load_manifest(o.manifest);
  report.test_durations_ms = m.test_durations_ms;
  return std::move(m.gremlins);
}

}  // namespace

// --pytest: the adapter's prepare step replaces the manifest, the commands and the baseline.
int apply_pytest_plan(run_options& o, command_spec& cmd, double& baseline_ms) {
  if (!o.manifest.empty() || !o.gremlins_csv.empty() || !o.gremlin_ids_file.empty() || !o.command.empty())
    throw refusal("--pytest finds the gremlins and the test command itself: drop --manifest/--gremlins/--gremlin-ids and the command after --");
  process_runner prep_runner;
  pytest_prepared prepared;
  {
    interrupt_watch watch([&prep_runner] { prep_runner.kill_all(SIGTERM); });
    prepared = prepare_pytest(o, prep_runner, [&watch] { return watch.interrupted(); });
  }
  if (prepared.exit_code == exit_interrupted) std::cerr << "gremlin-actors: interrupted during the prepare step\n";
  if (prepared.exit_code != 0) return prepared.exit_code;
  const auto& plan = prepared.plan;
  o.manifest = plan.manifest;
  if (o.json.empty()) o.json = plan.results_dir + "/results.json";
  cmd.argv = plan.cold_command;
  cmd.worker_argv = plan.worker_command;
  cmd.rootdir = plan.project;
  cmd.instrumented_dir = plan.instrumented_dir;
  cmd.env.insert(cmd.env.begin(), plan.env.begin(), plan.env.end());
  baseline_ms = plan.baseline_ms;
  return exit_ok;
}

int write_reports(const run_options& o, const run_report& report) {
  try {
    if (!o.json.empty()) write_results_json(report, o.json);
    if (!o.report_elements.empty()) write_elements_report(report, o.report_elements);
    if (!o.report_html.empty()) write_html_report(report, o.report_html);
  } catch (const std::exception& e) {
    std::cerr << "gremlin-actors: error: " << e.what() << "\n";
    return exit_bad_input;
  }
  return exit_ok;
}

int check_baseline(gremlin_runtime& rt, const interrupt_watch& watch) {
  auto base = rt.run_baseline();
  if (watch.interrupted()) {
    std::cerr << "gremlin-actors: interrupted during the baseline; nothing else was run\n";
    return exit_interrupted;
  }
  if (base.verdict == status::survived) return exit_ok;
  std::cerr << "gremlin-actors: the baseline (tests with no gremlin active) did not pass";
  if (base.verdict == status::error && base.error_output.rfind("could not start", 0) == 0) {
    std::cerr << ": " << base.error_output << "\n";
    return exit_bad_input;
  }
  std::cerr << "; nothing else was run.\n--- baseline output ---\n" << base.error_output;
  if (base.verdict == status::zapped) std::cerr << "(the test command failed)\n";
  return exit_baseline_failed;
}

int run_command(run_options& o, const CLI::App* parsed) {
  std::unique_ptr<gremlin_runtime> rt;
  std::vector<gremlin> gremlins;
  run_report loaded;
  double prepared_baseline_ms = -1;
  try {
    std::string config_file;
    if (parsed) merge_config_file(o, *parsed, config_file);
    auto cfg = make_pool_config(o);
    command_spec cmd;
    if (o.pytest) {
      if (int code = apply_pytest_plan(o, cmd, prepared_baseline_ms); code != exit_ok) return code;
      auto user = make_env(o);
      cmd.env.insert(cmd.env.end(), user.begin(), user.end());
      cmd.error_exit_codes = o.error_exit_codes;
      cmd.signal_is_error = o.signal_is_error;
    } else {
      cmd = make_command(o);
    }
    gremlins = load_gremlins(o, loaded);
    rt = std::make_unique<gremlin_runtime>(cfg, cmd);
  } catch (const std::exception& e) {
    std::cerr << "gremlin-actors: error: " << e.what() << "\n";
    return exit_bad_input;
  }
  // From here Ctrl-C stops the runtime: the baseline or the run ends, nothing is left running.
  interrupt_watch watch([&rt] { rt->stop(); });
  if (prepared_baseline_ms >= 0) rt->set_baseline_ms(prepared_baseline_ms);
  // Static gremlins run cold: with a prepared baseline that path is still checked (and timed).
  bool any_static = std::any_of(gremlins.begin(), gremlins.end(), [](const gremlin& g) { return g.is_static; });
  if (prepared_baseline_ms < 0 || any_static) {
    if (int code = check_baseline(*rt, watch); code != exit_ok) return code;
  }
  run_report report;
  {
    progress_options popts;
    popts.quiet = o.quiet;
    popts.is_tty = isatty(STDERR_FILENO);
    popts.color = color_enabled(o.no_color, popts.is_tty);
    progress_line line(stderr, popts);
    report = rt->run(gremlins, [&line](const progress& p, const worker_result& r) { line.update(p, r); });
    line.finish();
    report.interrupted = report.interrupted || watch.interrupted();
  }
  report.test_durations_ms = loaded.test_durations_ms;
  auto sum = summarize(report.results, report.wall_ms);
  console_options copts;
  copts.show_all = o.show_all;
  copts.color = color_enabled(o.no_color, isatty(STDOUT_FILENO));
  if (o.quiet)
    std::cout << fmt::format("gremlins: {} total, {} zapped, {} survived, score {:.2f}%\n", sum.total,
                             sum.count(status::zapped), sum.count(status::survived), sum.score);
  else
    std::cout << render_console_report(report, copts);
  if (!report.pool.warmup_error.empty() && report.pool.warmup_completed == 0 && !o.quiet)
    std::cerr << "gremlin-actors: " << report.pool.warmup_error << "\n";
  if (int code = write_reports(o, report); code != exit_ok) return code;
  if (report.interrupted) return exit_interrupted;
  if (o.fail_under && sum.score < *o.fail_under) {
    std::cerr << fmt::format("gremlin-actors: score {:.2f}% is below --fail-under {:.2f}\n", sum.score,
                             *o.fail_under);
    return exit_below_threshold;
  }
  return exit_ok;
}

}  // namespace gremlins::cli

// `gremlin-actors run`. The order of a run: check every input and output path (exit 2 before
// anything runs), baseline (exit 4 when it fails), gremlins, reports, exit code. From the start
// a stop_watch (cli/stop_watch.hpp) turns SIGINT, SIGTERM, SIGHUP and a closed standard output
// into a stop of whatever runs, with the results so far kept.

#include "cli/run_command.hpp"

#include <filesystem>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <functional>
#include <fmt/core.h>
#include <iostream>
#include <unistd.h>

#include "cli/config_merge.hpp"
#include "cli/exit_codes.hpp"
#include "cli/fail_under.hpp"
#include "cli/node_command.hpp"
#include "cli/progress_line.hpp"
#include "cli/results_files.hpp"
#include "cli/selection.hpp"
#include "cli/pytest_mode.hpp"
#include "cli/stop_watch.hpp"
#include "runtime/formats/atomic_file.hpp"
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

/// An output path that cannot be written: printed as "gremlin-actors: --json <reason>".
struct output_refusal : refusal {
  using refusal::refusal;
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
  if (o.workers && *o.workers == 0) {  // remote workers only (docs/nodes.md)
    if (o.nodes.empty()) throw refusal("--workers 0 runs no worker here: it needs --nodes (remote workers only)");
    cfg.max_workers = 1;  // for the pool's own check; make_remote_config() asks for no local slot
  }
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
  cfg.timeout_confirmations = o.timeout_confirmations;
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
  // With --pytest, --gremlins and --gremlin-ids choose among the manifest's gremlins (selection).
  int given = !o.manifest.empty() + (o.pytest ? 0 : !o.gremlins_csv.empty() + !o.gremlin_ids_file.empty());
  if (given != 1)
    throw refusal("give exactly one of --manifest FILE, --gremlins a,b,c or --gremlin-ids FILE");
  // Every refusal names the option it is about (the message may name the file already).
  std::string option = o.pytest                      ? "--pytest (the adapter's manifest)"
                       : !o.gremlins_csv.empty()     ? "--gremlins"
                       : !o.gremlin_ids_file.empty() ? "--gremlin-ids"
                                                     : "--manifest";
  try {
    if (!o.pytest && !o.gremlins_csv.empty()) return gremlins_from_list(o.gremlins_csv);
    if (!o.pytest && !o.gremlin_ids_file.empty()) return load_gremlin_ids(o.gremlin_ids_file);
    auto m = load_manifest(o.manifest);
    report.test_durations_ms = m.test_durations_ms;
    return std::move(m.gremlins);
  } catch (const input_error& e) {
    std::string why = e.what();
    if (why.rfind(option.substr(0, option.find(' ')), 0) == 0) throw refusal(why);
    throw refusal(option + ": " + why);
  }
}

bool results_go_to_a_file(const run_options& o) {
  return o.pytest || !o.json.empty() || !o.report_elements.empty() || !o.report_html.empty();
}

// Every output path, before anything runs: a folder that does not exist, a path that is a
// folder, the same file as an input (manifest, --gremlin-ids file, configuration file) or as
// another output. Refused with the option's name (exit 2).
void check_output_paths(const run_options& o, const std::string& config_file) {
  const std::pair<const char*, const std::string*> outputs[] = {
    {"--json", &o.json}, {"--report-elements", &o.report_elements}, {"--report-html", &o.report_html}};
  for (const auto& [flag, path] : outputs) {
    if (path->empty()) continue;
    std::vector<std::string> others{o.manifest, o.gremlin_ids_file, config_file};
    for (const auto& [other_flag, other] : outputs)
      if (other != path && !other->empty()) others.push_back(*other);
    if (auto why = output_path_problem(*path, others))
      throw output_refusal(std::string(flag) + " " + *why + " (nothing was run)");
  }
}

// `gremlins: ...` of --quiet. An interrupted run says how many were tested and scores those.
std::string quiet_summary(const run_report& report, const summary& sum) {
  if (!report.interrupted)
    return fmt::format("gremlins: {} total, {} zapped, {} survived, {} no_coverage, score {:.2f}%\n",
                       sum.total, sum.count(status::zapped), sum.count(status::survived),
                       sum.count(status::no_coverage), sum.score);
  // Not tested: the cancelled ones (is_cancelled), and any the run knew but has no result for.
  std::size_t all = std::max(report.gremlins.size(), report.results.size());
  std::size_t not_tested = cancelled_count(report) + (all - report.results.size());
  std::size_t tested = all - not_tested;
  std::string head = fmt::format("gremlins: interrupted: {} of {} tested, {} zapped, {} survived, {} no_coverage",
                                 tested, all, sum.count(status::zapped), sum.count(status::survived),
                                 sum.count(status::no_coverage));
  if (check_fail_under(sum, 0).no_verdict) return head + ", no verdict yet\n";
  return head + fmt::format(", score {:.2f}% over the tested ones\n", sum.score);
}

// --pytest: the adapter's prepare step replaces the manifest, the commands and the baseline.
int apply_pytest_plan(run_options& o, command_spec& cmd, double& baseline_ms, stop_watch& watch) {
  if (!o.manifest.empty())
    throw refusal("--pytest finds the gremlins itself: drop --manifest (--gremlins and --gremlin-ids choose among its gremlins; what follows -- is pytest's arguments)");
  process_runner prep_runner;
  pytest_prepared prepared;
  {
    // A first signal asks prepare's processes to end (SIGTERM), another one kills them.
    stop_watch::scoped_target target(watch, [&prep_runner](bool again) {
      prep_runner.kill_all(again ? SIGKILL : SIGTERM);
    });
    prepared = prepare_pytest(o, prep_runner, [&watch] { return watch.stopped(); });
  }
  if (watch.stopped()) {
    std::cerr << "gremlin-actors: interrupted during the prepare step by " << describe(watch.cause()) << "\n";
    return exit_code_of(watch.cause());
  }
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

// The results store: PROJECT/.gremlins/results.db with --pytest unless --store or --no-store
// say otherwise (docs/results-store.md).
selection_options selection_options_of(const run_options& o, const std::string& rootdir) {
  selection_options s;
  if (!o.no_store) {
    s.store = o.store;
    if (s.store.empty() && o.pytest)
      s.store = (std::filesystem::path(o.project.empty() ? o.rootdir : o.project) / ".gremlins" / "results.db").string();
  }
  s.resume = o.resume;
  s.force = o.force;
  s.shard = o.shard;
  s.since = o.since;
  s.in_diff = o.in_diff;
  s.rootdir = rootdir.empty() ? o.rootdir : rootdir;
  if (o.pytest) {  // --gremlins / --gremlin-ids choose among the adapter's gremlins
    if (!o.gremlins_csv.empty()) read_patterns_list(o.gremlins_csv, s);
    if (!o.gremlin_ids_file.empty()) read_patterns_file(o.gremlin_ids_file, s);
    s.project = s.rootdir;
    s.manifest = o.manifest;
    s.previous_results = o.json;
  }
  return s;
}

// After a run on a subset (--pytest --gremlins ...): what was tested now, and where the whole
// project stands (the others' verdicts are the last ones).
std::string subset_summary(const run_report& report, const selection& chosen, const summary& whole, bool quiet) {
  std::vector<worker_result> fresh;
  for (const auto& r : report.results)
    if (!report.reused.count(r.gremlin_id)) fresh.push_back(r);
  auto now = summarize(fresh, report.wall_ms);
  std::string counts;
  for (std::size_t i = 0; i < status_count; ++i)
    if (now.counts[i] > 0) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", now.counts[i], to_string(static_cast<status>(i)));
  std::string missing = chosen.without_verdict == 0 ? ""
      : fmt::format("; {} gremlin{} without a current verdict (a run without --gremlins tests them)",
                    chosen.without_verdict, chosen.without_verdict == 1 ? "" : "s");
  if (quiet)  // the tail of the one summary line
    return fmt::format("; tested now {} of {}{}{}{}\n", fresh.size(), chosen.given, counts.empty() ? "" : " (",
                       counts.empty() ? "" : counts + ")", missing);
  return fmt::format("\nTested now: {} of the project's {} gremlins{}{}. The project stands at {:.2f}% over the {} "
                     "with a verdict ({} from earlier runs){}.\n",
                     fresh.size(), chosen.given, counts.empty() ? "" : ": ", counts, whole.score,
                     report.results.size(), report.results.size() - fresh.size(), missing);
}

// The reused verdicts join the new ones, marked as such; the store has every verdict written.
void add_reused(run_report& report, selection& chosen) {
  for (auto& r : chosen.reused) {
    report.reused.insert(r.gremlin_id);
    report.results.push_back(std::move(r));
  }
  chosen.reused.clear();
  for (auto& g : chosen.reused_gremlins)
    if (!g.file.empty() || g.has_tests || !g.fingerprint.empty()) report.gremlins.emplace(g.id, std::move(g));
  chosen.reused_gremlins.clear();
  std::sort(report.results.begin(), report.results.end(),
            [](const worker_result& a, const worker_result& b) { return a.gremlin_id < b.gremlin_id; });
  report.shard = chosen.shard;
  report.selection = chosen.digest;
  if (chosen.store) chosen.store->flush();
}

int stopped_before_the_run(const stop_watch& watch) {
  std::cerr << "gremlin-actors: stopped by " << describe(watch.cause()) << " before anything ran\n";
  return exit_code_of(watch.cause());
}

int check_baseline(gremlin_runtime& rt, const stop_watch& watch) {
  auto base = rt.run_baseline();
  if (watch.stopped()) {
    std::cerr << "gremlin-actors: interrupted during the baseline by " << describe(watch.cause())
              << "; nothing else was run\n";
    return exit_code_of(watch.cause());
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

}  // namespace

int run_command(run_options& o, const CLI::App* parsed) {
  ignore_sigpipe();  // a closed console makes writes fail, it does not kill the run
  std::unique_ptr<stop_watch> watch_owner;
  try {
    watch_owner = std::make_unique<stop_watch>();
  } catch (const std::exception& e) {
    std::cerr << "gremlin-actors: error: " << e.what() << "\n";
    return exit_bad_input;
  }
  stop_watch& watch = *watch_owner;
  std::unique_ptr<gremlin_runtime> rt;
  std::vector<gremlin> gremlins;
  selection chosen;
  run_report loaded;
  double prepared_baseline_ms = -1;
  try {
    std::string config_file;
    if (parsed) merge_config_file(o, *parsed, config_file);
    // With no results file, a closed standard output leaves the run nobody to report to.
    watch.stop_when_output_closed(!results_go_to_a_file(o));
    auto cfg = make_pool_config(o);
    command_spec cmd;
    if (o.pytest) {
      check_output_paths(o, config_file);  // the prepare step runs things: check before it
      if (int code = apply_pytest_plan(o, cmd, prepared_baseline_ms, watch); code != exit_ok) return code;
      auto user = make_env(o);
      // The plan's values come last and win: its PYTHONPATH already holds the user's, behind
      // the instrumented tree and the adapter.
      cmd.env.insert(cmd.env.begin(), user.begin(), user.end());
      cmd.error_exit_codes = o.error_exit_codes;
      cmd.signal_is_error = o.signal_is_error;
    } else {
      cmd = make_command(o);
    }
    gremlins = load_gremlins(o, loaded);
    loaded.source_digests = digest_sources(gremlins, cmd.rootdir);  // for `show` and `apply`
    check_output_paths(o, config_file);
    rt = std::make_unique<gremlin_runtime>(cfg, cmd, make_remote_config(o));
    if (auto refused = rt->connect_nodes(gremlins); !refused.empty()) throw refusal(refusal_lines(refused));
    chosen = select_gremlins(std::move(gremlins), selection_options_of(o, cmd.rootdir), *rt->runner());
    gremlins = std::move(chosen.to_test);
    if (!o.quiet)
      for (const auto& note : chosen.notes) std::cerr << "gremlin-actors: " << note << "\n";
  } catch (const output_refusal& e) {
    std::cerr << "gremlin-actors: " << e.what() << "\n";
    return exit_bad_input;
  } catch (const std::exception& e) {
    std::cerr << "gremlin-actors: error: " << e.what() << "\n";
    return exit_bad_input;
  }
  // From here a stop stops the runtime: the baseline or the run ends, nothing is left running.
  // A second signal kills every process the run started at once.
  stop_watch::scoped_target target(watch, [&rt](bool again) {
    rt->stop();
    if (again) rt->runner()->kill_all(SIGKILL);
  });
  if (watch.stopped()) return stopped_before_the_run(watch);
  if (prepared_baseline_ms >= 0) rt->set_baseline_ms(prepared_baseline_ms);
  // Static gremlins run cold: with a prepared baseline that path is still checked (and timed).
  bool any_static = std::any_of(gremlins.begin(), gremlins.end(),
                                [](const gremlin& g) { return g.is_static && !g.zygote; });
  // Every verdict reused: nothing runs, so no baseline either.
  if (!gremlins.empty() && (prepared_baseline_ms < 0 || any_static)) {
    if (int code = check_baseline(*rt, watch); code != exit_ok) return code;
  }
  run_report report;
  {
    progress_options popts;
    popts.quiet = o.quiet;
    popts.is_tty = isatty(STDERR_FILENO);
    popts.color = color_enabled(o.no_color, popts.is_tty);
    popts.stopping = [&watch] { return watch.stopped(); };
    progress_line line(stderr, popts);
    report = rt->run(std::move(gremlins), [&line, &chosen](const progress& p, const worker_result& r) {
      record_verdict(chosen, r);
      line.update(p, r);
    });
    line.finish();
  }
  // The results are complete or stopped now: what comes later changes neither.
  watch.stop_when_output_closed(false);
  stop_cause cause = watch.cause();
  report.interrupted = report.interrupted || cause != stop_cause::none;
  if (report.interrupted && cause == stop_cause::none) cause = stop_cause::sigint;  // stop() from elsewhere
  report.test_durations_ms = loaded.test_durations_ms;
  report.source_digests = loaded.source_digests;
  add_reused(report, chosen);
  auto sum = summarize(report.results, report.wall_ms);
  if (!watch.stdout_closed()) {
    console_options copts;
    copts.show_all = o.show_all;
    copts.color = color_enabled(o.no_color, isatty(STDOUT_FILENO));
    copts.changed_files = changed_sources(report);  // edited while the run went: no diff
    std::string text = o.quiet ? quiet_summary(report, sum) : render_console_report(report, copts);
    if (chosen.subset && !report.interrupted) {
      if (o.quiet && !text.empty() && text.back() == '\n') text.pop_back();
      text += subset_summary(report, chosen, sum, o.quiet);
    }
    std::cout << text << std::flush;
  } else if (cause == stop_cause::output_gone) {
    std::cerr << "gremlin-actors: the standard output was closed and no results file was asked for "
                 "(--json, --report-elements, --report-html): the run was stopped\n";
  } else {
    std::cerr << "gremlin-actors: the standard output was closed: no console report; the results "
                 "are in the files asked for\n";
  }
  if (!report.pool.warmup_error.empty() && report.pool.warmup_completed == 0 && !o.quiet)
    std::cerr << "gremlin-actors: " << report.pool.warmup_error << "\n";
  if (int code = write_reports(o, report); code != exit_ok) return code;
  if (!watch.stdout_closed() && !o.quiet)
    std::cout << render_results_places({o.json, chosen.store ? selection_options_of(o, "").store : "",
                                        o.report_elements, o.report_html})
              << std::flush;
  if (report.interrupted) {
    if (cause != stop_cause::output_gone && cause != stop_cause::sigint)
      std::cerr << "gremlin-actors: stopped by " << describe(cause) << "; the results so far are kept\n";
    return exit_code_of(cause);
  }
  if (o.fail_under) {
    auto check = check_fail_under(sum, *o.fail_under);
    if (check.no_verdict) {
      std::cerr << fmt::format("gremlin-actors: no gremlin got a verdict ({}, {}): "
                               "there is no score to hold to --fail-under {:.2f}\n",
                               plural(sum.total, "gremlin"), plural(sum.count(status::error), "error"),
                               check.threshold);
      return exit_below_threshold;
    }
    if (check.below) {
      std::cerr << fmt::format("gremlin-actors: score {:.2f}% is below --fail-under {:.2f}\n", check.score,
                               check.threshold);
      return exit_below_threshold;
    }
  }
  return exit_ok;
}

}  // namespace gremlins::cli

// gremlin-actors: the command line. `run` tests gremlins, `report` re-renders a saved
// results file, `config` shows the effective configuration, `merge` combines shards, `node`
// serves worker slots to a coordinator, `list` lists the gremlins without testing them,
// `show` shows what the last results say of some and their diffs, `apply` writes one mutant
// into the working tree. Every refusal exits 2
// (exit_bad_input, cli/exit_codes.hpp). `run` and `config` take the same options, declared
// from the option table (cli/options.hpp).

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/config_merge.hpp"
#include "cli/exit_codes.hpp"
#include "cli/list_command.hpp"
#include "cli/list_operators_command.hpp"
#include "cli/merge_command.hpp"
#include "cli/node_command.hpp"
#include "cli/options.hpp"
#include "cli/report_command.hpp"
#include "cli/run_command.hpp"
#include "cli/show_command.hpp"
#include "cli/stop_watch.hpp"

namespace {

using namespace gremlins::cli;

void add_report_options(CLI::App& app, report_command_options& r) {
  app.add_option("results", r.results_file, "A results file written by `run --json`")->required();
  app.add_option("--json", r.json, "Write the results JSON again here");
  app.add_option("--report-elements", r.report_elements, "Write a mutation-testing-elements report here");
  app.add_option("--report-html", r.report_html, "Write a self-contained HTML report here");
  app.add_option("--rootdir", r.rootdir, "Where the sources are now (default: as recorded)");
  app.add_option("--fail-under", r.fail_under,
                 "Exit " + std::to_string(exit_below_threshold) + " when the score is below this")->check(CLI::Range(0.0, 100.0));
  app.add_flag("--show-all", r.show_all, "List every survivor");
  app.add_flag("--no-color", r.no_color, "No colours");
  app.add_flag("-q,--quiet", r.quiet, "No console report");
}

void add_merge_options(CLI::App& app, merge_command_options& m) {
  app.add_option("shards", m.shards, "The results files of the shards (`run --shard K/N --json F`)")->required();
  app.add_option("--json", m.json, "Write the merged results JSON here");
  app.add_option("--report-elements", m.report_elements, "Write a mutation-testing-elements report here");
  app.add_option("--report-html", m.report_html, "Write a self-contained HTML report here");
  app.add_flag("-q,--quiet", m.quiet, "No console report");
}

int config_command(run_options& opts, const CLI::App& app) {
  std::string used;
  try {
    auto rows = merge_config_file(opts, app, used);
    std::cout << "# configuration file: " << (used.empty() ? "(none)" : used) << "\n";
    for (const auto& r : rows)
      std::cout << r.key << " = " << (r.value.empty() ? "\"\"" : r.value) << "    # " << r.source << "\n";
  } catch (const std::exception& e) {
    std::cerr << "gremlin-actors: error: " << e.what() << "\n";
    return exit_bad_input;
  }
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  // The runtime decides which gremlin is active; an inherited one would corrupt the baseline.
  unsetenv("ACTIVE_GREMLIN");
  // `gremlin-actors ... | head`: a closed console makes writes fail instead of killing us.
  ignore_sigpipe();
  CLI::App app{"gremlin-actors: runs mutation-testing gremlins in parallel on an actor runtime"};
  app.set_version_flag("--version", std::string("gremlin-actors ") + GREMLINS_VERSION);
  app.require_subcommand(1);
  run_options opts;
  auto* run = app.add_subcommand("run", "Run the baseline, then test every gremlin");
  add_run_options(*run, opts);
  report_command_options ropts;
  auto* report = app.add_subcommand("report", "Render the reports of a saved results file again");
  add_report_options(*report, ropts);
  run_options copts;
  auto* config = app.add_subcommand("config", "Print the effective configuration and where each value comes from");
  auto* node = add_node_subcommand(app);
  merge_command_options mopts;
  auto* merge = app.add_subcommand("merge", "Combine the results files of the shards of one run");
  add_merge_options(*merge, mopts);
  add_run_options(*config, copts);
  list_command_options lopts;
  auto* list = add_list_subcommand(app, lopts);
  saved_gremlin_options sopts, aopts;
  auto* show = add_show_subcommand(app, sopts);
  auto* apply = add_apply_subcommand(app, aopts);
  list_operators_options oplist_opts;
  auto* list_ops = app.add_subcommand("list-operators", "Print the mutation operators (with --pytest: the adapter's)");
  list_ops->add_flag("--pytest", oplist_opts.pytest, "The pytest adapter's operators (the only ones)");
  list_ops->add_option("--python", oplist_opts.python, "The interpreter that runs the adapter (default python3)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? exit_ok : exit_bad_input;  // 0: --help or --version
  }
  if (run->parsed()) return run_command(opts, run);
  if (report->parsed()) return report_command(ropts);
  if (config->parsed()) return config_command(copts, *config);
  if (node->parsed()) return node_command(node);
  if (merge->parsed()) return merge_command(mopts);
  if (list->parsed()) return list_command(lopts, *list);
  if (show->parsed()) return show_command(sopts);
  if (apply->parsed()) return apply_command(aopts);
  if (list_ops->parsed()) return list_operators_command(oplist_opts);
  return exit_bad_input;
}

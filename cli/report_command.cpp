#include "cli/report_command.hpp"

#include <stdexcept>
#include <unistd.h>

#include "cli/exit_codes.hpp"
#include "cli/fail_under.hpp"
#include "cli/progress_line.hpp"
#include "cli/results_files.hpp"
#include "runtime/formats/console_report.hpp"
#include "runtime/formats/elements_report.hpp"
#include "runtime/formats/html_report.hpp"
#include "runtime/formats/results_json.hpp"

namespace gremlins::cli {

namespace {

int fail(std::FILE* err, const std::string& message) {
  std::fprintf(err, "gremlin-actors report: %s\n", message.c_str());
  return exit_bad_input;
}

void write_files(const report_command_options& o, const run_report& report) {
  if (!o.json.empty()) write_results_json(report, o.json);
  if (!o.report_elements.empty()) write_elements_report(report, o.report_elements);
  if (!o.report_html.empty()) write_html_report(report, o.report_html);
}

}  // namespace

int report_command(const report_command_options& o, std::FILE* out, std::FILE* err) {
  run_report report;
  try {
    report = read_results_json(o.results_file);
  } catch (const results_file_error& e) {
    return fail(err, e.what());
  }
  if (!o.rootdir.empty()) report.rootdir = o.rootdir;
  try {
    write_files(o, report);
  } catch (const std::exception& e) {
    // A missing HTML asset or an unwritable path: nothing more can be done without the user.
    return fail(err, e.what());
  }
  summary s = summarize(report.results, report.wall_ms);
  if (!o.quiet) {
    console_options c;
    c.color = color_enabled(o.no_color, ::isatty(::fileno(out)) == 1);
    c.max_survivors = o.max_survivors;
    c.show_all = o.show_all;
    c.mention_unplaced = !o.report_elements.empty() || !o.report_html.empty();
    c.changed_files = changed_sources(report);
    std::fputs(render_console_report(report, c).c_str(), out);
  }
  if (o.fail_under) {
    auto check = check_fail_under(s, *o.fail_under);
    if (check.no_verdict) {
      std::fprintf(err, "gremlin-actors report: no gremlin got a verdict (%s, %s): there "
                        "is no score to hold to --fail-under %.2f%%\n",
                   plural(s.total, "gremlin").c_str(), plural(s.count(status::error), "error").c_str(), check.threshold);
      return exit_below_threshold;
    }
    if (check.below) {
      std::fprintf(err, "gremlin-actors report: score %.2f%% is below --fail-under %.2f%%\n", check.score,
                   check.threshold);
      return exit_below_threshold;
    }
  }
  return exit_ok;
}

}  // namespace gremlins::cli

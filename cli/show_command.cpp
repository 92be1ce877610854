#include "cli/show_command.hpp"

#include <CLI/CLI.hpp>
#include <fmt/color.h>
#include <fmt/format.h>
#include <fnmatch.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <set>

#include "cli/exit_codes.hpp"
#include "cli/progress_line.hpp"
#include "cli/results_files.hpp"
#include "runtime/formats/console_report.hpp"
#include "runtime/formats/input_file.hpp"
#include "runtime/formats/results_json.hpp"
#include "runtime/formats/unified_diff.hpp"
#include "runtime/rules/utf8.hpp"

namespace gremlins::cli {

namespace {

using fmt::terminal_color;

std::optional<run_report> load(const saved_gremlin_options& o, const char* command, std::FILE* err) {
  std::string path = o.results.empty() ? default_results_file(o.project) : o.results;
  try {
    run_report report = read_results_json(path);
    report.rootdir = sources_root(o, report.rootdir);
    return report;
  } catch (const results_file_error& e) {
    std::fprintf(err, "gremlin-actors %s: error: %s%s\n", command, e.what(),
                 o.results.empty() ? " (the results of `gremlin-actors run --pytest`; or give --results FILE)" : "");
    return std::nullopt;
  }
}

bool is_pattern(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

fmt::text_style style_of(status s) {
  switch (s) {
    case status::zapped: return fmt::fg(terminal_color::green);
    case status::timeout: return fmt::fg(terminal_color::yellow);
    case status::error: return fmt::fg(terminal_color::magenta);
    default: return fmt::fg(terminal_color::red);
  }
}

void add_options(CLI::App& sub, saved_gremlin_options& o) {
  sub.add_option("--results", o.results, "The results file (default: PROJECT/.gremlins/results.json)");
  sub.add_option("--project", o.project, "The project whose .gremlins/results.json to read (default: .)");
  sub.add_option("--rootdir", o.rootdir, "Where the sources are now (default: as recorded)");
}

std::string paint(bool on, const std::string& text, const fmt::text_style& style) {
  return on ? fmt::format(style, "{}", text) : text;
}

// One gremlin, as `show` prints it.
std::string describe(const run_report& report, const worker_result& r, const std::set<std::string>& changed,
                     bool color) {
  gremlin g;
  if (auto it = report.gremlins.find(r.gremlin_id); it != report.gremlins.end()) g = it->second;
  std::string out = fmt::format("{}  {}{}\n", paint(color, r.gremlin_id, fmt::emphasis::bold),
                                paint(color, to_string(r.verdict), style_of(r.verdict)),
                                report.reused.count(r.gremlin_id) ? "  (reused from the results store)" : "");
  std::string where = g.file.empty() ? "(no location)" : g.line > 0 ? fmt::format("{}:{}", g.file, g.line) : g.file;
  if (g.line > 0 && g.column > 0) where += fmt::format(":{}", g.column);
  std::string what = !g.description.empty() ? g.description
                     : !g.original.empty()  ? g.original + " to " + g.replacement
                                            : "";
  out += "  " + where + (what.empty() ? "" : "  " + what) +
         (g.operator_name.empty() ? "" : "  (" + g.operator_name + ")") + (g.is_static ? "  static" : "") + "\n";
  if (r.verdict == status::zapped)
    out += "  killed by: " + (r.killing_test.empty() ? std::string("(not known)") : r.killing_test) + "\n";
  else if (r.verdict != status::survived)
    if (auto why = first_line(r.error_output); !why.empty()) out += "  why: " + why + "\n";
  if (!g.has_tests) {
    out += "  covering tests: not known (every test runs)\n";
  } else {
    out += fmt::format("  covering tests: {}\n", g.tests.size());
    for (const auto& t : g.tests) out += "    " + t + "\n";
  }
  if (g.file.empty() || g.line <= 0 || g.column <= 0 || g.original.empty()) {
    out += "  (no diff: the results have no column or original text for it)\n";
    return out;
  }
  input_file source = read_input_file(source_path(report.rootdir, g.file));
  if (!source.problem.empty()) {
    out += fmt::format("  (no diff: {} {})\n", source_path(report.rootdir, g.file), source.problem);
    return out;
  }
  bool was_changed = changed.count(g.file) > 0;
  std::string why;
  auto m = apply_mutant(source.text, g, why);
  if (!m) {
    out += fmt::format("  (no diff: {}{})\n", why, was_changed ? "; the file changed since the run" : "");
    return out;
  }
  if (was_changed)
    out += fmt::format("  note: {} changed since the run; the diff is against it as it is now\n", g.file);
  std::string diff = unified_diff_of(g.file, source.text, *m);
  for (std::size_t p = 0, e = 0; p < diff.size(); p = e + 1) {
    e = diff.find('\n', p);
    std::string line = diff.substr(p, e - p);
    bool header = line.rfind("---", 0) == 0 || line.rfind("+++", 0) == 0;
    fmt::text_style st = header                ? fmt::emphasis::bold
                         : line.rfind("@@", 0) == 0 ? fmt::fg(terminal_color::cyan)
                         : line[0] == '-'       ? fmt::fg(terminal_color::red)
                         : line[0] == '+'       ? fmt::fg(terminal_color::green)
                                                : fmt::text_style{};
    out += (line[0] == ' ' || line[0] == '\\' ? line : paint(color, line, st)) + "\n";
  }
  return out;
}

}  // namespace

std::string sources_root(const saved_gremlin_options& o, const std::string& recorded) {
  if (!o.rootdir.empty()) return o.rootdir;
  if (o.results.empty()) return std::filesystem::absolute(o.project).lexically_normal().string();
  return recorded;
}

CLI::App* add_show_subcommand(CLI::App& app, saved_gremlin_options& o) {
  auto* show = app.add_subcommand(
      "show", "Show gremlins of the last results: status, killing and covering tests, and the diff of the mutant");
  show->add_option("ids", o.ids, "Gremlin ids or glob patterns (calc_*)")->required();
  add_options(*show, o);
  show->add_flag("--no-color", o.no_color, "No colours");
  return show;
}

CLI::App* add_apply_subcommand(CLI::App& app, saved_gremlin_options& o) {
  auto* apply = app.add_subcommand(
      "apply", "Write a gremlin's mutant into the source file (refused when the file changed since the run)");
  apply->add_option("id", o.ids, "The gremlin id")->required()->expected(1);
  add_options(*apply, o);
  return apply;
}

int show_command(const saved_gremlin_options& o, std::FILE* out, std::FILE* err) {
  auto report = load(o, "show", err);
  if (!report) return exit_bad_input;
  std::vector<const worker_result*> chosen;
  std::set<std::string> seen;
  std::vector<std::string> unknown;
  for (const auto& id : o.ids) {
    bool found = false;
    for (const auto& r : report->results) {
      bool match = is_pattern(id) ? ::fnmatch(id.c_str(), r.gremlin_id.c_str(), 0) == 0 : r.gremlin_id == id;
      if (!match) continue;
      found = true;
      if (seen.insert(r.gremlin_id).second) chosen.push_back(&r);
    }
    if (!found) unknown.push_back(id);
  }
  if (!unknown.empty()) {
    std::string list;
    for (const auto& u : unknown) list += (list.empty() ? "'" : ", '") + u + "'";
    std::string path = o.results.empty() ? default_results_file(o.project) : o.results;
    std::fprintf(err, "gremlin-actors show: error: %s %s: not in %s (`gremlin-actors list` lists the gremlins)\n",
                 unknown.size() == 1 ? "no gremlin" : "no gremlins", sanitize_utf8(list).c_str(), path.c_str());
    return exit_bad_input;
  }
  bool color = color_enabled(o.no_color, ::isatty(::fileno(out)) == 1);
  auto changed = changed_sources(*report);
  std::string text;
  for (std::size_t i = 0; i < chosen.size(); ++i)
    text += (i ? "\n" : "") + describe(*report, *chosen[i], changed, color);
  text = sanitize_utf8(text);
  if (std::fputs(text.c_str(), out) == EOF || std::fflush(out) != 0) return exit_output_gone;
  return exit_ok;
}

}  // namespace gremlins::cli

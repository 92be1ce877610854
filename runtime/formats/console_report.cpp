#include "runtime/formats/console_report.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <fmt/color.h>
#include <fmt/format.h>

#include "runtime/formats/unified_diff.hpp"
#include "runtime/rules/utf8.hpp"

namespace gremlins {

namespace {

using fmt::terminal_color;

fmt::text_style color_of(status s) {
  switch (s) {
    case status::zapped: return fmt::fg(terminal_color::green);
    case status::survived: return fmt::fg(terminal_color::red);
    case status::timeout: return fmt::fg(terminal_color::yellow);
    case status::error: return fmt::fg(terminal_color::magenta);
    case status::no_coverage: return fmt::fg(terminal_color::red);
  }
  return {};
}

const fmt::text_style bold = fmt::emphasis::bold;

// Colours through fmt (fmt/color.h), or the text as it is.
struct painter {
  bool on;
  std::string operator()(const std::string& text, const fmt::text_style& style) const {
    return on ? fmt::format(style, "{}", text) : text;
  }
};

// The source files the diffs come from, each read once.
class sources {
 public:
  explicit sources(const run_report& report) : rootdir_(report.rootdir) {}
  const std::string* text(const std::string& file) {
    auto it = cache_.find(file);
    if (it == cache_.end()) {
      std::filesystem::path p(file);
      if (p.is_relative() && !rootdir_.empty()) p = std::filesystem::path(rootdir_) / p;
      std::optional<std::string> text;
      std::ifstream in(p, std::ios::binary);
      if (in) text.emplace(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      it = cache_.emplace(file, std::move(text)).first;
    }
    return it->second ? &*it->second : nullptr;
  }

 private:
  std::string rootdir_;
  std::map<std::string, std::optional<std::string>> cache_;
};

// The lines a gremlin changes and what it makes of them, under its line of the list.
void add_diff(std::string& out, const gremlin& g, sources& files, const console_options& options,
              const painter& paint) {
  if (g.file.empty() || g.line <= 0 || g.column <= 0 || g.original.empty()) return;
  if (options.changed_files.count(g.file)) {
    out += fmt::format("      ({} changed since the run: no diff)\n", g.file);
    return;
  }
  const std::string* text = files.text(g.file);
  if (text == nullptr) return;
  std::string why;
  auto m = apply_mutant(*text, g, why);
  if (!m) {
    out += fmt::format("      (no diff: {})\n", why);
    return;
  }
  constexpr std::size_t most = 4;
  auto side = [&](const std::vector<std::string>& lines, const char* sign, const fmt::text_style& style) {
    for (std::size_t i = 0; i < lines.size() && i < most; ++i)
      out += "    " + paint(sign + lines[i], style) + "\n";
    if (lines.size() > most)
      out += fmt::format("    {}… {} (gremlin-actors show {})\n", sign, plural(lines.size() - most, "more line"),
                         g.id);
  };
  side(m->before, "-", fmt::fg(terminal_color::red));
  side(m->after, "+", fmt::fg(terminal_color::green));
}

// One gremlin as a line: where, what, which operator, and its id for --gremlins reruns.
std::string describe(const worker_result& r, const run_report& report) {
  auto it = report.gremlins.find(r.gremlin_id);
  if (it == report.gremlins.end() || it->second.file.empty())
    return fmt::format("  (no location)  [{}]", r.gremlin_id);
  const gremlin& g = it->second;
  std::string out = "  " + g.file;
  if (g.line > 0) out += fmt::format(":{}", g.line);
  std::string what = g.description;
  if (what.empty() && !g.original.empty()) what = g.original + " to " + g.replacement;
  if (!what.empty()) out += "  " + what;
  if (!g.operator_name.empty()) out += "  (" + g.operator_name + ")";
  return out + "  [" + r.gremlin_id + "]";
}

std::pair<std::string, std::int32_t> place_of(const worker_result& r, const run_report& report) {
  auto it = report.gremlins.find(r.gremlin_id);
  if (it == report.gremlins.end()) return {"\xff", 0};  // unplaced ones last
  return {it->second.file.empty() ? "\xff" : it->second.file, it->second.line};
}

// The gremlins of one status; cancelled ones are not errors (they are counted apart).
std::vector<const worker_result*> with_status(const run_report& report, status s) {
  std::vector<const worker_result*> out;
  for (const auto& r : report.results)
    if (r.verdict == s && !is_cancelled(report, r)) out.push_back(&r);
  std::stable_sort(out.begin(), out.end(), [&](auto* a, auto* b) {
    return place_of(*a, report) < place_of(*b, report);
  });
  return out;
}

// A titled list of gremlins of one status, a blank line between files, cut at the limit.
void list_section(std::string& out, const run_report& report, status s, const char* title,
                  std::size_t limit, const painter& paint, bool with_reason, sources* diffs,
                  const console_options& options) {
  auto items = with_status(report, s);
  if (items.empty()) return;
  out += "\n" + paint(fmt::format("{} ({}):", title, items.size()), color_of(s)) + "\n";
  std::size_t shown = limit == 0 ? items.size() : std::min(limit, items.size());
  std::string previous_file;
  for (std::size_t i = 0; i < shown; ++i) {
    std::string file = place_of(*items[i], report).first;
    if (i > 0 && file != previous_file) out += "\n";
    previous_file = file;
    out += describe(*items[i], report);
    if (with_reason) {
      std::string reason = first_line(items[i]->error_output);
      out += "  " + (reason.empty() ? std::string("(no output)") : reason);
    }
    out += "\n";
    if (diffs != nullptr)
      if (auto it = report.gremlins.find(items[i]->gremlin_id); it != report.gremlins.end())
        add_diff(out, it->second, *diffs, options, paint);
  }
  if (shown < items.size())
    out += fmt::format("  … {} more, use --show-all\n", items.size() - shown);
}

std::size_t unplaced_count(const run_report& report) {
  std::size_t n = 0;
  for (const auto& r : report.results)
    if (place_of(r, report).first == "\xff") ++n;
  return n;
}

std::string score_line(const summary& s, const painter& paint, bool interrupted, std::size_t not_tested) {
  auto detected = s.count(status::zapped) + s.count(status::timeout);
  auto scored = detected + s.count(status::survived) + s.count(status::no_coverage);
  if (interrupted && scored == 0)
    return "Score: none: no gremlin got a verdict before the run was interrupted\n";
  auto code = bold | fmt::fg(s.score >= 80   ? terminal_color::green
                             : s.score >= 60 ? terminal_color::yellow
                                             : terminal_color::red);
  std::string line = fmt::format("Score: {}  = (zapped + timeout) / (zapped + timeout + survived + "
                                 "no_coverage) = {} / {}; errors are not scored",
                                 paint(fmt::format("{:.2f}%", s.score), code), detected, scored);
  if (interrupted)
    line += fmt::format("; over the tested gremlins only: the {} not tested are left out", not_tested);
  return line + "\n";
}

}  // namespace

std::string plural(std::size_t n, const std::string& one, const std::string& many) {
  return fmt::format("{} {}", n, n == 1 ? one : many.empty() ? one + "s" : many);
}

std::string first_line(const std::string& text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (line.find_first_not_of(" \t\r") != std::string::npos) {
      line.erase(0, line.find_first_not_of(" \t"));
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      return line;
    }
    pos = end + 1;
  }
  return {};
}

std::string render_console_report(const run_report& report, const console_options& options) {
  painter paint{options.color};
  summary s = summarize(report.results, report.wall_ms);
  // An interrupted run: the cancelled gremlins, and any the run knew but has no result for,
  // were not tested; they are neither errors nor part of the rate.
  std::size_t cancelled = cancelled_count(report);
  std::size_t unanswered = 0;
  if (report.interrupted) {
    std::set<std::string> answered;
    for (const auto& r : report.results) answered.insert(r.gremlin_id);
    for (const auto& [id, g] : report.gremlins) unanswered += answered.count(id) ? 0 : 1;
  }
  std::size_t not_tested = cancelled + unanswered;
  std::size_t all = s.total + unanswered;
  std::size_t tested = all - not_tested;
  double seconds = report.wall_ms / 1000.0;
  std::string out;
  if (report.interrupted) {
    out += paint("Interrupted: these are the results so far.", bold | fmt::fg(terminal_color::yellow)) + "\n";
    out += fmt::format("gremlin-actors: interrupted after {:.2f} s: {} of {} tested", seconds, tested,
                       plural(all, "gremlin"));
    if (seconds > 0 && tested > 0) out += fmt::format(" ({:.1f} tested/s)", tested / seconds);
  } else {
    out += fmt::format("gremlin-actors: {} in {:.2f} s", plural(s.total, "gremlin"), seconds);
    if (seconds > 0) out += fmt::format(" ({:.1f} gremlins/s)", s.total / seconds);
  }
  if (report.pool.workers > 0)
    out += fmt::format(", {} ({})", plural(report.pool.workers, "worker"),
                       report.pool.executor.empty() ? "?" : report.pool.executor);
  out += "\n";
  for (std::size_t i = 0; i < status_count; ++i) {
    auto st = static_cast<status>(i);
    std::size_t n = s.counts[i] - (st == status::error ? cancelled : 0);
    std::string row = fmt::format("  {:<12}{:>6}", to_string(st), n);
    out += (n > 0 ? paint(row, color_of(st)) : row) + "\n";
  }
  if (report.interrupted) out += fmt::format("  {:<12}{:>6}\n", "not tested", not_tested);
  out += score_line(s, paint, report.interrupted, not_tested);
  if (report.interrupted && not_tested > 0)
    out += "\n" + paint(fmt::format("Not tested (interrupted): {}", not_tested), fmt::fg(terminal_color::yellow)) +
           fmt::format(" {} cancelled before they got a verdict; run again to test them\n",
                       not_tested == 1 ? "gremlin" : "gremlins");
  std::size_t limit = options.show_all ? 0 : options.max_survivors;
  sources files(report);
  sources* diffs = options.diffs ? &files : nullptr;
  list_section(out, report, status::error, "Errors", limit, paint, true, nullptr, options);
  list_section(out, report, status::timeout, "Timeouts", limit, paint, false, nullptr, options);
  list_section(out, report, status::survived, "Survived", limit, paint, false, diffs, options);
  list_section(out, report, status::no_coverage, "Not covered by any test", limit, paint, false, diffs, options);
  std::size_t unplaced = unplaced_count(report);
  if (options.mention_unplaced && unplaced > 0)
    out += fmt::format("\nNote: {} {} no source file in the manifest; the elements/HTML report leaves "
                       "{} out.\n", plural(unplaced, "gremlin"), unplaced == 1 ? "has" : "have",
                       unplaced == 1 ? "it" : "them");
  // Ids, paths and test output may hold any bytes; a terminal gets UTF-8 (U+FFFD for the rest).
  return sanitize_utf8(out);
}

}  // namespace gremlins

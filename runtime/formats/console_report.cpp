#include "runtime/formats/console_report.hpp"

#include <algorithm>
#include <set>
#include <fmt/format.h>

#include "runtime/rules/utf8.hpp"

namespace gremlins {

namespace {

const char* const reset = "\x1b[0m";

const char* color_of(status s) {
  switch (s) {
    case status::zapped: return "\x1b[32m";
    case status::survived: return "\x1b[31m";
    case status::timeout: return "\x1b[33m";
    case status::error: return "\x1b[35m";
    case status::no_coverage: return "\x1b[31m";
  }
  return "";
}

struct painter {
  bool on;
  std::string operator()(const std::string& text, const char* code) const {
    return on ? code + text + reset : text;
  }
};

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
                  std::size_t limit, const painter& paint, bool with_reason) {
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
  const char* code = s.score >= 80 ? "\x1b[1;32m" : s.score >= 60 ? "\x1b[1;33m" : "\x1b[1;31m";
  std::string line = fmt::format("Score: {}  = (zapped + timeout) / (zapped + timeout + survived + "
                                 "no_coverage) = {} / {}; errors are not scored",
                                 paint(fmt::format("{:.2f}%", s.score), code), detected, scored);
  if (interrupted)
    line += fmt::format("; over the tested gremlins only: the {} not tested are left out", not_tested);
  return line + "\n";
}

}  // namespace

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
    out += paint("Interrupted: these are the results so far.", "\x1b[1;33m") + "\n";
    out += fmt::format("gremlin-actors: interrupted after {:.2f} s: {} of {} gremlins tested", seconds,
                       tested, all);
    if (seconds > 0 && tested > 0) out += fmt::format(" ({:.1f} tested/s)", tested / seconds);
  } else {
    out += fmt::format("gremlin-actors: {} gremlins in {:.2f} s", s.total, seconds);
    if (seconds > 0) out += fmt::format(" ({:.1f} gremlins/s)", s.total / seconds);
  }
  if (report.pool.workers > 0)
    out += fmt::format(", {} workers ({})", report.pool.workers,
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
    out += "\n" + paint(fmt::format("Not tested (interrupted): {}", not_tested), "\x1b[33m") +
           fmt::format(" gremlin(s) cancelled before they got a verdict; run again to test them\n");
  std::size_t limit = options.show_all ? 0 : options.max_survivors;
  list_section(out, report, status::error, "Errors", limit, paint, true);
  list_section(out, report, status::timeout, "Timeouts", limit, paint, false);
  list_section(out, report, status::survived, "Survived", limit, paint, false);
  list_section(out, report, status::no_coverage, "Not covered by any test", limit, paint, false);
  std::size_t unplaced = unplaced_count(report);
  if (options.mention_unplaced && unplaced > 0)
    out += fmt::format("\nNote: {} gremlin(s) have no source file in the manifest; the "
                       "elements/HTML report leaves them out.\n", unplaced);
  // Ids, paths and test output may hold any bytes; a terminal gets UTF-8 (U+FFFD for the rest).
  return sanitize_utf8(out);
}

}  // namespace gremlins

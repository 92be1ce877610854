#include "runtime/formats/unified_diff.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include <fmt/format.h>

#include "messages/gremlin.hpp"

namespace gremlins {

namespace {

std::string strip_prefix(std::string path) {
  auto tab = path.find('\t');  // diff -u puts a timestamp after a tab
  if (tab != std::string::npos) path.erase(tab);
  if (path.size() > 2 && (path.compare(0, 2, "b/") == 0 || path.compare(0, 2, "a/") == 0)) path.erase(0, 2);
  return path;
}

bool ends_with_path(const std::string& file, const std::string& tail) {
  if (file == tail) return true;
  return file.size() > tail.size() && file.compare(file.size() - tail.size(), tail.size(), tail) == 0 &&
         file[file.size() - tail.size() - 1] == '/';
}

}  // namespace

changed_lines parse_unified_diff(const std::string& text, const std::string& origin) {
  changed_lines out;
  std::istringstream in(text);
  std::string line, current;
  int new_line = 0, remaining = 0, n = 0;
  bool in_hunk = false;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.compare(0, 4, "+++ ") == 0) {
      auto path = strip_prefix(line.substr(4));
      current = path == "/dev/null" ? std::string() : path;
      in_hunk = false;
      continue;
    }
    if (line.compare(0, 3, "@@ ") == 0) {
      int old_start = 0, old_count = 1, start = 0, count = 1;
      if (std::sscanf(line.c_str(), "@@ -%d,%d +%d,%d", &old_start, &old_count, &start, &count) != 4 &&
          std::sscanf(line.c_str(), "@@ -%d +%d,%d", &old_start, &start, &count) != 3 &&
          std::sscanf(line.c_str(), "@@ -%d,%d +%d", &old_start, &old_count, &start) != 3 &&
          std::sscanf(line.c_str(), "@@ -%d +%d", &old_start, &start) != 2)
        throw diff_error(origin + ":" + std::to_string(n) + ": not a hunk header: " + line);
      if (current.empty() && count > 0)
        throw diff_error(origin + ":" + std::to_string(n) + ": a hunk before any '+++ FILE' line");
      new_line = start;
      remaining = count;
      in_hunk = true;
      continue;
    }
    if (!in_hunk || remaining <= 0) continue;
    if (line.empty() || line[0] == ' ') {
      ++new_line;
      --remaining;
    } else if (line[0] == '+') {
      auto& ranges = out[current];
      if (!ranges.empty() && ranges.back().second == new_line - 1) ranges.back().second = new_line;
      else ranges.emplace_back(new_line, new_line);
      ++new_line;
      --remaining;
    }
    // '-' lines and "\ No newline at end of file" do not move the new side.
  }
  return out;
}

bool touches(const changed_lines& changes, const std::string& file, int first, int last) {
  if (last < first) last = first;
  for (const auto& [path, ranges] : changes) {
    if (!ends_with_path(file, path) && !ends_with_path(path, file)) continue;
    for (const auto& [a, b] : ranges)
      if (a <= last && first <= b) return true;
  }
  return false;
}

namespace {

// The byte offset in `source` of character column `column` (1-based) of line `line` (1-based),
// or npos when the line does not exist or is shorter. Lines end at "\n" only.
std::size_t offset_of(const std::string& source, const std::vector<std::size_t>& starts, int line,
                      int column) {
  if (line < 1 || column < 1 || static_cast<std::size_t>(line) > starts.size()) return std::string::npos;
  std::size_t pos = starts[static_cast<std::size_t>(line) - 1];
  std::size_t end = source.find('\n', pos);
  if (end == std::string::npos) end = source.size();
  for (int c = 1; c < column; ++c) {
    if (pos >= end) return std::string::npos;
    ++pos;  // past a lead byte, then past its continuation bytes
    while (pos < end && (static_cast<unsigned char>(source[pos]) & 0xC0) == 0x80) ++pos;
  }
  return pos;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string hunk_range(int start, int count) {
  if (count == 0) return fmt::format("{},0", start - 1 < 0 ? 0 : start - 1);
  return count == 1 ? fmt::format("{}", start) : fmt::format("{},{}", start, count);
}

}  // namespace

std::optional<mutant> apply_mutant(const std::string& source, const gremlin& g, std::string& why) {
  if (g.line <= 0 || g.column <= 0) {
    why = "the manifest gives no column for it";
    return std::nullopt;
  }
  if (g.original.empty()) {
    why = "the manifest gives no original text for it";
    return std::nullopt;
  }
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0; i < source.size(); ++i)
    if (source[i] == '\n' && i + 1 < source.size()) starts.push_back(i + 1);
  std::size_t begin = offset_of(source, starts, g.line, g.column);
  if (begin == std::string::npos) {
    why = fmt::format("line {} column {} is not in the file", g.line, g.column);
    return std::nullopt;
  }
  std::size_t end = g.end_line > 0 ? offset_of(source, starts, g.end_line, g.end_column) : begin + g.original.size();
  if (end == std::string::npos || end < begin || end > source.size()) {
    why = fmt::format("line {} column {} is not in the file", g.end_line, g.end_column);
    return std::nullopt;
  }
  if (source.compare(begin, end - begin, g.original) != 0) {
    why = fmt::format("the file has other text at line {} column {} than the gremlin's '{}' (it changed "
                      "since the gremlins were made)", g.line, g.column, g.original);
    return std::nullopt;
  }
  mutant m;
  m.first_line = g.line;
  std::size_t line_begin = starts[static_cast<std::size_t>(g.line) - 1];
  std::size_t line_end = source.find('\n', end);
  if (line_end == std::string::npos) line_end = source.size();
  m.before = split_lines(source.substr(line_begin, line_end - line_begin));
  if (m.before.empty()) m.before.emplace_back();
  std::string changed = source.substr(line_begin, begin - line_begin) + g.replacement +
                        source.substr(end, line_end - end);
  m.after = split_lines(changed);
  if (changed.empty() || changed.back() == '\n') m.after.emplace_back();
  m.mutated_source = source.substr(0, begin) + g.replacement + source.substr(end);
  return m;
}

std::string unified_diff_of(const std::string& path, const std::string& source, const mutant& m,
                            int context) {
  auto lines = split_lines(source);
  bool ends_in_newline = source.empty() || source.back() == '\n';
  int total = static_cast<int>(lines.size());
  int first = m.first_line;
  int last = first + static_cast<int>(m.before.size()) - 1;
  int from = std::max(1, first - context);
  int to = std::min(total, last + context);
  // A line is followed by "\ No newline at end of file" when it is the file's last line and
  // the file does not end in a newline (on the new side too, when the change reaches it).
  auto marker = [&](int line_no) { return !ends_in_newline && line_no == total; };
  std::string body;
  int old_count = 0, new_count = 0;
  for (int n = from; n < first; ++n, ++old_count, ++new_count) body += " " + lines[n - 1] + "\n";
  for (std::size_t i = 0; i < m.before.size(); ++i, ++old_count) {
    body += "-" + m.before[i] + "\n";
    if (marker(first + static_cast<int>(i))) body += "\\ No newline at end of file\n";
  }
  for (std::size_t i = 0; i < m.after.size(); ++i, ++new_count) {
    body += "+" + m.after[i] + "\n";
    if (marker(last) && i + 1 == m.after.size()) body += "\\ No newline at end of file\n";
  }
  for (int n = last + 1; n <= to; ++n, ++old_count, ++new_count) {
    body += " " + lines[n - 1] + "\n";
    if (marker(n)) body += "\\ No newline at end of file\n";
  }
  int new_from = from;  // the lines before the change are the same on both sides
  return fmt::format("--- a/{}\n+++ b/{}\n@@ -{} +{} @@\n", path, path, hunk_range(from, old_count),
                     hunk_range(new_from, new_count)) + body;
}

}  // namespace gremlins

#include "runtime/formats/unified_diff.hpp"

#include <cstdio>
#include <sstream>

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

}  // namespace gremlins

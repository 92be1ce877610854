#include "cli/results_files.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "runtime/remote/identity.hpp"

namespace fs = std::filesystem;

namespace gremlins::cli {

namespace {

// A path as the user can type it from here: relative to the working folder when inside it.
std::string shown(const std::string& path) {
  std::error_code ec;
  auto abs = fs::absolute(path, ec).lexically_normal();
  auto cwd = fs::current_path(ec);
  if (ec) return path;
  auto rel = abs.lexically_relative(cwd);
  if (!rel.empty() && rel.native().rfind("..", 0) != 0) return rel.string();
  return abs.string();
}

std::string file_url(const std::string& path) {
  std::error_code ec;
  auto abs = fs::absolute(path, ec).lexically_normal().string();
  std::string url = "file://";
  for (unsigned char c : abs) {
    bool plain = std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
    url += plain ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  return url;
}

}  // namespace

std::string default_results_file(const std::string& project) {
  if (project.empty() || project == ".") return ".gremlins/results.json";
  return (fs::path(project) / ".gremlins" / "results.json").string();
}

std::string file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return {};
  return sha256_hex(text);
}

std::string source_path(const std::string& rootdir, const std::string& file) {
  fs::path p(file);
  if (p.is_relative() && !rootdir.empty()) p = fs::path(rootdir) / p;
  return p.string();
}

std::map<std::string, std::string> digest_sources(const std::vector<gremlin>& gremlins,
                                                  const std::string& rootdir) {
  std::map<std::string, std::string> out;
  for (const auto& g : gremlins) {
    if (g.file.empty() || out.count(g.file)) continue;
    auto digest = file_digest(source_path(rootdir, g.file));
    if (!digest.empty()) out.emplace(g.file, std::move(digest));
  }
  return out;
}

std::set<std::string> changed_sources(const run_report& report) {
  std::set<std::string> out;
  for (const auto& [file, digest] : report.source_digests)
    if (file_digest(source_path(report.rootdir, file)) != digest) out.insert(file);
  return out;
}

std::string render_results_places(const results_places& p) {
  if (p.results_json.empty() && p.store.empty() && p.elements.empty() && p.html.empty())
    return "\nResults: not kept (no --json, --store, --report-elements or --report-html); "
           "`--json FILE` keeps them for `gremlin-actors report`, `show` and `apply`\n";
  std::string out = "\nResults:\n";
  if (!p.results_json.empty())
    out += fmt::format("  results file   {}  (read by gremlin-actors report, show ID, apply ID)\n",
                       shown(p.results_json));
  if (!p.store.empty()) out += fmt::format("  results store  {}  (verdicts reused by the next run)\n", shown(p.store));
  if (!p.elements.empty()) out += fmt::format("  elements JSON  {}\n", shown(p.elements));
  if (!p.html.empty())
    out += fmt::format("  HTML report    {}  (open it in a browser: xdg-open {}, or {})\n", shown(p.html),
                       shown(p.html), file_url(p.html));
  return out;
}

}  // namespace gremlins::cli

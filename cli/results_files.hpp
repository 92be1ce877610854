#pragma once
// What `run`, `show` and `apply` share about the results of a run on disk: where the results
// of a project are kept, the digests of the source files taken when a run starts (results
// JSON "sources"), and the lines at the end of a run that say where everything went.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "messages/gremlin.hpp"
#include "runtime/formats/run_report.hpp"

namespace gremlins::cli {

/// PROJECT/.gremlins/results.json: where `run --pytest` writes its results file, and what
/// `show` and `apply` read unless told `--results FILE`.
std::string default_results_file(const std::string& project);

/// SHA-256 (hex) of the file at `path`, or "" when it cannot be read.
std::string file_digest(const std::string& path);

/// The digest of every file the gremlins name (by the manifest's `file` text; a relative path
/// is taken from `rootdir`). Files that cannot be read are left out.
std::map<std::string, std::string> digest_sources(const std::vector<gremlin>& gremlins,
                                                  const std::string& rootdir);

/// `file` (a manifest path) as a path to open: from `rootdir` unless it is absolute.
std::string source_path(const std::string& rootdir, const std::string& file);

/// The manifest paths of `report.source_digests` whose file now has another digest, or cannot
/// be read.
std::set<std::string> changed_sources(const run_report& report);

/// Where a run's results went, for the end of its console report.
struct results_places {
  std::string results_json;     ///< --json, or .gremlins/results.json with --pytest
  std::string store;            ///< the results store, when one was used
  std::string elements;         ///< --report-elements
  std::string html;             ///< --report-html
};

/// "Results:" and one line a place (paths shown relative to the working folder when inside
/// it), with how to open the HTML report (`xdg-open PATH`, and its file:// address); or, when
/// nothing was kept, how to keep it.
std::string render_results_places(const results_places& places);

}  // namespace gremlins::cli

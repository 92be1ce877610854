#pragma once
// The results JSON file (docs/results-json.md): written after a run, read back by `gremlin-actors report`.

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/formats/run_report.hpp"

namespace gremlins {

/// The value of the results file's "schema" field.
inline constexpr const char* results_schema = "gremlin-actors/results/1";

/// A results file that cannot be read back; the message names the file and the field.
class results_file_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The results document: schema, summary, pool, rootdir, interrupted, tests and results sorted
/// by gremlin_id, each with the manifest fields the run knew (enough to re-render every report).
nlohmann::json to_results_json(const run_report& report);

/// Writes `to_results_json(report)` to `path` through a temporary file and a rename, so a reader
/// never sees half a file. Throws std::runtime_error naming the path when it cannot.
void write_results_json(const run_report& report, const std::string& path);

/// Reads a file written by `write_results_json`. Throws results_file_error naming the file and
/// the field for anything else (missing file, bad JSON, wrong schema, wrong type).
run_report read_results_json(const std::string& path);

/// Parses an already loaded results document; `origin` names it in error messages.
run_report results_from_json(const nlohmann::json& doc, const std::string& origin);

}  // namespace gremlins

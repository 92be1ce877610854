#pragma once
// The mutation-testing-elements report (schemaVersion 2), the format Stryker and others share:
// https://github.com/stryker-mutator/mutation-testing-elements (mutation-testing-report-schema).

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/formats/run_report.hpp"

namespace gremlins {

/// The report: `files` keyed by the manifest's relative path, with `language`, `source` (read
/// from rootdir/file; empty when unreadable) and `mutants`; `testFiles` when test ids are known;
/// `thresholds`, `performance`, `framework`, `projectRoot`. Gremlins without a file in the
/// manifest cannot be placed in a source and are left out (the console report counts them).
nlohmann::json to_elements_report(const run_report& report);

/// Writes `to_elements_report(report)` to `path` (temporary file + rename).
void write_elements_report(const run_report& report, const std::string& path);

/// The elements status of a gremlin status: Killed, Survived, Timeout, RuntimeError, NoCoverage.
const char* elements_status(status s);

/// The language of a source file for syntax highlighting, from its extension ("python", "cpp",
/// "javascript", ...); "plaintext" when unknown.
std::string language_of(const std::string& path);

}  // namespace gremlins

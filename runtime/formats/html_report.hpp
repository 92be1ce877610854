#pragma once
// The HTML report: one self-contained file that renders the elements report offline with the
// mutation-testing-elements web component (installed by scripts/install-report-assets.sh).

#include <stdexcept>
#include <string>

#include "runtime/formats/run_report.hpp"

namespace gremlins {

/// The report assets are not installed; the message names the missing file and the script.
class missing_asset_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Where the report assets (an npm prefix with node_modules/) are: $GREMLIN_ASSETS_DIR when set,
/// else /usr/local/share/gremlin-actors/npm (the install script's default).
std::string report_assets_dir();

/// The web component's bundle inside the assets folder.
std::string elements_script_path();

/// The official JSON schema of the elements report inside the assets folder.
std::string elements_schema_path();

/// The project's name for the report's title: `name` in `[project]` (or `[tool.poetry]`) of
/// ROOTDIR/pyproject.toml, else ROOTDIR's folder name (the current folder's when empty).
std::string project_name(const std::string& rootdir);

/// The HTML page for `report`, with `script` (the component's bundle) and the report inlined.
/// With `selftest`, a small script copies the rendered text out of the shadow DOM into a
/// <pre id="gremlin-selftest"> for headless tests.
std::string render_html_report(const run_report& report, const std::string& script, bool selftest);

/// Writes the HTML report of `report` to `path`. The self-test hook is added when the
/// environment has GREMLIN_HTML_SELFTEST=1. Throws missing_asset_error when the bundle is not
/// installed, std::runtime_error when `path` cannot be written.
void write_html_report(const run_report& report, const std::string& path);

}  // namespace gremlins

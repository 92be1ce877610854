#include "runtime/formats/html_report.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "runtime/formats/elements_report.hpp"
#include "runtime/formats/atomic_file.hpp"
#include "runtime/formats/json_text.hpp"
#include "runtime/formats/results_json.hpp"

namespace gremlins {

namespace {

const char* const default_assets_dir = "/usr/local/share/gremlin-actors/npm";

bool contains_nocase(const std::string& text, const std::string& needle) {
  auto it = std::search(text.begin(), text.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  return it != text.end();
}

// Inside a JSON document '<', '>' and '&' only occur in strings, where \u escapes mean the same:
// the text can then never close the <script> element that holds it.
std::string json_for_script(const nlohmann::json& doc) {
  std::string out;
  // Every string is valid UTF-8 already; `replace` makes sure dump() cannot throw regardless.
  for (char c : doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

std::string base64(const std::string& in) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += digits[(n >> 18) & 63];
    out += digits[(n >> 12) & 63];
    out += i + 1 < in.size() ? digits[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? digits[n & 63] : '=';
  }
  return out;
}

// A script without "<script" or "</script" cannot end or nest its element early, so it is
// inlined as it is; any other goes in as a base64 data: URL, which no HTML parser looks into.
std::string script_element(const std::string& script) {
  if (!contains_nocase(script, "<script") && !contains_nocase(script, "</script"))
    return "<script>\n" + script + "\n</script>\n";
  return "<script src=\"data:text/javascript;base64," + base64(script) + "\"></script>\n";
}

// Test hook: walks the shadow roots and copies what they show into the light DOM, for the
// overview, then for every file view it links to: its text, the exact text each mutant marks in
// the source ("marked in"), its text with the first surviving mutant selected (the drawer shows
// the description), and, selecting each survivor in turn, the mutated lines the view shows
// ("diff ID in"), so `chromium --dump-dom` can see it all.
const char* const selftest_script = R"JS(<script>
(function () {
  function walk(node, visit) {
    if (node.shadowRoot) walk(node.shadowRoot, visit);
    for (var c = node.firstChild; c; c = c.nextSibling) { visit(c); walk(c, visit); }
  }
  function deepText(node) {
    var text = '';
    walk(node, function (c) {
      if (c.nodeType === 3) text += ' ' + c.textContent;
      else if (c.nodeType === 1 && c.getAttribute('data-mutant-id') && c.tagName === 'SPAN')
        text += ' [mutant ' + c.getAttribute('data-mutant-id') + ' ' + c.getAttribute('title') + ']';
    });
    return text.replace(/\s+/g, ' ');
  }
  function find(root, test) {
    var found = [];
    walk(root, function (c) { if (c.nodeType === 1 && test(c)) found.push(c); });
    return found;
  }
  function hasClass(c, name) { return (c.getAttribute('class') || '').split(/\s+/).indexOf(name) >= 0; }
  var app = document.querySelector('mutation-test-report-app');
  var out = document.createElement('pre');
  out.id = 'gremlin-selftest';
  document.body.appendChild(out);
  var steps = null;
  function capture(label) {
    out.textContent += '\n=== ' + label + ' ===\n' + deepText(app) + '\n';
  }
  // One line per mutant: its id, a tab, the source text inside its marks (JSON).
  function captureMarks(label) {
    var marked = {}, order = [];
    walk(app, function (c) {
      if (c.nodeType !== 3) return;
      for (var e = c.parentNode; e; e = e.parentNode) {
        if (e.nodeType === 1 && e.tagName === 'SPAN' && e.getAttribute('data-mutant-id') && hasClass(e, 'mutant')) {
          var id = e.getAttribute('data-mutant-id');
          if (!(id in marked)) { marked[id] = ''; order.push(id); }
          marked[id] += c.textContent;
        }
      }
    });
    out.textContent += '\n=== marked in ' + label + ' ===\n' +
        order.map(function (id) { return id + '\t' + JSON.stringify(marked[id]); }).join('\n') + '\n';
  }
  function survivorDots() {
    return find(app, function (c) { return hasClass(c, 'mutant-dot') && hasClass(c, 'Survived'); });
  }
  function captureDiff(id, label) {
    var lines = find(app, function (c) { return c.tagName === 'TR' && hasClass(c, 'diff-new'); })
        .map(function (r) { var td = r.querySelector('td.code'); return td ? td.textContent : ''; });
    var focus = find(app, function (c) { return hasClass(c, 'diff-focus'); })
        .map(function (f) { return f.textContent; });
    out.textContent += '\n=== diff ' + id + ' in ' + label + ' ===\n' +
        JSON.stringify({lines: lines, focus: focus}) + '\n';
  }
  function selectEach(ids, first) {
    if (ids.length === 0) { next(); return; }
    var id = ids.shift();
    var dot = survivorDots().filter(function (d) { return d.getAttribute('data-mutant-id') === id; })[0];
    if (!dot) { selectEach(ids, first); return; }
    dot.dispatchEvent(new MouseEvent('click', {bubbles: true, composed: true}));
    setTimeout(function () {
      if (first) capture('selected survivor in ' + location.hash);
      captureDiff(id, location.hash);
      selectEach(ids, false);
    }, 300);
  }
  function next() {
    if (steps === null) {
      capture('view #overview');
      steps = [];
      find(app, function (c) { return (c.getAttribute('href') || '').indexOf('#mutant/') >= 0; })
          .forEach(function (a) {
            var h = a.getAttribute('href');
            h = h.substring(h.indexOf('#mutant/'));
            if (steps.indexOf(h) < 0) steps.push(h);
          });
    }
    if (steps.length === 0) { out.setAttribute('data-done', 'yes'); return; }
    location.hash = steps.shift();
    setTimeout(function () {
      capture('view ' + location.hash);
      captureMarks(location.hash);
      selectEach(survivorDots().map(function (d) { return d.getAttribute('data-mutant-id'); }), true);
    }, 400);
  }
  setTimeout(next, 500);
})();
</script>
)JS";

// Text for an HTML element or a quoted attribute.
std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else if (c == '\'') out += "&#39;";
    else out += c;
  }
  return out;
}

// `name` of [project] (PEP 621), else of [tool.poetry]; empty when there is none or the file
// cannot be read as TOML (the run itself reports bad configuration; a title never fails).
std::string pyproject_name(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return {};
  try {
    toml::table doc = toml::parse_file(file.string());
    for (const char* table : {"project", "tool.poetry"})
      if (auto name = doc.at_path(std::string(table) + ".name").value<std::string>(); name && !name->empty())
        return *name;
  } catch (const std::exception&) {
  }
  return {};
}

}  // namespace

std::string project_name(const std::string& rootdir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path root = fs::absolute(rootdir.empty() ? fs::path(".") : fs::path(rootdir), ec).lexically_normal();
  std::string name = json_text(pyproject_name(root / "pyproject.toml"));
  if (!name.empty()) return name;
  // "/home/me/calc/" normalizes to "/home/me/calc/": its last named part is the folder.
  for (auto it = root.end(); it != root.begin();) {
    std::string part = (--it)->string();
    if (!part.empty() && part != "/" && part != "." && part != "..") return json_text(part);
  }
  return "project";
}

std::string report_assets_dir() {
  const char* env = std::getenv("GREMLIN_ASSETS_DIR");
  return env && *env ? env : default_assets_dir;
}

std::string elements_script_path() {
  return report_assets_dir() + "/node_modules/mutation-testing-elements/dist/mutation-test-elements.js";
}

std::string elements_schema_path() {
  return report_assets_dir() +
         "/node_modules/mutation-testing-report-schema/dist/src/mutation-testing-report-schema.json";
}

std::string render_html_report(const run_report& report, const std::string& script, bool selftest) {
  // The page is the project's: its title names it (the component shows "All files - NAME").
  std::string name = html_escape(project_name(report.rootdir));
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>" + name + " - mutation report</title>\n" +
      script_element(script) +
      "</head>\n<body>\n"
      "<mutation-test-report-app title-postfix=\"" + name + "\"></mutation-test-report-app>\n"
      "<script type=\"application/json\" id=\"gremlin-report\">" +
      json_for_script(to_elements_report(report)) +
      "</script>\n<script>\n"
      "document.querySelector('mutation-test-report-app').report =\n"
      "    JSON.parse(document.getElementById('gremlin-report').textContent);\n"
      "</script>\n";
  if (selftest) html += selftest_script;
  return html + "</body>\n</html>\n";
}

void write_html_report(const run_report& report, const std::string& path) {
  std::string js_path = elements_script_path();
  std::ifstream in(js_path, std::ios::binary);
  if (!in)
    throw missing_asset_error(
        "the HTML report needs " + js_path +
        " (the mutation-testing-elements web component), which is not installed: run "
        "scripts/install-report-assets.sh as root, or set GREMLIN_ASSETS_DIR to the folder "
        "it installed into");
  std::string script(std::istreambuf_iterator<char>(in), {});
  const char* selftest = std::getenv("GREMLIN_HTML_SELFTEST");
  bool hook = selftest && std::string(selftest) == "1";
  write_file_atomically(path, render_html_report(report, script, hook), "HTML report");
}

}  // namespace gremlins

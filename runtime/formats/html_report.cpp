#include "runtime/formats/html_report.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "runtime/formats/elements_report.hpp"
#include "runtime/formats/atomic_file.hpp"
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
// overview, then for every file view it links to, then with that file's first surviving mutant
// selected (its drawer shows the description), so `chromium --dump-dom` can see it all.
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
  var app = document.querySelector('mutation-test-report-app');
  var out = document.createElement('pre');
  out.id = 'gremlin-selftest';
  document.body.appendChild(out);
  var steps = null;
  function capture(label) {
    out.textContent += '\n=== ' + label + ' ===\n' + deepText(app) + '\n';
  }
  function selectSurvivor() {
    var dots = find(app, function (c) {
      return (c.getAttribute('class') || '').indexOf('mutant-dot') >= 0 &&
          (c.getAttribute('class') || '').indexOf('Survived') >= 0;
    });
    if (dots.length === 0) return false;
    dots[0].dispatchEvent(new MouseEvent('click', {bubbles: true, composed: true}));
    return true;
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
      if (!selectSurvivor()) { next(); return; }
      setTimeout(function () { capture('selected survivor in ' + location.hash); next(); }, 400);
    }, 400);
  }
  setTimeout(next, 500);
})();
</script>
)JS";

}  // namespace

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
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>gremlin-actors mutation report</title>\n" +
      script_element(script) +
      "</head>\n<body>\n"
      "<mutation-test-report-app title-postfix=\"gremlin-actors\"></mutation-test-report-app>\n"
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

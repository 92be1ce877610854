#include "runtime/formats/manifest.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "runtime/formats/input_file.hpp"
#include "runtime/rules/utf8.hpp"

namespace gremlins {

namespace {

using nlohmann::json;

// nlohmann's DOM keeps no positions, so after a successful parse this scanner walks the
// (valid) text once more and remembers the line where each value starts, by JSON pointer, and
// the byte span and field name ("gremlins[1].id") of every string, keys included.
class line_index {
public:
  /// `with_strings`: also record the spans of strings for field_at (only for a refusal: a big
  /// manifest has millions of strings).
  explicit line_index(const std::string& text, bool with_strings = false)
      : s_(text), with_strings_(with_strings) {
    value("", "");
  }

  int line_of(const std::string& pointer) const {
    auto it = lines_.find(pointer);
    return it == lines_.end() ? 0 : it->second;
  }

  /// The field whose string (or key) holds byte `offset`, or "" when none does.
  std::string field_at(std::size_t offset) const {
    for (const auto& sp : strings_)
      if (offset >= sp.begin && offset < sp.end) return sp.field;
    return {};
  }

private:
  struct span {
    std::size_t begin, end;
    std::string field;
  };
  static std::string member(const std::string& field, const std::string& key) {
    bool plain = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0]));
    for (unsigned char ch : key) plain = plain && (std::isalnum(ch) || ch == '_');
    if (plain) return field.empty() ? key : field + "." + key;
    return (field.empty() ? std::string("(top level)") : field) + "[\"" + key + "\"]";
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      if (s_[i_] == '\n') ++line_;
      ++i_;
    }
  }
  std::string string_token() {
    std::string out;
    ++i_;  // opening quote
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') out += s_[i_++];
      out += s_[i_++];
    }
    ++i_;
    return out;
  }
  void value(const std::string& ptr, const std::string& field) {
    skip_ws();
    lines_.emplace(ptr, line_);
    if (i_ >= s_.size()) return;
    char c = s_[i_];
    if (c == '{') {
      ++i_;
      for (skip_ws(); i_ < s_.size() && s_[i_] != '}'; skip_ws()) {
        if (s_[i_] == ',') { ++i_; continue; }
        auto key_line = line_;
        auto key_begin = i_;
        auto key = string_token();
        auto key_field = with_strings_ ? member(field, key) : std::string();
        if (with_strings_) strings_.push_back({key_begin, i_, key_field});
        lines_.emplace(ptr + "/" + key, key_line);
        skip_ws();
        ++i_;  // ':'
        value(ptr + "/" + key, key_field);
      }
      ++i_;
    } else if (c == '[') {
      ++i_;
      std::size_t n = 0;
      for (skip_ws(); i_ < s_.size() && s_[i_] != ']'; skip_ws()) {
        if (s_[i_] == ',') { ++i_; continue; }
        auto index = std::to_string(n++);
        value(ptr + "/" + index,
              with_strings_ ? (field.empty() ? std::string("(top level)") : field) + "[" + index + "]"
                            : std::string());
      }
      ++i_;
    } else if (c == '"') {
      auto begin = i_;
      string_token();
      if (with_strings_) strings_.push_back({begin, i_, field});
    } else {
      while (i_ < s_.size() && std::string_view(",]} \t\r\n").find(s_[i_]) == std::string_view::npos) ++i_;
    }
  }

  const std::string& s_;
  bool with_strings_;
  std::size_t i_ = 0;
  int line_ = 1;
  std::unordered_map<std::string, int> lines_;
  std::vector<span> strings_;
};

// Every refusal: the message may quote a path or a token, which need not be valid UTF-8.
[[noreturn]] void refuse(const std::string& message) { throw input_error(sanitize_utf8(message)); }

std::string read_file(const std::string& path, const char* what) {
  input_file in = read_input_file(path);
  if (!in.problem.empty()) refuse(std::string(what) + " " + path + ": " + in.problem);
  return std::move(in.text);
}

std::string hex_byte(char c) {
  static const char* digits = "0123456789abcdef";
  auto b = static_cast<unsigned char>(c);
  return std::string("0x") + digits[b >> 4] + digits[b & 15];
}

// JSON text must be UTF-8; nlohmann would say "not valid JSON" and quote the bad bytes. This
// names the line, the field (when the rest of the document is sound) and the byte instead.
void check_utf8(const std::string& text, const std::string& name) {
  std::size_t bad = first_invalid_utf8(text);
  if (bad == text.size()) return;
  auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
  auto line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
  auto column = bad - (line_start == std::string::npos || bad == 0 ? 0 : line_start + 1) + 1;
  std::string field;
  if (!json::parse(sanitize_utf8(text), nullptr, false).is_discarded()) {
    line_index spans(text, true);  // same structure: only bytes inside strings were replaced
    field = spans.field_at(bad);
  }
  refuse(name + ":" + std::to_string(line) + ": " + (field.empty() ? "" : field + ": ") +
         "not valid UTF-8 (byte " + hex_byte(text[bad]) + " at column " + std::to_string(column) +
         "); the manifest must be UTF-8");
}

struct checker {
  const std::string& name;
  const line_index& lines;

  [[noreturn]] void fail(const std::string& ptr, const std::string& field, const std::string& why) const {
    refuse(name + ":" + std::to_string(lines.line_of(ptr)) + ": " + field + ": " + why);
  }
  std::string str(const json& obj, const std::string& ptr, const std::string& field, const char* key,
                  bool required = false) const {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) fail(ptr, field, std::string("the required field '") + key + "' is missing");
      return {};
    }
    if (!it->is_string()) fail(ptr + "/" + key, field + "." + key, "expected a string, got " + it->dump());
    return it->get<std::string>();
  }
  std::int32_t integer(const json& obj, const std::string& ptr, const std::string& field,
                       const char* key) const {
    auto it = obj.find(key);
    if (it == obj.end()) return 0;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > INT32_MAX)
      fail(ptr + "/" + key, field + "." + key, "expected a non-negative integer, got " + it->dump());
    return it->get<std::int32_t>();
  }
};

gremlin parse_gremlin(const json& item, std::size_t n, const checker& c) {
  auto ptr = "/gremlins/" + std::to_string(n);
  auto field = "gremlins[" + std::to_string(n) + "]";
  if (!item.is_object()) c.fail(ptr, field, "expected an object, got " + item.dump());
  gremlin g;
  g.id = c.str(item, ptr, field, "id", true);
  if (auto why = check_gremlin_id(g.id); !why.empty()) c.fail(ptr + "/id", field + ".id", why);
  g.file = c.str(item, ptr, field, "file");
  g.line = c.integer(item, ptr, field, "line");
  g.column = c.integer(item, ptr, field, "column");
  g.end_line = c.integer(item, ptr, field, "end_line");
  g.end_column = c.integer(item, ptr, field, "end_column");
  g.operator_name = c.str(item, ptr, field, "operator");
  g.description = c.str(item, ptr, field, "description");
  g.original = c.str(item, ptr, field, "original");
  g.replacement = c.str(item, ptr, field, "replacement");
  g.fingerprint = c.str(item, ptr, field, "fingerprint");
  if (auto it = item.find("tests"); it != item.end()) {
    if (!it->is_array()) c.fail(ptr + "/tests", field + ".tests", "expected a list of test ids, got " + it->dump());
    g.has_tests = true;
    for (std::size_t k = 0; k < it->size(); ++k) {
      const auto& t = (*it)[k];
      if (!t.is_string() || t.get<std::string>().empty())
        c.fail(ptr + "/tests/" + std::to_string(k), field + ".tests[" + std::to_string(k) + "]",
               "expected a non-empty test id string, got " + t.dump());
      g.tests.push_back(t.get<std::string>());
    }
  }
  if (auto it = item.find("static"); it != item.end()) {
    if (!it->is_boolean()) c.fail(ptr + "/static", field + ".static", "expected true or false, got " + it->dump());
    g.is_static = it->get<bool>();
  }
  if (auto it = item.find("zygote"); it != item.end()) {
    if (!it->is_boolean()) c.fail(ptr + "/zygote", field + ".zygote", "expected true or false, got " + it->dump());
    g.zygote = it->get<bool>();
  }
  return g;
}

}  // namespace

std::string check_gremlin_id(const std::string& id) {
  if (id.empty()) return "a gremlin id must not be empty";
  if (auto bad = first_invalid_utf8(id); bad < id.size())
    return "a gremlin id must be valid UTF-8 (byte " + hex_byte(id[bad]) + " at offset " +
           std::to_string(bad) + " is not)";
  for (std::size_t i = 0; i < id.size(); ++i) {
    auto ch = static_cast<unsigned char>(id[i]);
    // C0 controls, space, DEL, and the C1 controls U+0080..U+009F (encoded C2 80..C2 9F).
    bool c1 = ch == 0xC2 && i + 1 < id.size() && static_cast<unsigned char>(id[i + 1]) <= 0x9F;
    if (ch <= ' ' || ch == 0x7f || c1) return "a gremlin id must not contain spaces or control characters";
  }
  return {};
}

manifest parse_manifest(const std::string& text, const std::string& name) {
  check_utf8(text, name);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    auto upto = text.substr(0, std::min<std::size_t>(e.byte, text.size()));
    auto line = 1 + std::count(upto.begin(), upto.end(), '\n');
    refuse(name + ":" + std::to_string(line) + ": not valid JSON: " + e.what());
  }
  line_index lines(text);
  checker c{name, lines};
  if (!doc.is_object()) c.fail("", "(top level)", "expected a JSON object with \"gremlins\"");
  if (auto v = doc.find("version"); v != doc.end() && !(v->is_number_integer() && v->get<int>() == 1))
    c.fail("/version", "version", "only version 1 is understood, got " + v->dump());
  auto list = doc.find("gremlins");
  if (list == doc.end()) c.fail("", "gremlins", "the required list 'gremlins' is missing");
  if (!list->is_array()) c.fail("/gremlins", "gremlins", "expected a list, got " + list->dump());
  manifest m;
  if (auto tests = doc.find("tests"); tests != doc.end()) {
    if (!tests->is_object()) c.fail("/tests", "tests", "expected an object of test ids");
    for (const auto& [id, info] : tests->items()) {
      auto d = info.is_object() ? info.find("duration_ms") : info.end();
      if (d == info.end() || !d->is_number() || d->get<double>() < 0)
        c.fail("/tests/" + id, "tests[\"" + id + "\"].duration_ms", "expected a non-negative number");
      m.test_durations_ms[id] = d->get<double>();
    }
  }
  std::set<std::string> seen;
  for (std::size_t n = 0; n < list->size(); ++n) {
    auto g = parse_gremlin((*list)[n], n, c);
    if (!seen.insert(g.id).second)
      c.fail("/gremlins/" + std::to_string(n) + "/id", "gremlins[" + std::to_string(n) + "].id",
             "duplicate gremlin id '" + g.id + "'");
    for (const auto& t : g.tests) {
      auto d = m.test_durations_ms.find(t);
      if (d != m.test_durations_ms.end()) g.tests_ms += d->second;
    }
    m.gremlins.push_back(std::move(g));
  }
  return m;
}

manifest load_manifest(const std::string& path) {
  return parse_manifest(read_file(path, "manifest"), path);
}

std::vector<gremlin> gremlins_from_list(const std::string& csv) {
  std::vector<gremlin> out;
  std::set<std::string> seen;
  std::stringstream ss(csv);
  std::string id;
  std::size_t n = 0;
  while (std::getline(ss, id, ',')) {
    ++n;
    if (auto why = check_gremlin_id(id); !why.empty())
      refuse("--gremlins: entry " + std::to_string(n) + ": " + why);
    if (!seen.insert(id).second) refuse("--gremlins: duplicate gremlin id '" + id + "'");
    out.emplace_back();
    out.back().id = id;
  }
  if (out.empty()) refuse("--gremlins: no gremlin ids given");
  return out;
}

std::vector<gremlin> load_gremlin_ids(const std::string& path) {
  std::istringstream in(read_file(path, "--gremlin-ids file"));
  std::vector<gremlin> out;
  std::set<std::string> seen;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    auto where = path + ":" + std::to_string(n) + ": ";
    if (auto why = check_gremlin_id(line); !why.empty()) refuse(where + why);
    if (!seen.insert(line).second) refuse(where + "duplicate gremlin id '" + line + "'");
    out.emplace_back();
    out.back().id = line;
  }
  if (out.empty()) refuse(path + ": no gremlin ids in the file");
  return out;
}

}  // namespace gremlins

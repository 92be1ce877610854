#include "runtime/formats/worker_protocol.hpp"

#include <nlohmann/json.hpp>

namespace gremlins::protocol {

namespace {

using nlohmann::json;

struct field_error {
  std::string reason;
};

const json& need(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) throw field_error{std::string("missing field '") + key + "'"};
  return *it;
}

std::string need_string(const json& obj, const char* key) {
  const auto& v = need(obj, key);
  if (!v.is_string()) throw field_error{std::string("field '") + key + "' must be a string"};
  return v.get<std::string>();
}

std::int64_t need_pid(const json& obj) {
  const auto& v = need(obj, "pid");
  if (!v.is_number_integer() || v.get<std::int64_t>() <= 0)
    throw field_error{"field 'pid' must be a positive integer"};
  return v.get<std::int64_t>();
}

event decode_object(const json& doc) {
  auto kind = need_string(doc, "event");
  if (kind == "ready") {
    ready_event e;
    const auto& p = need(doc, "protocol");
    if (!p.is_number_integer()) throw field_error{"field 'protocol' must be an integer"};
    e.protocol = p.get<int>();
    if (e.protocol != version)
      throw field_error{"protocol " + std::to_string(e.protocol) + " is not supported (this runtime speaks 1)"};
    e.pid = need_pid(doc);
    if (auto c = doc.find("capabilities"); c != doc.end()) {
      if (!c->is_array()) throw field_error{"field 'capabilities' must be a list"};
      for (const auto& x : *c) {
        if (!x.is_string()) throw field_error{"field 'capabilities' must list strings"};
        e.capabilities.push_back(x.get<std::string>());
      }
    }
    return e;
  }
  if (kind == "started") return started_event{need_string(doc, "gremlin"), need_pid(doc)};
  if (kind == "result") {
    result_event e;
    e.gremlin = need_string(doc, "gremlin");
    auto st = parse_status(need_string(doc, "status"));
    if (!st || *st == status::no_coverage)
      throw field_error{"field 'status' must be zapped, survived, error or timeout"};
    e.verdict = *st;
    if (auto k = doc.find("killing_test"); k != doc.end() && !k->is_null()) {
      if (!k->is_string()) throw field_error{"field 'killing_test' must be a string or null"};
      e.killing_test = k->get<std::string>();
    }
    if (auto ms = doc.find("ms"); ms != doc.end()) {
      if (!ms->is_number()) throw field_error{"field 'ms' must be a number"};
      e.ms = ms->get<double>();
    }
    if (auto out = doc.find("output"); out != doc.end() && !out->is_null()) {
      if (!out->is_string()) throw field_error{"field 'output' must be a string"};
      e.output = out->get<std::string>();
    }
    return e;
  }
  if (kind == "error") {
    auto m = doc.find("message");
    return error_event{m != doc.end() && m->is_string() ? m->get<std::string>() : doc.dump()};
  }
  throw field_error{"unknown event '" + kind + "'"};
}

}  // namespace

std::variant<event, bad_line> decode(std::string_view line) {
  auto doc = json::parse(line.begin(), line.end(), nullptr, false);
  if (doc.is_discarded()) return bad_line{"not JSON"};
  if (!doc.is_object()) return bad_line{"not a JSON object"};
  try {
    return decode_object(doc);
  } catch (const field_error& e) {
    return bad_line{e.reason};
  } catch (const json::exception& e) {
    return bad_line{e.what()};
  }
}

namespace {

// Appends `text` as a JSON string, exactly as nlohmann's dump writes it (invalid UTF-8
// replaced): printable ASCII without quotes or backslashes (nearly every id and test name)
// is copied as is; anything else goes through nlohmann.
void append_string(std::string& out, const std::string& text) {
  bool plain = true;
  for (unsigned char c : text)
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  if (!plain) {
    out += json(text).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

}  // namespace

std::string encode_run(const gremlin& g, std::int64_t timeout_ms, executor_kind executor) {
  // Written by hand, in the order and form nlohmann's dump of the object gave (keys sorted):
  // this runs once per gremlin.
  std::string s;
  std::size_t size = 96 + g.id.size();
  for (const auto& t : g.tests) size += t.size() + 3;
  s.reserve(size);
  s += "{\"executor\":\"";
  s += to_string(executor);
  s += "\",\"gremlin\":";
  append_string(s, g.id);
  s += ",\"op\":\"run\",\"tests\":[";
  for (std::size_t i = 0; i < g.tests.size(); ++i) {
    if (i > 0) s += ',';
    append_string(s, g.tests[i]);
  }
  s += "],\"timeout_ms\":";
  s += std::to_string(timeout_ms);
  s += "}\n";
  return s;
}

std::string encode_shutdown() { return "{\"op\":\"shutdown\"}\n"; }

}  // namespace gremlins::protocol

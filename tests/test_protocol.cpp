// The worker protocol codec (runtime/formats/worker_protocol.hpp): every message of docs/protocol.md both ways,
// and every kind of malformed line a broken worker can send.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "runtime/formats/worker_protocol.hpp"

using namespace gremlins;
namespace proto = gremlins::protocol;

namespace {

proto::event decode_ok(const std::string& line) {
  auto d = proto::decode(line);
  if (auto* bad = std::get_if<proto::bad_line>(&d)) FAIL("rejected: " << bad->reason << " in " << line);
  return std::get<proto::event>(d);
}

std::string decode_bad(const std::string& line) {
  auto d = proto::decode(line);
  if (std::holds_alternative<proto::event>(d)) FAIL("accepted: " << line);
  return std::get<proto::bad_line>(d).reason;
}

}  // namespace

TEST_CASE("ready: protocol, pid and capabilities", "[protocol]") {
  auto ev = decode_ok(R"({"event":"ready","protocol":1,"pid":4242,"capabilities":["fork","inprocess"]})");
  auto& r = std::get<proto::ready_event>(ev);
  CHECK(r.protocol == 1);
  CHECK(r.pid == 4242);
  CHECK(r.capabilities == std::vector<std::string>{"fork", "inprocess"});

  auto bare = std::get<proto::ready_event>(decode_ok(R"({"event":"ready","protocol":1,"pid":7})"));
  CHECK(bare.capabilities.empty());
  auto empty = std::get<proto::ready_event>(decode_ok(R"({"pid":7,"capabilities":[],"protocol":1,"event":"ready"})"));
  CHECK(empty.pid == 7);
}

TEST_CASE("started: gremlin and child pid", "[protocol]") {
  auto s = std::get<proto::started_event>(decode_ok(R"({"event":"started","gremlin":"calc_g001","pid":4250})"));
  CHECK(s.gremlin == "calc_g001");
  CHECK(s.pid == 4250);
}

TEST_CASE("result: every status, killing test string or null, ms, output", "[protocol]") {
  auto z = std::get<proto::result_event>(decode_ok(
    R"({"event":"result","gremlin":"calc_g001","status":"zapped","killing_test":"tests/test_calc.py::test_add","ms":12.5,"output":"boom"})"));
  CHECK(z.gremlin == "calc_g001");
  CHECK(z.verdict == status::zapped);
  CHECK(z.killing_test == "tests/test_calc.py::test_add");
  CHECK(z.ms == Approx(12.5));
  CHECK(z.output == "boom");

  for (auto [name, st] : {std::pair{"survived", status::survived}, std::pair{"error", status::error},
                          std::pair{"timeout", status::timeout}}) {
    auto line = std::string(R"({"event":"result","gremlin":"g","status":")") + name +
                R"(","killing_test":null,"ms":3,"output":null})";
    auto r = std::get<proto::result_event>(decode_ok(line));
    CHECK(r.verdict == st);
    CHECK(r.killing_test.empty());
    CHECK(r.output.empty());
    CHECK(r.ms == Approx(3));
  }
  // killing_test, ms and output may be left out.
  auto minimal = std::get<proto::result_event>(decode_ok(R"({"event":"result","gremlin":"g","status":"survived"})"));
  CHECK(minimal.verdict == status::survived);
}

TEST_CASE("error event carries the worker's message", "[protocol]") {
  auto e = std::get<proto::error_event>(decode_ok(R"({"event":"error","message":"collection failed"})"));
  CHECK(e.message == "collection failed");
}

TEST_CASE("unicode and escapes survive decoding", "[protocol]") {
  auto r = std::get<proto::result_event>(decode_ok(
    R"({"event":"result","gremlin":"g\"1\\ü","status":"zapped","killing_test":"t::test_ünï","output":"line1\nline2"})"));
  CHECK(r.gremlin == "g\"1\\\xc3\xbc");
  CHECK(r.killing_test == "t::test_\xc3\xbcn\xc3\xaf");
  CHECK(r.output == "line1\nline2");
}

TEST_CASE("malformed lines are rejected with a reason", "[protocol]") {
  SECTION("not JSON") {
    CHECK(decode_bad("this is not json {") == "not JSON");
    CHECK(decode_bad("") == "not JSON");
    CHECK(decode_bad(R"({"event":"ready","protocol":1,"pid":4)") == "not JSON");
  }
  SECTION("not an object") {
    CHECK(decode_bad("[1,2]") == "not a JSON object");
    CHECK(decode_bad("\"ready\"") == "not a JSON object");
    CHECK(decode_bad("42") == "not a JSON object");
    CHECK(decode_bad("null") == "not a JSON object");
  }
  SECTION("event missing, not a string, unknown") {
    CHECK(decode_bad(R"({"protocol":1,"pid":3})").find("'event'") != std::string::npos);
    CHECK(decode_bad(R"({"event":3})").find("'event'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"bogus","gremlin":"g"})") == "unknown event 'bogus'");
    CHECK(decode_bad(R"({"event":"Ready","protocol":1,"pid":3})") == "unknown event 'Ready'");
  }
  SECTION("ready: protocol missing, not an integer, or another version") {
    CHECK(decode_bad(R"({"event":"ready","pid":3})").find("'protocol'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"ready","protocol":"1","pid":3})").find("'protocol'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"ready","protocol":1.5,"pid":3})").find("'protocol'") != std::string::npos);
    auto v2 = decode_bad(R"({"event":"ready","protocol":2,"pid":3})");
    CHECK(v2.find("protocol 2 is not supported") != std::string::npos);
    CHECK(decode_bad(R"({"event":"ready","protocol":0,"pid":3})").find("not supported") != std::string::npos);
  }
  SECTION("pid missing, zero, negative, not an integer") {
    CHECK(decode_bad(R"({"event":"ready","protocol":1})").find("'pid'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"ready","protocol":1,"pid":0})").find("'pid'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"ready","protocol":1,"pid":-5})").find("'pid'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"ready","protocol":1,"pid":"42"})").find("'pid'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"started","gremlin":"g","pid":1.5})").find("'pid'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"started","gremlin":"g"})").find("'pid'") != std::string::npos);
  }
  SECTION("capabilities not a list of strings") {
    CHECK(decode_bad(R"({"event":"ready","protocol":1,"pid":3,"capabilities":"fork"})").find("'capabilities'") !=
          std::string::npos);
    CHECK(decode_bad(R"({"event":"ready","protocol":1,"pid":3,"capabilities":["fork",1]})").find("'capabilities'") !=
          std::string::npos);
  }
  SECTION("started and result need a string gremlin") {
    CHECK(decode_bad(R"({"event":"started","pid":9})").find("'gremlin'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"result","status":"zapped"})").find("'gremlin'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"result","gremlin":7,"status":"zapped"})").find("'gremlin'") != std::string::npos);
  }
  SECTION("result: status missing, unknown, or one a worker may not send") {
    CHECK(decode_bad(R"({"event":"result","gremlin":"g"})").find("'status'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"result","gremlin":"g","status":"killed"})").find("'status'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"result","gremlin":"g","status":"ZAPPED"})").find("'status'") != std::string::npos);
    CHECK(decode_bad(R"({"event":"result","gremlin":"g","status":"no_coverage"})").find("'status'") !=
          std::string::npos);
    CHECK(decode_bad(R"({"event":"result","gremlin":"g","status":1})").find("'status'") != std::string::npos);
  }
  SECTION("result: wrong types of the optional fields") {
    CHECK(decode_bad(R"({"event":"result","gremlin":"g","status":"zapped","killing_test":3})").find("'killing_test'") !=
          std::string::npos);
    CHECK(decode_bad(R"({"event":"result","gremlin":"g","status":"zapped","ms":"12"})").find("'ms'") !=
          std::string::npos);
    CHECK(decode_bad(R"({"event":"result","gremlin":"g","status":"zapped","output":["x"]})").find("'output'") !=
          std::string::npos);
  }
}

TEST_CASE("run request: every field, one line", "[protocol]") {
  gremlin g;
  g.id = "calc_g001";
  g.tests = {"tests/test_calc.py::test_add", "tests/test_calc.py::test_sub"};
  auto line = proto::encode_run(g, 5000, executor_kind::fork);
  REQUIRE(!line.empty());
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  auto j = nlohmann::json::parse(line);
  CHECK(j["op"] == "run");
  CHECK(j["gremlin"] == "calc_g001");
  CHECK(j["tests"] == nlohmann::json({"tests/test_calc.py::test_add", "tests/test_calc.py::test_sub"}));
  CHECK(j["timeout_ms"] == 5000);
  CHECK(j["executor"] == "fork");
  CHECK(j.size() == 5);

  g.tests.clear();
  auto all = nlohmann::json::parse(proto::encode_run(g, 1, executor_kind::inprocess));
  CHECK(all["tests"].is_array());
  CHECK(all["tests"].empty());
  CHECK(all["executor"] == "inprocess");
}

TEST_CASE("run request: odd ids stay one valid line", "[protocol]") {
  gremlin g;
  g.id = "a\"b\\c\nd\xc3\xbc";
  auto line = proto::encode_run(g, 10, executor_kind::fork);
  CHECK(line.find('\n') == line.size() - 1);
  CHECK(nlohmann::json::parse(line)["gremlin"] == g.id);
  // Invalid UTF-8 from a manifest must not make the encoder throw.
  g.id = std::string("bad\xff\xfeid");
  auto replaced = proto::encode_run(g, 10, executor_kind::fork);
  CHECK(nlohmann::json::parse(replaced)["gremlin"].get<std::string>().rfind("bad", 0) == 0);
}

TEST_CASE("run request: the hand-written encoder writes what nlohmann's dump wrote", "[protocol]") {
  // The encoder runs once per warm gremlin and no longer builds a JSON object; its bytes must
  // stay those of the object's dump (sorted keys, nlohmann's escapes, invalid UTF-8 replaced).
  std::vector<std::string> texts = {"", "calc_g001", "tests/t.py::test_x[1-2]", "a\"b", "back\\slash",
                                    "tab\there", "nl\n", std::string("nul\0x", 5), "\x1f\x7f", "caf\xc3\xa9",
                                    "\xe2\x82\xac\xf0\x9f\x98\x80", std::string("bad\xff\xfe"), "\xc3"};
  for (auto exec : {executor_kind::fork, executor_kind::inprocess}) {
    for (const auto& id : texts) {
      gremlin g;
      g.id = id;
      g.tests = texts;
      for (std::int64_t limit : {std::int64_t{0}, std::int64_t{2000}, std::int64_t{-1}, std::int64_t{1} << 40}) {
        nlohmann::json j = {{"op", "run"}, {"gremlin", g.id}, {"tests", g.tests}, {"timeout_ms", limit},
                            {"executor", to_string(exec)}};
        INFO("id " << nlohmann::json(id).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
        CHECK(proto::encode_run(g, limit, exec) == j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
      }
    }
  }
}

TEST_CASE("shutdown request", "[protocol]") {
  auto line = proto::encode_shutdown();
  CHECK(line == "{\"op\":\"shutdown\"}\n");
  CHECK(nlohmann::json::parse(line)["op"] == "shutdown");
}

TEST_CASE("a result line round-trips what a worker meant", "[protocol]") {
  nlohmann::json j = {{"event", "result"}, {"gremlin", "x"}, {"status", "timeout"},
                      {"killing_test", nullptr}, {"ms", 1e6}, {"output", std::string(100000, 'o')}};
  auto r = std::get<proto::result_event>(decode_ok(j.dump()));
  CHECK(r.verdict == status::timeout);
  CHECK(r.ms == Approx(1e6));
  CHECK(r.output.size() == 100000);
}

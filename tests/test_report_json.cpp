// The results JSON (docs/results-json.md): its fields, a write/read round trip and the refusals of bad files.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "runtime/formats/results_json.hpp"
#include "runtime/rules/utf8.hpp"
#include "tests/test_report_fixture.hpp"

using namespace gremlins;
using namespace gremlins::testing;
using nlohmann::json;

TEST_CASE("results JSON carries the documented summary, pool and sorted results", "[report][json]") {
  run_report r = sample_report("/project");
  std::swap(r.results.front(), r.results.back());  // the writer must sort, not trust the order
  json j = to_results_json(r);
  CHECK(j["schema"] == "gremlin-actors/results/1");
  CHECK(j["rootdir"] == "/project");
  CHECK(j["interrupted"] == false);
  const json& s = j["summary"];
  CHECK(s["total"] == 8);
  CHECK(s["zapped"] == 2);
  CHECK(s["survived"] == 3);
  CHECK(s["timeout"] == 1);
  CHECK(s["error"] == 1);
  CHECK(s["no_coverage"] == 1);
  CHECK(s["score"].get<double>() == Approx(42.86).margin(1e-9));  // 3/7, rounded to 2 decimals
  CHECK(s["wall_ms"] == 2000.0);
  CHECK(j["pool"] == json{{"executor", "fork"}, {"workers", 2}, {"warmup_completed", 2},
                          {"is_warmed_up", true}, {"restarts", 1}, {"batches", 3},
                          {"start_method", "fork"}});
  REQUIRE(j["results"].size() == 8);
  for (std::size_t i = 1; i < j["results"].size(); ++i)
    CHECK(j["results"][i - 1]["gremlin_id"] < j["results"][i]["gremlin_id"]);
  const json& first = j["results"][0];
  CHECK(first["gremlin_id"] == "calc_g001");
  CHECK(first["status"] == "zapped");
  CHECK(first["killing_test"] == "tests/test_calc.py::test_add");
  CHECK(first["execution_time_ms"] == 12.5);
  CHECK(first["error_output"] == "");
  CHECK(first["file"] == "src/calc.py");
  CHECK(first["line"] == 2);
  CHECK(first["column"] == 14);
  CHECK(first["operator"] == "arithmetic");
  CHECK(first["description"] == "+ to -");
  CHECK(first["replacement"] == "-");
  CHECK(first["tests"] == json{"tests/test_calc.py::test_add"});
  CHECK(j["tests"]["tests/test_calc.py::test_small"]["duration_ms"] == 1.25);
}

TEST_CASE("results JSON: killing_test is null when empty, manifest fields only when known",
          "[report][json]") {
  json j = to_results_json(sample_report("/p"));
  const json* bare = nullptr;
  for (const auto& res : j["results"])
    if (res["gremlin_id"] == "calc_g008") bare = &res;
  REQUIRE(bare);
  CHECK((*bare)["killing_test"].is_null());
  CHECK((*bare)["status"] == "error");
  for (const char* key : {"file", "line", "column", "operator", "description", "tests"})
    CHECK_FALSE(bare->contains(key));
}

TEST_CASE("score rounds to two decimals and is 100 with nothing to score", "[report][json]") {
  run_report r;
  r.results = {make_result("a", status::zapped), make_result("b", status::zapped),
               make_result("c", status::survived)};
  CHECK(to_results_json(r)["summary"]["score"].get<double>() == Approx(66.67).margin(1e-9));
  r.results = {make_result("a", status::error)};
  CHECK(to_results_json(r)["summary"]["score"] == 100.0);
}

TEST_CASE("results JSON survives a write and a read", "[report][json]") {
  temp_dir dir;
  run_report r = sample_report("/project");
  r.interrupted = true;
  r.gremlins["calc_g001"].is_static = true;
  std::string path = (dir.path / "results.json").string();
  write_results_json(r, path);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
  run_report back = read_results_json(path);
  CHECK(back.rootdir == "/project");
  CHECK(back.interrupted);
  CHECK(back.wall_ms == 2000);
  CHECK(back.pool.executor == "fork");
  CHECK(back.pool.restarts == 1);
  CHECK(back.pool.is_warmed_up);
  CHECK(back.test_durations_ms == r.test_durations_ms);
  REQUIRE(back.results.size() == r.results.size());
  for (std::size_t i = 0; i < r.results.size(); ++i) {
    CHECK(back.results[i].gremlin_id == r.results[i].gremlin_id);
    CHECK(back.results[i].verdict == r.results[i].verdict);
    CHECK(back.results[i].killing_test == r.results[i].killing_test);
    CHECK(back.results[i].execution_time_ms == r.results[i].execution_time_ms);
    CHECK(back.results[i].error_output == r.results[i].error_output);
  }
  for (const auto& [id, g] : r.gremlins) {
    const gremlin& b = back.gremlins.at(id);
    CHECK(b.file == g.file);
    CHECK(b.line == g.line);
    CHECK(b.column == g.column);
    CHECK(b.end_line == g.end_line);
    CHECK(b.end_column == g.end_column);
    CHECK(b.operator_name == g.operator_name);
    CHECK(b.description == g.description);
    CHECK(b.original == g.original);
    CHECK(b.replacement == g.replacement);
    CHECK(b.tests == g.tests);
    CHECK(b.has_tests == g.has_tests);
    CHECK(b.is_static == g.is_static);
  }
  // A second rendering of the read report is the same document.
  CHECK(to_results_json(back) == to_results_json(r));
}

namespace {

std::string refusal(const std::string& path) {
  try {
    read_results_json(path);
  } catch (const results_file_error& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string refusal_of(const json& doc) {
  temp_dir dir;
  auto path = dir.path / "bad.json";
  write_file(dir.path, "bad.json", doc.dump());
  return refusal(path.string());
}

}  // namespace

TEST_CASE("a bad results file is refused with the file and the field named", "[report][json]") {
  temp_dir dir;
  json good = to_results_json(sample_report("/p"));
  auto with = [&](auto edit) { json j = good; edit(j); return refusal_of(j); };

  CHECK_THAT(refusal((dir.path / "missing.json").string()),
             Catch::Contains("missing.json") && Catch::Contains("cannot open"));
  write_file(dir.path, "broken.json", "{\"schema\": ");
  CHECK_THAT(refusal((dir.path / "broken.json").string()),
             Catch::Contains("broken.json") && Catch::Contains("not valid JSON"));
  CHECK_THAT(refusal_of(json::array()), Catch::Contains("bad.json") && Catch::Contains("object"));
  CHECK_THAT(with([](json& j) { j["schema"] = "other/2"; }),
             Catch::Contains("bad.json") && Catch::Contains("'schema'") && Catch::Contains("other/2"));
  CHECK_THAT(with([](json& j) { j.erase("schema"); }), Catch::Contains("'schema' is missing"));
  CHECK_THAT(with([](json& j) { j.erase("results"); }), Catch::Contains("'results' is missing"));
  CHECK_THAT(with([](json& j) { j["results"] = 3; }), Catch::Contains("'results' must be an array"));
  CHECK_THAT(with([](json& j) { j["results"][2]["status"] = "zap"; }),
             Catch::Contains("'results[2].status'") && Catch::Contains("'zap'"));
  CHECK_THAT(with([](json& j) { j["results"][0].erase("gremlin_id"); }),
             Catch::Contains("'results[0].gremlin_id' is missing"));
  CHECK_THAT(with([](json& j) { j["results"][1]["line"] = "12"; }),
             Catch::Contains("'results[1].line' must be an integer"));
  CHECK_THAT(with([](json& j) { j["results"][1]["line"] = -1; }),
             Catch::Contains("'results[1].line' is out of range"));
  CHECK_THAT(with([](json& j) { j["results"][1]["tests"] = json{"a", 1}; }),
             Catch::Contains("'results[1].tests[1]' must be a string"));
  CHECK_THAT(with([](json& j) { j["results"][1]["execution_time_ms"] = "fast"; }),
             Catch::Contains("'results[1].execution_time_ms' must be a number"));
  CHECK_THAT(with([](json& j) { j["results"][1]["gremlin_id"] = "calc_g001"; }),
             Catch::Contains("appears twice"));
  CHECK_THAT(with([](json& j) { j["pool"]["workers"] = true; }),
             Catch::Contains("'pool.workers' must be an integer"));
  CHECK_THAT(with([](json& j) { j["summary"] = 1; }), Catch::Contains("'summary' must be an object"));
  CHECK_THAT(with([](json& j) { j["interrupted"] = "no"; }),
             Catch::Contains("'interrupted' must be true or false"));
  CHECK_THAT(with([](json& j) { j["tests"]["x"] = 1; }), Catch::Contains("'tests.x' must be an object"));
}

TEST_CASE("results JSON: a failed warm-up's reason is kept in pool and read back", "[report][json]") {
  auto report = sample_report("/p");
  CHECK_FALSE(to_results_json(report)["pool"].contains("warmup_error"));
  report.pool.warmup_error = "warm-up of worker 0 failed after 3 attempt(s): no ready";
  auto j = to_results_json(report);
  CHECK(j["pool"]["warmup_error"] == report.pool.warmup_error);
  CHECK(results_from_json(j, "mem").pool.warmup_error == report.pool.warmup_error);
}

TEST_CASE("results JSON: invalid UTF-8 anywhere is written as U+FFFD and reads back", "[report][json]") {
  temp_dir dir;
  run_report r = hostile_report(dir.path / "project");
  r.rootdir += "/\xff";
  std::string path = (dir.path / "results.json").string();
  REQUIRE_NOTHROW(write_results_json(r, path));
  std::string text = read_file(path);
  CHECK(is_valid_utf8(text));
  CHECK_NOTHROW(to_results_json(r).dump());
  run_report back = read_results_json(path);
  REQUIRE(back.results.size() == r.results.size());  // nothing lost
  CHECK(back.rootdir == sanitize_utf8(r.rootdir));
  CHECK(back.pool.executor == "fork\xEF\xBF\xBD");
  CHECK(back.pool.warmup_error == sanitize_utf8(r.pool.warmup_error));
  // The valid id keeps its spelling; the two invalid ones stay distinct.
  const std::string R = "\xEF\xBF\xBD";
  const gremlin& valid = back.gremlins.at("bad" + R);
  CHECK(valid.description == "c to d");
  const gremlin& first = back.gremlins.at("bad" + R + "~2");   // from "bad\xfe" (sorted first)
  const gremlin& second = back.gremlins.at("bad" + R + "~3");  // from "bad\xff"
  CHECK(first.operator_name == "comment");
  CHECK(second.description == "caf" + R + " to nothing");
  CHECK(second.operator_name == "string" + R);
  CHECK(second.tests == std::vector<std::string>{"tests/test_calc.py::test_" + R});
  CHECK(back.test_durations_ms.at("tests/test_calc.py::test_" + R) == 2);
  for (const auto& res : back.results) {
    INFO(res.gremlin_id);
    CHECK(is_valid_utf8(res.gremlin_id));
    CHECK(is_valid_utf8(res.error_output));
    CHECK(is_valid_utf8(res.killing_test));
    if (res.gremlin_id == "bad" + R + "~3") {
      CHECK(res.killing_test == "tests/test_calc.py::test_" + R);
      CHECK(res.error_output == "FAILED tests/test_calc.py::test_" + R + "\n" + R + R);
    }
  }
}

TEST_CASE("results JSON: an interrupted run says how many were cancelled and how many tested",
          "[report][json]") {
  run_report r = sample_report("/p");
  for (auto& c : cancelled_results(3)) r.results.push_back(c);
  r.interrupted = true;
  json s = to_results_json(r)["summary"];
  CHECK(s["total"] == 11);
  CHECK(s["error"] == 4);      // by status, as before: the real error and the cancelled ones
  CHECK(s["cancelled"] == 3);
  CHECK(s["tested"] == 8);
  CHECK(s["score"].get<double>() == Approx(42.86).margin(1e-9));  // errors are not scored
  json whole = to_results_json(sample_report("/p"))["summary"];
  CHECK(whole["cancelled"] == 0);
  CHECK(whole["tested"] == 8);
}

TEST_CASE("results JSON: the reader refuses a folder or a device, naming it", "[report][json]") {
  temp_dir dir;
  CHECK_THROWS_WITH(read_results_json(dir.str()), Catch::Contains(dir.str()) && Catch::Contains("folder"));
  CHECK_THROWS_WITH(read_results_json("/dev/zero"), Catch::Contains("/dev/zero") && Catch::Contains("device"));
}

TEST_CASE("results JSON: reused verdicts, shard, selection and fingerprints are written and read back",
          "[report][json]") {
  run_report r;
  r.rootdir = "/p";
  r.results = {worker_result{"a", status::zapped, "t::x", 1, ""}, worker_result{"b", status::survived, "", 2, ""}};
  gremlin a;
  a.id = "a";
  a.file = "m.py";
  a.fingerprint = "fp-a";
  r.gremlins["a"] = a;
  r.reused = {"b"};
  r.shard = "2/3";
  r.selection = "0123456789abcdef-2";
  auto j = to_results_json(r);
  CHECK(j["shard"] == "2/3");
  CHECK(j["selection"] == "0123456789abcdef-2");
  CHECK(j["results"][0].count("reused") == 0);
  CHECK(j["results"][1]["reused"] == true);
  CHECK(j["results"][0]["fingerprint"] == "fp-a");
  auto back = results_from_json(j, "r.json");
  CHECK(back.reused == std::set<std::string>{"b"});
  CHECK(back.shard == "2/3");
  CHECK(back.selection == "0123456789abcdef-2");
  CHECK(back.gremlins.at("a").fingerprint == "fp-a");
}

// Classification of a cold run (docs/protocol.md, "The cold executor") and the time limit of a gremlin.
#include <catch2/catch.hpp>

#include <csignal>

#include "runtime/rules/classify.hpp"
#include "runtime/rules/time_limits.hpp"

using namespace gremlins;

namespace {

process_exit exited(int code, std::string output = {}) {
  process_exit e;
  e.exit_code = code;
  e.output = std::move(output);
  e.wall_ms = 12.5;
  return e;
}

process_exit signalled(int sig, std::string output = {}) {
  process_exit e;
  e.term_signal = sig;
  e.output = std::move(output);
  e.wall_ms = 3;
  return e;
}

worker_result classify(const process_exit& e, ended_by why = ended_by::itself,
                       const command_spec& cmd = command_spec{}) {
  return classify_cold("g1", e, why, cmd, 1500);
}

}  // namespace

TEST_CASE("exit 0: survived", "[classify]") {
  auto r = classify(exited(0, "all passed"));
  CHECK(r.verdict == status::survived);
  CHECK(r.gremlin_id == "g1");
  CHECK(r.execution_time_ms == 12.5);
  CHECK(r.killing_test.empty());
  CHECK(r.error_output.empty());
}

TEST_CASE("exit 1: zapped, with the first failed test as the killer", "[classify]") {
  auto out = "collected 3 items\nFAILED tests/test_calc.py::test_add - assert 1 == 2\n"
             "FAILED tests/test_calc.py::test_sub - assert 0\n";
  auto r = classify(exited(1, out));
  CHECK(r.verdict == status::zapped);
  CHECK(r.killing_test == "tests/test_calc.py::test_add");
  auto bare = classify(exited(1, "no pytest here"));
  CHECK(bare.verdict == status::zapped);
  CHECK(bare.killing_test.empty());
}

TEST_CASE("exit 2..5: error, with the code and the output", "[classify]") {
  for (int code = 2; code <= 5; ++code) {
    INFO("exit " << code);
    auto r = classify(exited(code, "ERROR collecting tests/test_x.py"));
    CHECK(r.verdict == status::error);
    CHECK_THAT(r.error_output, Catch::Contains("exited with " + std::to_string(code)));
    CHECK_THAT(r.error_output, Catch::Contains("ERROR collecting tests/test_x.py"));
  }
}

TEST_CASE("any other non-zero exit code: zapped", "[classify]") {
  for (int code : {6, 42, 127, 255}) {
    INFO("exit " << code);
    CHECK(classify(exited(code)).verdict == status::zapped);
  }
}

TEST_CASE("the error exit codes are configurable for other runners", "[classify]") {
  command_spec cmd;
  cmd.error_exit_codes = {7};
  CHECK(classify(exited(7), ended_by::itself, cmd).verdict == status::error);
  CHECK(classify(exited(2), ended_by::itself, cmd).verdict == status::zapped);
  CHECK(classify(exited(0), ended_by::itself, cmd).verdict == status::survived);
}

TEST_CASE("a signal the runtime did not send: zapped, with the signal named", "[classify]") {
  auto r = classify(signalled(SIGSEGV, "partial output"));
  CHECK(r.verdict == status::zapped);
  CHECK_THAT(r.error_output, Catch::Contains("SIGSEGV"));
  CHECK_THAT(r.error_output, Catch::Contains("partial output"));
  CHECK_THAT(classify(signalled(SIGABRT)).error_output, Catch::Contains("SIGABRT"));
}

TEST_CASE("signal_is_error turns a death by signal into an error", "[classify]") {
  command_spec cmd;
  cmd.signal_is_error = true;
  auto r = classify(signalled(SIGKILL), ended_by::itself, cmd);
  CHECK(r.verdict == status::error);
  CHECK_THAT(r.error_output, Catch::Contains("SIGKILL"));
  CHECK(classify(exited(1), ended_by::itself, cmd).verdict == status::zapped);
}

TEST_CASE("the time limit: timeout, whatever the process died of", "[classify]") {
  // The runtime's own SIGTERM/SIGKILL, or an exit code while it was being killed.
  for (const auto& e : {signalled(SIGTERM), signalled(SIGKILL), exited(0), exited(1)}) {
    auto r = classify(e, ended_by::time_limit);
    CHECK(r.verdict == status::timeout);
    CHECK_THAT(r.error_output, Catch::Contains("1500 ms"));
  }
}

TEST_CASE("a process that could not start: error, with the reason", "[classify]") {
  process_exit e;
  e.spawn_error = "no-such-program: No such file or directory";
  for (auto why : {ended_by::itself, ended_by::time_limit}) {
    auto r = classify(e, why);
    CHECK(r.verdict == status::error);
    CHECK_THAT(r.error_output, Catch::Contains("could not start"));
    CHECK_THAT(r.error_output, Catch::Contains("No such file or directory"));
  }
}

TEST_CASE("first_failed_test reads pytest's short summary", "[classify]") {
  CHECK(first_failed_test("FAILED a.py::t1\nFAILED a.py::t2\n") == "a.py::t1");
  CHECK(first_failed_test("FAILED a.py::t[1-2] - assert 3 == 4\n") == "a.py::t[1-2]");
  CHECK(first_failed_test("x\r\nFAILED b.py::t \r\n") == "b.py::t");
  CHECK(first_failed_test("  FAILED indented.py::t\nnothing") == "");
  CHECK(first_failed_test("PASSED a.py::t\n1 FAILED\n") == "");
  CHECK(first_failed_test("") == "");
}

TEST_CASE("signal_name", "[classify]") {
  CHECK(signal_name(SIGSEGV) == "SIGSEGV");
  CHECK(signal_name(SIGTERM) == "SIGTERM");
}

TEST_CASE("time_limit_ms: fixed timeout", "[classify]") {
  pool_config cfg;
  cfg.adaptive_timeout = false;
  cfg.timeout_s = 2.5;
  gremlin g{"g"};
  g.tests_ms = 100000;  // ignored when fixed
  CHECK(time_limit_ms(g, cfg, 99999) == Approx(2500));
}

TEST_CASE("time_limit_ms: adaptive = max(floor, factor x covering + constant)", "[classify]") {
  pool_config cfg;
  cfg.adaptive_timeout = true;
  cfg.timeout_factor = 3;
  cfg.timeout_constant_ms = 500;
  cfg.timeout_floor_ms = 1000;
  gremlin g{"g"};
  SECTION("the covering tests' baseline time when known") {
    g.tests_ms = 2000;
    CHECK(time_limit_ms(g, cfg, 50000) == Approx(6500));
  }
  SECTION("else the whole baseline's time") {
    CHECK(time_limit_ms(g, cfg, 4000) == Approx(12500));
  }
  SECTION("never below the floor") {
    g.tests_ms = 10;
    CHECK(time_limit_ms(g, cfg, 4000) == Approx(1000));
    cfg.timeout_floor_ms = 5000;
    CHECK(time_limit_ms(g, cfg, 4000) == Approx(5000));
  }
}

TEST_CASE("a failing baseline (no gremlin id) keeps its output to show", "[classify]") {
  auto r = classify_cold("", exited(1, "FAILED t.py::x - broken before any gremlin"), ended_by::itself,
                         command_spec{}, 1000);
  CHECK(r.verdict == status::zapped);
  CHECK_THAT(r.error_output, Catch::Contains("broken before any gremlin"));
  // A gremlin's zapped result stays small: its killer is enough.
  CHECK(classify(exited(1, "FAILED t.py::x")).error_output.empty());
}

TEST_CASE("time_limit_ms: a cold run also pays a fresh process (baseline wall time)", "[classify]") {
  gremlins::pool_config cfg;
  cfg.timeout_factor = 3;
  cfg.timeout_constant_ms = 500;
  cfg.timeout_floor_ms = 1000;
  gremlins::gremlin g;
  g.tests_ms = 20;
  CHECK(gremlins::time_limit_ms(g, cfg, 800, false) == Approx(1000));  // max(floor, 3 x 20 + 500)
  CHECK(gremlins::time_limit_ms(g, cfg, 800, true) == Approx(3 * (800 + 20) + 500.0));
}

#pragma once
// Turns how a test process ended into a verdict (SPEC §4 "Classification of a cold run"),
// and computes a gremlin's time limit.

#include <string>

#include "messages/gremlin.hpp"
#include "messages/pool_config.hpp"
#include "messages/process_events.hpp"
#include "messages/worker_result.hpp"

namespace gremlins {

/// Why the runtime itself ended a process, if it did.
enum class ended_by { itself, time_limit };

/// Exit 0: survived; an exit code in cmd.error_exit_codes: error; any other exit code: zapped;
/// a signal the runtime did not send: zapped with the signal named (error when
/// cmd.signal_is_error); the time limit: timeout; a failed start: error.
worker_result classify_cold(const std::string& gremlin_id, const process_exit& e, ended_by why,
                            const command_spec& cmd, double limit_ms);

/// The first pytest-style "FAILED <node id>" of `output`, else empty.
std::string first_failed_test(const std::string& output);

/// The signal's name, e.g. "SIGSEGV".
std::string signal_name(int sig);

/// A gremlin's time limit in ms: the fixed timeout, or
/// max(floor, factor x covering time + constant). For a warm run the covering time is the
/// gremlin's tests_ms when known, else `baseline_ms` (the baseline run's wall time); a cold
/// run also pays a fresh process, so its covering time is baseline_ms + tests_ms.
double time_limit_ms(const gremlin& g, const pool_config& cfg, double baseline_ms, bool cold = false);

}  // namespace gremlins

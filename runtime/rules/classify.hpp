#pragma once
// Turns how a test process ended into a verdict (docs/protocol.md, "The cold executor").
// Pure: no CAF, no I/O.

#include <string>

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

}  // namespace gremlins

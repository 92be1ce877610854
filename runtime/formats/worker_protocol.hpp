#pragma once
// The runtime's side of the worker protocol (docs/protocol.md, version 1): one JSON object a line.
// Decoding is strict: anything that is not exactly a known event with the right fields is a
// protocol error, and the worker that sent it is treated as broken.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "messages/gremlin.hpp"
#include "messages/pool_config.hpp"
#include "messages/status.hpp"

namespace gremlins::protocol {

/// The protocol version this runtime speaks.
inline constexpr int version = 1;

/// `ready`: the worker is warm.
struct ready_event {
  int protocol = 0;
  std::int64_t pid = 0;
  std::vector<std::string> capabilities;
};

/// `started`: the worker forked a child for a gremlin, in its own process group.
struct started_event {
  std::string gremlin;
  std::int64_t pid = 0;
};

/// `result`: the answer to one `run`.
struct result_event {
  std::string gremlin;
  status verdict = status::error;  ///< zapped, survived, error or timeout
  std::string killing_test;        ///< empty for null
  double ms = 0;
  std::string output;
};

/// `error`: the worker cannot go on (for instance its test collection failed); an extension
/// the pytest worker sends instead of `ready`. The runtime shows the message.
struct error_event {
  std::string message;
};

/// One decoded line.
using event = std::variant<ready_event, started_event, result_event, error_event>;

/// A line that is not a valid event, with the reason.
struct bad_line {
  std::string reason;
};

/// Decodes one line (without '\n').
std::variant<event, bad_line> decode(std::string_view line);

/// `{"op":"run",...}\n` for `g` with its covering tests.
std::string encode_run(const gremlin& g, std::int64_t timeout_ms, executor_kind executor);

/// `{"op":"shutdown"}\n`.
std::string encode_shutdown();

}  // namespace gremlins::protocol

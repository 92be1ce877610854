#pragma once
// The verdict of testing one gremlin (pytest-gremlins' GremlinResultStatus).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gremlins {

/// Outcome of one gremlin (docs/results-json.md, "Statuses").
enum class status : std::uint8_t { zapped, survived, timeout, error, no_coverage };

/// Number of values of `status`, for arrays of counts.
inline constexpr std::size_t status_count = 5;

/// The lower-case name used in JSON and on the console.
inline const char* to_string(status s) {
  switch (s) {
    case status::zapped: return "zapped";
    case status::survived: return "survived";
    case status::timeout: return "timeout";
    case status::error: return "error";
    case status::no_coverage: return "no_coverage";
  }
  return "error";
}

/// Parses a name written by `to_string`; nullopt for anything else.
inline std::optional<status> parse_status(std::string_view s) {
  for (std::size_t i = 0; i < status_count; ++i) {
    auto st = static_cast<status>(i);
    if (s == to_string(st)) return st;
  }
  return std::nullopt;
}

}  // namespace gremlins

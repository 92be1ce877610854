#pragma once
// One gremlin: a mutation behind a runtime switch, as the manifest describes it (docs/results-json.md, "The manifest").

#include <cstdint>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"

namespace gremlins {

/// A gremlin to test. Only `id` is required; the rest comes from the manifest when known.
struct gremlin {
  std::string id;
  std::string file;
  std::int32_t line = 0;
  std::int32_t column = 0;
  std::int32_t end_line = 0;
  std::int32_t end_column = 0;
  std::string operator_name;  ///< manifest field "operator"
  std::string description;
  std::string original;
  std::string replacement;
  std::vector<std::string> tests;  ///< covering test ids, fastest first
  bool has_tests = false;          ///< the manifest listed "tests" (an empty list means no_coverage)
  bool is_static = false;          ///< runs at import time: needs a fresh process
  bool zygote = false;             ///< static, but a warm worker imports it afresh itself
  double tests_ms = 0;             ///< baseline duration of the covering tests (0: unknown)
  std::int64_t timeout_ms = 0;     ///< this gremlin's time limit, set by the runtime
  std::string fingerprint;         ///< of all its verdict depends on (manifest; "" unknown)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gremlin& x) {
  return f(caf::meta::type_name("gremlin"), x.id, x.file, x.line, x.column, x.end_line,
           x.end_column, x.operator_name, x.description, x.original, x.replacement, x.tests,
           x.has_tests, x.is_static, x.zygote, x.tests_ms, x.timeout_ms, x.fingerprint);
}

/// Weight of a gremlin for weighted distribution: its covering tests, at least 1.
inline std::size_t weight_of(const gremlin& g) {
  return g.tests.empty() ? 1 : g.tests.size();
}

}  // namespace gremlins

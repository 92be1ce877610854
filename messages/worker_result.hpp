#pragma once
// The result of testing one gremlin (pytest-gremlins' WorkerResult).

#include <string>

#include "caf/meta/type_name.hpp"
#include "messages/status.hpp"

namespace gremlins {

/// What a worker reports for one gremlin.
struct worker_result {
  std::string gremlin_id;
  status verdict = status::error;
  std::string killing_test;  ///< empty when unknown or not zapped
  double execution_time_ms = 0;
  std::string error_output;  ///< the reason for error/timeout, a bounded tail of output
  bool worker_replaced = false;  ///< answering it cost the worker its process (pool.restarts)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_result& x) {
  return f(caf::meta::type_name("worker_result"), x.gremlin_id, x.verdict, x.killing_test,
           x.execution_time_ms, x.error_output, x.worker_replaced);
}

}  // namespace gremlins

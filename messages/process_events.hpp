#pragma once
// How a child process ended, as the process runner reports it to the actor that owns it.

#include <string>

#include "caf/meta/type_name.hpp"

namespace gremlins {

/// How a process ended.
struct process_exit {
  int exit_code = -1;       ///< when it exited normally, else -1
  int term_signal = 0;      ///< the signal that ended it, else 0
  std::string output;       ///< the kept tail of stdout and stderr, interleaved
  std::string spawn_error;  ///< non-empty when the process could not be started
  double wall_ms = 0;       ///< from start to exit
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_exit& x) {
  return f(caf::meta::type_name("process_exit"), x.exit_code, x.term_signal, x.output,
           x.spawn_error, x.wall_ms);
}

}  // namespace gremlins

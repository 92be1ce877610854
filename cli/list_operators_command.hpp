#pragma once
// `gremlin-actors list-operators --pytest [--python PY]`: the pytest adapter's mutation
// operators, one line each (name, default or opt-in, what it mutates), and the default set.
// The operators belong to the adapter: this runs `PY -m gremlins_pytest list-operators`.

#include <string>

namespace gremlins::cli {

/// What `gremlin-actors list-operators` is told.
struct list_operators_options {
  bool pytest = false;            ///< required: the only adapter with operators
  std::string python = "python3"; ///< any Python 3 (the listing needs no pytest)
};

/// Prints the listing; exit_bad_input without --pytest, when the adapter is not found or
/// the interpreter cannot be started (the reason named); else the adapter's exit code.
int list_operators_command(const list_operators_options& o);

}  // namespace gremlins::cli

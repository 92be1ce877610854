#include "cli/list_operators_command.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "cli/exit_codes.hpp"
#include "cli/pytest_mode.hpp"
#include "runtime/process/runner.hpp"

namespace gremlins::cli {

int list_operators_command(const list_operators_options& o) {
  auto fail = [](const std::string& msg) {
    std::cerr << "gremlin-actors: error: " << msg << "\n";
    return exit_bad_input;
  };
  if (!o.pytest)
    return fail("list-operators: say --pytest (the mutation operators are the pytest adapter's)");
  auto adapter = find_adapter_dir();
  if (adapter.empty()) return fail("the pytest adapter (gremlins_pytest) was not found; set GREMLIN_ADAPTER_DIR");
  process_spec spec;
  spec.argv = {o.python, "-m", "gremlins_pytest", "list-operators"};
  const char* inherited = std::getenv("PYTHONPATH");
  spec.env.emplace_back("PYTHONPATH", adapter + (inherited && *inherited ? ":" + std::string(inherited) : ""));
  process_runner runner;
  auto e = runner.run_to_end(spec, std::chrono::seconds(60));
  if (!e.spawn_error.empty()) return fail("--python " + o.python + ": " + e.spawn_error);
  std::cout << e.output << std::flush;
  if (e.exit_code != 0) {
    std::cerr << "gremlin-actors: " << o.python << " -m gremlins_pytest list-operators failed (exit "
              << e.exit_code << ")\n";
    return e.exit_code > 0 ? exit_bad_input : 1;
  }
  return 0;
}

}  // namespace gremlins::cli

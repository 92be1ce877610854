#pragma once
// Every atom of the runtime's actor protocols (CAF 0.17: atom names of at most 10 chars).

#include "caf/atom.hpp"

namespace gremlins {

using run_atom = caf::atom_constant<caf::atom("run")>;            ///< test a gremlin / all gremlins
using warmup_atom = caf::atom_constant<caf::atom("warmup")>;      ///< start a warm worker
using add_result_atom = caf::atom_constant<caf::atom("addresult")>;
using add_error_atom = caf::atom_constant<caf::atom("adderror")>;
using results_atom = caf::atom_constant<caf::atom("results")>;
using progress_atom = caf::atom_constant<caf::atom("progress")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;          ///< cancel: finish nothing new
using proc_start_atom = caf::atom_constant<caf::atom("pstarted")>;  ///< process runner events
using proc_lines_atom = caf::atom_constant<caf::atom("plines")>;
using proc_exit_atom = caf::atom_constant<caf::atom("pexit")>;
using proc_overflow_atom = caf::atom_constant<caf::atom("poverflow")>;  ///< reply line too long
using deadline_atom = caf::atom_constant<caf::atom("deadline")>;  ///< a gremlin's time limit hit
using warmup_deadline_atom = caf::atom_constant<caf::atom("wdeadline")>;  ///< warm-up took too long
using force_kill_atom = caf::atom_constant<caf::atom("forcekill")>;  ///< grace after SIGTERM over
using flush_atom = caf::atom_constant<caf::atom("flush")>;  ///< send what was queued, at once
using node_hello_atom = caf::atom_constant<caf::atom("nodehello")>;  ///< what does a node test?
using node_open_atom = caf::atom_constant<caf::atom("nodeopen")>;    ///< a worker slot on a node

}  // namespace gremlins

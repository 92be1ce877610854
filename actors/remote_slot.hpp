#pragma once
// The remote slot actor: on the coordinator, one worker slot of the pool that lives on a worker
// node. The scheduler sees an ordinary worker_actor; this actor opens a worker on the node (it
// holds what arrives before that), forwards `warmup` and `run` to it and the answers back, and
// supervises it through a monitor: when the remote worker quits, this actor quits with the
// same reason (the scheduler blames, recycles or replaces exactly as for a local worker); when
// the node dies or its connection drops, it quits with worker_exit::node_lost, and what it
// held goes back to the queue without blame.

#include <string>

#include "caf/fwd.hpp"
#include "messages/node_actor.hpp"

namespace gremlins {

/// Spawns a slot on `node` (reached at `address`, for messages).
worker_actor spawn_remote_slot(caf::actor_system& sys, node_actor node, std::string address, slot_request req);

}  // namespace gremlins

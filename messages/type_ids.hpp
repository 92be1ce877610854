#pragma once
// The CAF type-ID block of every message type, so that an actor system can serialize them
// (remote workers through the middleman): cfg.add_message_types<caf::id_block::gremlin_actors>().

#include "caf/type_id.hpp"
#include "messages/aggregator_actor.hpp"
#include "messages/gremlin.hpp"
#include "messages/node_actor.hpp"
#include "messages/pool_config.hpp"
#include "messages/process_events.hpp"
#include "messages/progress.hpp"
#include "messages/scheduler_actor.hpp"
#include "messages/worker_actor.hpp"
#include "messages/worker_result.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(gremlin_actors, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::gremlin))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::worker_result))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::pool_config))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::command_spec))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::process_exit))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::progress))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::pool_stats))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::warmup_report))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::worker_actor))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::aggregator_actor))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::progress_listener))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::scheduler_actor))
  CAF_ADD_TYPE_ID(gremlin_actors, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::pool_node))
  CAF_ADD_TYPE_ID(gremlin_actors, (std::vector<gremlins::pool_node>))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::node_check))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::node_identity))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::slot_request))
  CAF_ADD_TYPE_ID(gremlin_actors, (gremlins::node_actor))
CAF_END_TYPE_ID_BLOCK(gremlin_actors)

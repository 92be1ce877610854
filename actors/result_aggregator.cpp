// The aggregator owns the result table; being an actor, it needs no lock: concurrent
// workers' results are serialized by its mailbox. Every recorded result is pushed, with a
// progress snapshot, to each subscriber.

#include "actors/result_aggregator.hpp"

#include <vector>

#include "caf/actor_system.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "runtime/rules/result_table.hpp"

namespace gremlins {

namespace {

struct aggregator_state {
  explicit aggregator_state(std::uint32_t total = 0) : table(total) {}
  result_table table;
  std::vector<progress_listener> subscribers;
  static inline const char* name = "result_aggregator";
};

using aggregator_pointer = aggregator_actor::stateful_pointer<aggregator_state>;

void publish(aggregator_pointer self, const worker_result& r) {
  if (self->state.subscribers.empty()) return;
  auto snap = self->state.table.snapshot();
  for (auto& s : self->state.subscribers) self->send(s, progress_atom::value, snap, r);
}

aggregator_actor::behavior_type aggregator(aggregator_pointer self, std::uint32_t total) {
  self->state.table = result_table(total);
  return {
    [=](add_result_atom, worker_result& r) {
      if (self->state.table.add_result(r)) publish(self, r);
    },
    [=](add_error_atom, const std::string& id, const std::string& message) {
      worker_result r{id, status::error, {}, 0, message};
      if (self->state.table.add_result(r)) publish(self, r);
    },
    // The run's last request: the results are moved out, not copied (100k of them at once).
    [=](results_atom) { return self->state.table.take_sorted_results(); },
    [=](progress_atom) { return self->state.table.snapshot(); },
    [=](subscribe_atom, progress_listener& listener) {
      self->state.subscribers.push_back(std::move(listener));
      return self->state.table.snapshot();
    },
  };
}

}  // namespace

aggregator_actor spawn_result_aggregator(caf::actor_system& sys, std::uint32_t total) {
  return sys.spawn(aggregator, total);
}

}  // namespace gremlins

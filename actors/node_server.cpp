// A node's slots: at most `workers` worker actors live at a time; an `open` that finds every
// slot taken waits (a coordinator that replaces a worker may ask before this actor has seen
// the old one go). Each worker is tied to the actor that opened it, through two monitors: the
// worker's exit frees its slot; the opener's exit (or the loss of its connection, which CAF
// reports as the exit of its proxy) ends the worker.

#include "actors/node_server.hpp"

#include <deque>
#include <optional>
#include <vector>

#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/exit_reason.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/system_messages.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "caf/typed_response_promise.hpp"

namespace gremlins {

namespace {

struct node_slot {
  worker_actor worker;
  caf::actor_addr owner;
};

struct waiting_open {
  slot_request req;
  caf::actor_addr owner;
  caf::typed_response_promise<worker_actor> promise;
};

struct node_state {
  node_server_setup setup;
  std::vector<std::optional<node_slot>> slots;
  std::deque<waiting_open> waiting;
  ~node_state() {
    // The node is stopping: its workers (and their processes) go with it.
    for (auto& slot : slots)
      if (slot) caf::anon_send_exit(slot->worker, caf::exit_reason::kill);
  }
  static inline const char* name = "node_server";
};

using node_pointer = node_actor::stateful_pointer<node_state>;

void say(node_pointer self, const std::string& line) {
  if (self->state.setup.log) self->state.setup.log(line);
}

worker_actor start_slot(node_pointer self, std::size_t i, const slot_request& req, const caf::actor_addr& owner) {
  auto& st = self->state;
  auto w = st.setup.make_worker(self->system(), req, static_cast<std::uint32_t>(i));
  st.slots[i] = node_slot{w, owner};
  self->monitor(w);
  self->monitor(owner);
  return w;
}

std::optional<std::size_t> free_slot(const node_state& st) {
  for (std::size_t i = 0; i < st.slots.size(); ++i)
    if (!st.slots[i]) return i;
  return std::nullopt;
}

void serve_waiting(node_pointer self) {
  auto& st = self->state;
  while (!st.waiting.empty()) {
    auto i = free_slot(st);
    if (!i) return;
    auto w = std::move(st.waiting.front());
    st.waiting.pop_front();
    w.promise.deliver(start_slot(self, *i, w.req, w.owner));
  }
}

}  // namespace

node_actor spawn_node_server(caf::actor_system& sys, node_server_setup setup) {
  auto impl = [](node_pointer self, node_server_setup s) -> node_actor::behavior_type {
    self->state.setup = std::move(s);
    self->state.slots.resize(std::max<std::uint32_t>(1, self->state.setup.workers));
    self->set_down_handler([=](caf::down_msg& dm) {
      auto& st = self->state;
      bool freed = false;
      for (auto& slot : st.slots) {
        if (!slot) continue;
        if (slot->worker.address() == dm.source) {
          // The worker went (its run is over, or it failed): the slot is free.
          slot.reset();
          freed = true;
        } else if (slot->owner == dm.source) {
          // Its opener went, or the connection to it dropped: the worker goes too.
          bool lost = dm.reason == caf::exit_reason::remote_link_unreachable;
          if (lost) say(self, "a coordinator's connection dropped: ending the worker it had opened");
          self->send_exit(slot->worker, lost ? caf::exit_reason::kill : caf::exit_reason::user_shutdown);
        }
      }
      // A waiting open whose opener went: nobody waits for its answer any more.
      for (auto it = st.waiting.begin(); it != st.waiting.end();)
        it = it->owner == dm.source ? st.waiting.erase(it) : std::next(it);
      if (freed) serve_waiting(self);
    });
    return {
      [=](node_hello_atom, const node_check& check) -> node_identity {
        auto id = self->state.setup.identify(check);
        return id;
      },
      [=](node_open_atom, const slot_request& req) -> caf::result<worker_actor> {
        auto& st = self->state;
        if (req.warm && !st.setup.warm)
          return caf::make_error(caf::sec::runtime_error, "this node has no worker command (--worker-command)");
        if (!req.warm && !st.setup.cold)
          return caf::make_error(caf::sec::runtime_error, "this node has no test command (after --)");
        auto owner = caf::actor_cast<caf::actor_addr>(self->current_sender());
        if (!owner) return caf::make_error(caf::sec::invalid_argument, "an anonymous open");
        if (auto i = free_slot(st)) return start_slot(self, *i, req, owner);
        auto rp = self->make_response_promise<worker_actor>();
        st.waiting.push_back(waiting_open{req, owner, rp});
        self->monitor(owner);
        return rp;
      },
    };
  };
  return sys.spawn(impl, std::move(setup));
}

}  // namespace gremlins

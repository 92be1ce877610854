// A remote slot forwards each request with a request of its own and delivers the answer, so it
// knows what is outstanding. When the remote worker quits on its own (recycled, its process
// died, a protocol fault), its last answers and the news of its exit travel different paths
// through the middleman; so the slot waits for the answers still owed, for a short grace at
// most, before it quits with the worker's reason: the scheduler must see every result that was
// given before it hears who is to blame.

#include "actors/remote_slot.hpp"

#include <chrono>
#include <deque>
#include <variant>

#include "caf/actor_system.hpp"
#include "caf/exit_reason.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/system_messages.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "caf/typed_response_promise.hpp"

namespace gremlins {

namespace {

/// How long the slot waits for the node to hand out a worker (it may be busy with others).
constexpr auto open_limit = std::chrono::seconds(60);
/// How long answers still owed by a worker that quit may take to arrive.
constexpr auto answers_grace = std::chrono::milliseconds(300);

struct held_warmup {
  caf::typed_response_promise<warmup_report> promise;
};
struct held_run {
  gremlin g;
  caf::typed_response_promise<worker_result> promise;
};
using held = std::variant<held_warmup, held_run>;

struct slot_state {
  node_actor node;
  std::string address;
  slot_request req;
  worker_actor remote;
  std::deque<held> waiting;      ///< before the node answered `open`
  std::size_t outstanding = 0;   ///< forwarded, not answered
  std::optional<caf::error> quitting;  ///< the remote worker's reason, waiting for answers
  ~slot_state() {
    if (remote) caf::anon_send_exit(remote, caf::exit_reason::user_shutdown);
  }
  static inline const char* name = "remote_slot";
};

using slot_pointer = worker_actor::stateful_pointer<slot_state>;

caf::error node_lost(slot_pointer self, const std::string& what) {
  return make_error(worker_exit::node_lost, "node " + self->state.address + " lost: " + what);
}

void maybe_quit(slot_pointer self) {
  auto& st = self->state;
  if (st.quitting && st.outstanding == 0) self->quit(*st.quitting);
}

void forward(slot_pointer self, held h) {
  auto& st = self->state;
  ++st.outstanding;
  if (auto* w = std::get_if<held_warmup>(&h)) {
    auto rp = w->promise;
    self->request(st.remote, caf::infinite, warmup_atom::value)
      .then(
        [=](warmup_report& rep) mutable {
          --self->state.outstanding;
          rp.deliver(std::move(rep));
          maybe_quit(self);
        },
        [=](caf::error&) mutable {
          --self->state.outstanding;
          maybe_quit(self);
        });
    return;
  }
  auto& r = std::get<held_run>(h);
  auto rp = r.promise;
  self->request(st.remote, caf::infinite, run_atom::value, std::move(r.g))
    .then(
      [=](worker_result& res) mutable {
        --self->state.outstanding;
        rp.deliver(std::move(res));
        maybe_quit(self);
      },
      [=](caf::error&) mutable {
        // The worker went without answering: its exit (a down message) says why.
        --self->state.outstanding;
        maybe_quit(self);
      });
}

worker_actor::behavior_type remote_slot(slot_pointer self, node_actor node, std::string address, slot_request req) {
  auto& st = self->state;
  st.node = std::move(node);
  st.address = std::move(address);
  st.req = std::move(req);
  self->monitor(st.node);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.node.address() || dm.reason == caf::exit_reason::remote_link_unreachable) {
      // The node is gone or unreachable: nothing it owes will arrive.
      self->quit(node_lost(self, dm.reason == caf::exit_reason::remote_link_unreachable
                                   ? "its connection dropped"
                                   : "its node actor exited (" + caf::to_string(dm.reason) + ")"));
      return;
    }
    if (st.remote && dm.source == st.remote.address()) {
      st.quitting = dm.reason ? dm.reason
                              : make_error(worker_exit::process_died, "the remote worker exited unexpectedly");
      if (st.outstanding == 0) {
        self->quit(*st.quitting);
        return;
      }
      self->delayed_send(self, answers_grace, force_kill_atom::value, std::uint64_t{0});
    }
  });
  self->request(st.node, open_limit, node_open_atom::value, st.req)
    .then(
      [=](worker_actor& w) {
        auto& st = self->state;
        if (!w) {
          self->quit(node_lost(self, "it handed out no worker"));
          return;
        }
        st.remote = std::move(w);
        self->monitor(st.remote);
        auto queued = std::move(st.waiting);
        st.waiting.clear();
        for (auto& h : queued) forward(self, std::move(h));
      },
      [=](caf::error& err) {
        // A node that cannot hand out a worker is of no use to this run: like a lost one.
        self->quit(node_lost(self, "no worker slot (" + caf::to_string(err) + ")"));
      });
  return {
    [=](warmup_atom) {
      auto rp = self->make_response_promise<warmup_report>();
      held h{held_warmup{rp}};
      if (self->state.remote) forward(self, std::move(h));
      else self->state.waiting.push_back(std::move(h));
      return rp;
    },
    [=](run_atom, gremlin& g) {
      auto rp = self->make_response_promise<worker_result>();
      held h{held_run{std::move(g), rp}};
      if (self->state.remote) forward(self, std::move(h));
      else self->state.waiting.push_back(std::move(h));
      return rp;
    },
    [=](proc_start_atom, std::uint64_t, std::int32_t) {},
    [=](proc_lines_atom, std::uint64_t, std::vector<std::string>&) {},
    [=](proc_exit_atom, std::uint64_t, process_exit&) {},
    [=](proc_overflow_atom, std::uint64_t) {},
    [=](deadline_atom, std::uint64_t) {},
    [=](warmup_deadline_atom, std::uint64_t) {},
    [=](flush_atom) {},
    [=](force_kill_atom, std::uint64_t) {
      // The grace for answers still owed is over.
      auto& st = self->state;
      if (st.quitting) self->quit(*st.quitting);
    },
  };
}

}  // namespace

worker_actor spawn_remote_slot(caf::actor_system& sys, node_actor node, std::string address, slot_request req) {
  return sys.spawn(remote_slot, std::move(node), std::move(address), std::move(req));
}

}  // namespace gremlins

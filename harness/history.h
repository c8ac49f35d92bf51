#pragma once
// What clients saw during one simulated run: the input of the checker.
#include <cstdint>
#include <vector>

#include "transport_sim/observer.h"

namespace rrseq {

struct History {
  std::vector<GrantRecord> grants;
  std::vector<ConsumeRecord> consumed;
  std::vector<BoundRecord> bounds;  // Current and Advance answers
  // G5 applies: one client, no fault of any kind, so IDs must be 1, 2, 3, ...
  bool calm = false;
  // Liveness (G4): from heal_us on, the nodes in heal_nodes are up, connected and
  // have their state. When they are a majority of `nodes`, each client in
  // live_clients (those that reach them) must receive a grant requested at or
  // after heal_us within liveness_bound_us. heal_nodes empty and nodes 0: the
  // whole cluster (histories built by hand).
  TimeUs heal_us = 0;
  TimeUs liveness_bound_us = 0;
  std::vector<uint32_t> live_clients;
  uint32_t nodes = 0;
  std::vector<uint32_t> heal_nodes;
};

// Records what a simulated world reports.
class HistoryRecorder final : public WorldObserver {
 public:
  void on_start(bool calm, TimeUs heal_us, TimeUs liveness_bound_us, uint32_t nodes) override {
    history.calm = calm;
    history.heal_us = heal_us;
    history.liveness_bound_us = liveness_bound_us;
    history.nodes = nodes;
  }
  void on_grant(const GrantRecord& g) override { history.grants.push_back(g); }
  void on_consume(const ConsumeRecord& c) override { history.consumed.push_back(c); }
  void on_bound(const BoundRecord& b) override { history.bounds.push_back(b); }
  void on_heal(const std::vector<uint32_t>& nodes) override { history.heal_nodes = nodes; }
  void on_live_client(uint32_t client) override { history.live_clients.push_back(client); }

  History history;
};

}  // namespace rrseq

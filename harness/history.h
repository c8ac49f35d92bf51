#pragma once
// What clients saw during one simulated run: the input of the checker.
#include <cstdint>
#include <vector>

namespace rrseq {

using TimeUs = uint64_t;

// A range [from, to) a client received and kept.
struct GrantRecord {
  uint32_t client = 0;
  uint64_t request = 0;
  TimeUs sent_us = 0;      // first send of the request (retries keep it)
  TimeUs received_us = 0;  // when the client accepted the reply
  uint64_t from = 0;
  uint64_t to = 0;
};

// One ID the application took from its client, in the order it took them.
struct ConsumeRecord {
  uint32_t client = 0;
  TimeUs at_us = 0;
  uint64_t id = 0;
};

struct History {
  std::vector<GrantRecord> grants;
  std::vector<ConsumeRecord> consumed;
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

}  // namespace rrseq

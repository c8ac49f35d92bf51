#pragma once
// What the world reports while it runs: every range a client kept, every ID
// the application took, every bound a door caller read, and what the run owes (G5 when calm, liveness after
// the final heal). The harness records it for the checker; the world knows
// nothing of how it is checked.
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

// A door caller's Current (at_least 0) or Advance that a node answered: the
// sequence's upper bound, every ID granted so far below it.
struct BoundRecord {
  uint32_t reader = 0;
  uint64_t request = 0;
  TimeUs sent_us = 0;
  TimeUs received_us = 0;
  uint64_t at_least = 0;  // Advance: the bound must be at least this
  uint64_t bound = 0;
};

// One ID the application took from its client, in the order it took them.
struct ConsumeRecord {
  uint32_t client = 0;
  TimeUs at_us = 0;
  uint64_t id = 0;
};

class WorldObserver {
 public:
  virtual ~WorldObserver() = default;
  // Before the first event. `calm`: one client and no fault, so G5 applies.
  // From `heal_us` on, the nodes of on_heal() must serve the clients of
  // on_live_client() within `liveness_bound_us`.
  virtual void on_start(bool calm, TimeUs heal_us, TimeUs liveness_bound_us, uint32_t nodes) = 0;
  virtual void on_grant(const GrantRecord& g) = 0;
  virtual void on_consume(const ConsumeRecord& c) = 0;
  virtual void on_bound(const BoundRecord& b) = 0;
  // The final heal: these nodes are up, connected to each other and have state.
  virtual void on_heal(const std::vector<uint32_t>& nodes) = 0;
  // This client reaches them after the heal: it is owed liveness.
  virtual void on_live_client(uint32_t client) = 0;
};

}  // namespace rrseq

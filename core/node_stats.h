#pragma once
// Counters of what a node's protocol did, for operators (rrseq-server
// --metrics). Plain numbers the node increments; they never feed back into a
// decision, so the simulator runs the same with or without anyone reading them.
#include <array>
#include <cstdint>

#include "core/messages.h"

namespace rrseq {

inline constexpr size_t status_count = static_cast<size_t>(status_last) + 1;

struct NodeStats {
  uint64_t grants = 0;            // client requests answered with a range
  uint64_t ids_granted = 0;       // IDs in those ranges
  std::array<uint64_t, status_count> replies{};  // client replies by Status (ok included)
  // Proposer phases started: prepare (classic: read) and accept (classic: write).
  uint64_t prepare_phases = 0;
  uint64_t accept_phases = 0;
  uint64_t fast_path_accepts = 0; // accept phases that skipped their prepare (fast path)
  uint64_t orphans_recovered = 0; // failed proposals found again and granted to their requests
  uint64_t ballot_conflicts = 0;  // rounds ended by a nack: another proposer holds a higher ballot
  uint64_t round_timeouts = 0;    // rounds without a quorum by their deadline
  uint64_t retries = 0;           // rounds started for requests whose previous round failed
  uint64_t nacks_sent = 0;        // prepares and accepts this acceptor refused
  uint64_t stale_answers_dropped = 0;  // promises and acks not counted: from a node's earlier life
};

}  // namespace rrseq

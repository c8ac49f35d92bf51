#pragma once
// Settings of one node and the small types its parts share.
#include <cstddef>
#include <cstdint>

#include "core/messages.h"
#include "core/speedups.h"

namespace rrseq {

using TimeUs = uint64_t;
using ConnId = uint64_t;

enum class Protocol : uint8_t { ballot, classic };
const char* protocol_name(Protocol p);

struct NodeConfig {
  uint32_t self = 0;
  uint32_t nodes = 3;
  Protocol protocol = Protocol::ballot;
  bool durable = false;  // false: memory mode, nothing is written
  // The node had state and lost it (its corrupt log was set aside): it must
  // rejoin from a majority of the others and never bootstrap a new cluster.
  bool lost_state = false;
  SpeedUps speedups;
  // A phase without a quorum by its timeout is retried. The timeout adapts:
  // round_timeout_rtt_factor times the smoothed time a phase took to complete,
  // doubled after each timeout, never below round_timeout_us nor above
  // round_timeout_max_us (where fsync plus round trip exceed the minimum, a
  // fixed timeout would fail every round).
  TimeUs round_timeout_us = 100'000;
  TimeUs round_timeout_max_us = 2'000'000;
  uint32_t round_timeout_rtt_factor = 3;
  TimeUs backoff_min_us = 500;            // randomized backoff after a ballot conflict
  TimeUs backoff_max_us = 50'000;         // or backoff_rtt_factor phase times, if longer:
                                          // several rivals then spread over a few rounds
  uint32_t backoff_rtt_factor = 16;
  // The phase-time window never passes this. At 0.5 s, five proposers of one
  // sequence with syncs of 100+ ms on every node (7 nodes, 4 up) kept
  // colliding past the 3 s liveness bound (7-node seeds 8963, 12910, ...).
  TimeUs backoff_rtt_cap_us = 1'000'000;
  TimeUs rejoin_retry_us = 50'000;        // resend rejoin requests this often
  TimeUs queued_request_timeout_us = 1'000'000;  // a client request queued longer than this gets `timeout`
  // A request for a sequence whose latest accept here came from another node
  // this recently, with no other node's prepare above it since, is redirected
  // there rather than start a round that preempts that node. Clients wander
  // off a node after their attempt timeout while it keeps proposing, so
  // without this several nodes duel for one sequence (7 nodes, slow syncs:
  // seeds 2688, 4059, 8507, 12162, 16544, 18094 got no grant for 3 s).
  TimeUs leader_hint_us = 1'000'000;
};

inline uint32_t majority(uint32_t n) { return n / 2 + 1; }

struct PeerSend {
  uint32_t to = 0;
  PeerMessage msg;
};

struct PendingRequest {
  ConnId conn = 0;
  ClientRequest req;
  TimeUs arrived_us = 0;
};

}  // namespace rrseq

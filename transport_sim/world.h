#pragma once
// The seeded discrete-event world: virtual time, a network that carries encoded
// frames between nodes and clients, one simulated disk per node, process
// crashes and restarts, and client workloads as fibers. It drives the real
// core/ code and records what clients saw. Single-threaded and deterministic:
// same Scenario, same trace, bit for bit.
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "transport_sim/observer.h"
#include "transport_sim/scenario.h"

namespace rrseq {

struct WorldStats {
  uint64_t events = 0;
  uint64_t messages = 0;
  uint64_t dropped = 0;     // lost, cut by a partition, or sent to a dead process
  uint64_t duplicated = 0;
  uint64_t crashes = 0;
  uint64_t wipes = 0;
  uint64_t restarts = 0;
  uint64_t client_crashes = 0;
  uint64_t connections_lost = 0;  // a client saw its connection to a crashed node close, or refused
  uint64_t skipped_faults = 0;  // would have left a majority without state
  uint64_t syncs = 0;
  uint64_t slow_links = 0;      // slow-link changes applied
  uint64_t slow_frames = 0;     // frames sent over a slow link
  uint64_t pauses = 0;          // node pauses
  uint64_t client_pauses = 0;
  uint64_t held_events = 0;     // frames, timers, syncs that waited for a paused process
  uint64_t aimed_wipes = 0;     // wipe-after-promise triggers that fired
  uint64_t rejoin_crashes = 0;  // crash-in-rejoin triggers that fired
  uint64_t absent_nodes = 0;    // not started at time 0
  uint64_t final_down = 0;      // still down after the final heal
  uint64_t final_isolated = 0;  // cut off after the final heal
  // Disk faults, counted where they fire.
  uint64_t sync_errors = 0;        // an fdatasync failed (EIO): the node stopped
  uint64_t enospc_stops = 0;       // an append or compaction hit a full disk: the node stopped
  uint64_t compactions = 0;
  uint64_t compaction_errors = 0;  // a compaction failed before its rename (ENOSPC): the old log stays
  uint64_t compaction_crashes = 0; // power lost between the steps of a compaction
  uint64_t crashes_after_compaction = 0;  // a crash right after a compaction's first sync
  uint64_t power_losses = 0;       // every node at once
  uint64_t corrupt_logs = 0;       // a synced byte went bad: set aside, rejoined (--rejoin-if-corrupt)
  uint64_t holes = 0;              // crashes that persisted unsynced bytes out of order
  uint64_t names_reverted = 0;     // crashes that undid names not yet dir-synced
  uint64_t disk_restarts = 0;      // restarts after a disk error
  // Door callers.
  uint64_t reads = 0;             // Current answered
  uint64_t advances = 0;          // Advance answered
  uint64_t reader_refusals = 0;   // answered with an error (not ready, overloaded, ...)
  uint64_t reader_timeouts = 0;   // no answer in time: the node died, or the frame was lost
};

struct WorldResult {
  WorldStats stats;
  uint64_t trace_hash = 0;
  std::vector<std::string> failures;  // broken invariants of the machinery itself (codec, storage)
};

// Runs one world, reporting what clients saw to `observer`. With `trace`,
// every event is written to it, one line each.
WorldResult run_world(const Scenario& s, WorldObserver& observer, std::ostream* trace);

}  // namespace rrseq

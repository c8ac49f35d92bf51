#pragma once
// Everything one simulated run does, made explicit: the cluster, the clients,
// the network and disk model, and the list of fault events. rrseq-sim derives a
// Scenario from a seed (harness/sim_options.h); RapidCheck generates and
// shrinks them directly.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/node_config.h"

namespace rrseq {

struct NetModel {
  TimeUs delay_min_us = 50;
  TimeUs delay_spread_us = 400;   // uniform on top of the minimum
  uint32_t tail_ppm = 0;          // chance of a long delay
  TimeUs tail_max_us = 0;
  uint32_t loss_ppm = 0;
  uint32_t dup_ppm = 0;
};

struct DiskModel {
  TimeUs sync_min_us = 50;
  TimeUs sync_spread_us = 200;
  uint32_t slow_ppm = 0;          // chance that one sync is slow
  TimeUs slow_max_us = 0;
  bool tear = false;              // a crash keeps a random part of unsynced bytes
  bool reorder = false;           // ... with a hole before intact later bytes (out-of-order pages)
  bool lose_dir_ops = false;      // a crash may undo creations and renames not yet dir-synced
  uint32_t sync_eio_ppm = 0;      // chance that one fdatasync fails with EIO
  uint32_t slow_nodes = 0;        // bit n: every sync of node n takes slow_sync_min..max_us
  TimeUs slow_sync_min_us = 0;
  TimeUs slow_sync_max_us = 0;
  uint64_t compact_log_bytes = 0; // a node compacts its log past this size; 0: never
};

// The one sequence every simulated client asks for.
inline constexpr const char* sim_sequence = "orders";

struct ClientSpec {
  uint64_t buf_size = 0;
  uint32_t first_server = 0;
  TimeUs think_max_us = 2'000;    // pause between two IDs, uniform in [0, max]
  bool affinity = false;          // prefer the node the sequence name hashes to
  bool adaptive = false;          // grow or shrink the buffer with the rate of use
  // Follow redirects (client index i is node i) before the final heal too;
  // after it every client follows them.
  bool follow_redirects_before_heal = true;
  // Callers taking IDs from this one client at once, as threads of one Client
  // do; more than one only when buf_size is 0, where they share requests.
  uint32_t callers = 1;
};

enum class FaultKind : uint8_t {
  crash,          // node process dies; unsynced writes are lost (torn if DiskModel::tear)
  crash_wipe,     // node dies and its data directory is gone (amnesia)
  restart,        // node process starts again
  cut,            // block the link a -> b (one way)
  heal,           // every cut link works again (slow links stay slow)
  client_crash,   // client process dies, its buffer is lost
  client_restart,
  // Armed at at_us, fired by the node's own next step, so a crash lands where
  // quorum registers break: right after the node acknowledged a promise or an
  // accept (b = 1: and its data directory is lost), or right after it proposed
  // a value while its own records were still unsynced.
  crash_after_ack,
  crash_in_sync,
  // Slow and lopsided links: from at_us on, every frame on the node link a -> b
  // takes `us` longer (0: normal again). It also lifts a cut on that link, so a
  // schedule can turn a cut link into a slow one ("delayed, not lost").
  slow_link,
  // A stopped or starved process (SIGSTOP, CPU starvation) for `us`: it handles
  // no event; frames to it queue and arrive at resume, its timers fire late.
  pause,
  client_pause,
  // Amnesia aimed at the weak spots. Armed at at_us; fired by the node's own step:
  //   wipe_after_promise: node a sends an ok Promise to proposer b: it crashes
  //                       and loses its data directory at once;
  //   crash_in_rejoin:    node a is rejoining and has just sent a rejoin step:
  //                       it crashes (b = 1: and loses its data directory).
  // When it fires, the trigger's `then` events are scheduled, at_us counting
  // from the firing, so a restart, a heal or a client's request can follow the
  // wipe by a few milliseconds whenever the wipe happens.
  wipe_after_promise,
  crash_in_rejoin,
  // Disk faults (durable mode).
  power_loss,           // every node crashes at once, dropping unsynced writes
  disk_full,            // node a's disk holds only b more bytes: ENOSPC past that
  disk_freed,           // node a's disk has room again
  crash_in_compaction,  // armed: node a's next compaction loses power after b writes
  // Node a crashes and one byte of the synced part of its log (below its sync
  // mark) goes bad; it restarts as with --rejoin-if-corrupt: sets the log
  // aside and rejoins without state (a loss of state, so a minority only).
  corrupt_log,
  // Armed: node a crashes right after the first sync that follows one of its
  // compactions let acks leave, before any later record can repeat what the
  // compaction had to carry over (the records written while it ran).
  crash_after_compaction,
};
const char* fault_kind_name(FaultKind k);

struct FaultEvent {
  FaultEvent() = default;
  FaultEvent(TimeUs at, FaultKind k, uint32_t a_, uint32_t b_, TimeUs us_ = 0)
      : at_us(at), kind(k), a(a_), b(b_), us(us_) {}

  TimeUs at_us = 0;
  FaultKind kind = FaultKind::heal;
  uint32_t a = 0;  // node or client
  // second node for `cut`, `slow_link`, `wipe_after_promise`; bytes for
  // `disk_full`; writes for `crash_in_compaction`
  uint32_t b = 0;
  TimeUs us = 0;   // extra delay of `slow_link`, length of a pause
  std::vector<FaultEvent> then;  // triggers only: scheduled relative to the firing
};

// Partial start and partial heal: nodes that never start, and a minority that
// is still down or isolated after the final heal.
struct PartialModel {
  std::vector<uint32_t> absent;         // not started at time 0 (a `restart` may start one later)
  std::vector<uint32_t> final_down;     // down after the final heal (crashed there if up)
  std::vector<uint32_t> final_isolated; // up after the final heal, cut off from every other node
  std::vector<uint32_t> final_cut_clients;  // after the final heal, reach only the minority
  bool empty() const {
    return absent.empty() && final_down.empty() && final_isolated.empty() && final_cut_clients.empty();
  }
};

struct Scenario {
  uint64_t seed = 1;           // drives delays, losses, disk latency, think times
  uint32_t nodes = 3;
  Protocol protocol = Protocol::ballot;
  bool durable = false;
  SpeedUps speedups;
  bool share_requests = true;  // the clients' (ClientConfig::share_requests)
  bool keep_ahead = true;      // the clients' (ClientConfig::keep_ahead)
  std::vector<ClientSpec> clients;
  // Door callers (the gRPC and HTTP doors): each asks a node drawn from the
  // seed for the sequence's Current, or for an Advance when `advances`, one
  // call at a time, each on a connection of its own, never redirected.
  uint32_t readers = 0;
  bool advances = false;
  // Readers ask only this node. A calm run's: its client's node, so that no
  // two proposers contend and lose a range (G5 is one client alone).
  std::optional<uint32_t> reader_node;
  TimeUs reader_think_max_us = 20'000;  // pause between two calls, uniform in [0, max]
  NetModel net;
  DiskModel disk;
  uint32_t skew_ppm_max = 0;   // node timers run up to this much fast or slow
  std::vector<FaultEvent> faults;  // sorted by time, all before heal_us
  PartialModel partial;
  // From here on: every node up and the network whole, except the minority
  // named in `partial`; every client that reaches the majority must be served.
  TimeUs heal_us = 3'000'000;
  TimeUs liveness_bound_us = 3'000'000;
  bool calm = false;           // one client and no fault: G5 applies

  std::string describe() const;  // readable, one fault per line
};

// One fault and its follow-ups, one per line ("+Xus" for those after a trigger).
void describe_fault(std::ostream& o, const FaultEvent& f, const std::string& indent);

}  // namespace rrseq

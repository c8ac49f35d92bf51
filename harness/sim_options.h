#pragma once
// rrseq-sim's options, and how a seed becomes a Scenario under them.
#include <cstdint>
#include <string>

#include "core/node_config.h"
#include "transport_sim/scenario.h"

namespace rrseq {

enum FaultBit : uint32_t {
  fault_net = 1,        // delay tail, loss, duplication, reordering
  fault_partition = 2,  // one-way cuts, isolated nodes, split brain
  fault_crash = 4,      // node and client crashes and restarts, timer skew
  fault_disk = 8,       // durable mode: torn and reordered writes, lost names, slow syncs,
                        // compactions cut short, power loss of every node
  fault_amnesia = 16,   // a minority of nodes loses its data directory
  fault_slow = 32,      // slow, lopsided links (up to several round timeouts); partitions of 10 s and more
  fault_pause = 64,     // a node or client stops for 10 ms to 2 s, then resumes with stale timers
  fault_aimed = 128,    // amnesia aimed at weak spots: after a promise to a far proposer, twice, mid-rejoin
  fault_partial = 256,  // nodes never started; a minority still down or isolated after the final heal
  fault_disk_error = 512,  // durable mode: fdatasync fails (EIO), disk full (ENOSPC)
  // Five nodes and more: a rejoin's fence reaches one node only and climbs
  // there, then amnesia aimed at that far proposer (the five-node shape above
  // the fence margin).
  fault_stray_fence = 1024,
  fault_all = 2047,
};

enum class StorageMode : uint8_t { any, memory, durable };

struct SimOptions {
  uint32_t nodes = 3;
  uint32_t clients = 4;
  uint32_t readers = 1;  // door callers asking for Current, and Advance unless calm
  uint32_t faults = fault_all;
  Protocol protocol = Protocol::ballot;
  uint64_t time_ms = 3000;  // simulated time with faults, before the final heal
  StorageMode storage = StorageMode::any;
  SpeedUps speedups;
  bool affinity = true;  // about half the clients prefer the sequence's home node
  bool adaptive = true;  // about half the clients adapt their buffer size
  bool several_callers = true;  // about half the unbuffered clients have 2..4 callers
  bool share_requests = true;   // callers waiting at once on one client share a request
  bool keep_ahead = true;       // buffered clients keep more ranges ahead when one comes late
};

inline constexpr uint32_t sim_nodes_min = 3;
inline constexpr uint32_t sim_clients_max = 64;
inline constexpr uint32_t sim_readers_max = 16;
inline constexpr uint32_t sim_callers_max = 4;  // per unbuffered client
inline constexpr uint64_t sim_time_ms_max = 3'600'000;
inline constexpr TimeUs sim_liveness_bound_us = 3'000'000;
// Under `disk`, simulated nodes compact past a few KiB, so runs reach compaction.
inline constexpr uint64_t sim_compact_log_bytes_min = 2'048;
inline constexpr uint64_t sim_compact_log_bytes_max = 16'384;
// Slow disks under `disk`: every sync of a slow node takes this long, on top.
inline constexpr TimeUs sim_slow_sync_min_us = 5'000;
inline constexpr TimeUs sim_slow_sync_max_us = 150'000;
// Under `disk-error`: chance of one fdatasync failing, and a full disk's room.
inline constexpr uint32_t sim_sync_eio_ppm_max = 2'000;
inline constexpr uint64_t sim_disk_full_room_bytes_max = 512;

// "none", "all", or a comma list of net,partition,crash,disk,amnesia,slow,pause,aimed,partial,disk-error,stray-fence.
bool parse_faults(const std::string& text, uint32_t* out, std::string* error);
std::string faults_name(uint32_t faults);

Scenario make_scenario(uint64_t seed, const SimOptions& opt);

// The options that differ from the defaults, as command-line flags.
std::string option_flags(const SimOptions& opt);

}  // namespace rrseq

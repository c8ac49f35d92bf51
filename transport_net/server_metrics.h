#pragma once
// What rrseq-server exposes at /metrics: the node's protocol counters
// (core/node_stats.h), its sequences' high-water marks, and what only the
// server knows (peers, connections, the log file, fsync latency). Every name
// is listed in README.md ("Metrics").
#include <cstdint>
#include <string>

#include "core/node.h"
#include "transport_net/metrics_text.h"

namespace rrseq {

// What the server knows beyond the node, read on its io thread at each scrape.
struct ServerGauges {
  uint32_t peers = 0;     // other nodes configured
  uint32_t peers_up = 0;  // of them, connected and greeted
  uint64_t connections_open = 0;  // accepted client and peer connections
  uint64_t log_bytes = 0;  // durable mode: size of rrseq.log
  uint64_t metrics_connections_refused = 0;
  uint64_t client_connections_refused = 0;  // closed at their Hello: client_connections_max open
  uint64_t too_many_requests = 0;           // replies the server sent itself, before the node
};

// fdatasync latency in seconds: 100 us (a fast NVMe) to 1 s (a disk in trouble).
Histogram make_fsync_histogram();

std::string render_server_metrics(const Node& node, const ServerGauges& g, const Histogram& fsync_seconds);

}  // namespace rrseq

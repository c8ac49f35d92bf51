#pragma once
// Limits of the TCP transport, with units. Checked where bytes enter.
#include <cstddef>
#include <cstdint>

#include "core/limits.h"

namespace rrseq {

inline constexpr size_t write_queue_bytes_max = 8u << 20;        // per connection; more closes it
inline constexpr uint64_t handshake_timeout_ms = 5'000;           // Hello must arrive by then
inline constexpr uint64_t reconnect_delay_ms_min = 50;            // peer reconnect backoff
inline constexpr uint64_t reconnect_delay_ms_max = 2'000;
inline constexpr size_t address_bytes_max = 255;
// One read takes up to this much from a socket (into a scratch buffer per
// thread); an unfinished frame's start is kept per connection, at most a frame.
inline constexpr size_t read_chunk_bytes = 64u << 10;

// Untrusted connections: a client, or anything that has not said it is a peer.
inline constexpr size_t client_connections_max = 4096;            // greeted clients per node; more are closed
inline constexpr size_t client_frame_bytes_max = 1024;            // whole frame; a ClientRequest needs 100
inline constexpr size_t client_write_queue_bytes_max = 64u << 10; // replies unread by one client; more closes it
// Once a frame's first byte is in, the rest must follow within this (at
// least 100 KiB/s for the largest frame): a trickler holds a slot, not forever.
inline constexpr uint64_t frame_arrival_ms_max = 10'000;
// File descriptors kept back from RLIMIT_NOFILE for the listener, peers, the
// log file and the event loop; the rest bound how many connections are accepted.
inline constexpr size_t fds_reserved = 64;
inline constexpr uint64_t accept_retry_delay_ms = 100;            // after accept fails (EMFILE)

// The bounds one connection enforces on what it reads and what it queues.
struct ConnLimits {
  size_t frame_bytes = frame_bytes_max;
  size_t write_queue_bytes = write_queue_bytes_max;
  uint64_t frame_arrival_ms = 0;  // 0: none (a peer, or a server the client library chose)
};
inline constexpr ConnLimits peer_conn_limits{};
inline constexpr ConnLimits client_conn_limits{client_frame_bytes_max, client_write_queue_bytes_max,
                                               frame_arrival_ms_max};

}  // namespace rrseq

#pragma once
// Every bound the protocol enforces, with its unit. Untrusted input is checked
// against these where it enters (codec, storage recovery, command lines).
#include <cstddef>
#include <cstdint>

namespace rrseq {

// 2: promise quorums carry epochs (Voter), founders, fence replies carry epochs.
// 3: promises and accept acks carry the lives their acceptor knows of.
// 4: a client request says whether it may be redirected; a reply may redirect.
// 5: a client request may read (count 0) or advance (at_least) a sequence.
inline constexpr uint8_t wire_version = 5;
inline constexpr size_t frame_header_bytes = 10;          // version, type, body length, crc32c
inline constexpr size_t frame_bytes_max = 1u << 20;       // whole frame, header included
inline constexpr size_t seq_name_bytes_max = 64;          // [A-Za-z0-9_.-]{1,64}
inline constexpr uint64_t range_ids_max = 1u << 20;       // IDs in one client request
// IDs one unbuffered request asks for on behalf of the callers of one client
// that wait at once (one each); more callers wait for the next request.
inline constexpr uint64_t shared_request_ids_max = 1024;
// Requests of one buffered client in flight at once, at most (keep_ahead):
// well under conn_requests_in_flight_max, so one client never meets that limit.
inline constexpr uint32_t ranges_ahead_max = 16;
inline constexpr size_t sequences_max = 4096;             // named sequences per node
inline constexpr size_t conn_requests_in_flight_max = 64; // unanswered client requests on one connection
inline constexpr size_t queued_requests_max = 4096;      // client requests queued per node; more get `overloaded`
inline constexpr uint32_t cluster_nodes_max = 9;          // nodes in one cluster
inline constexpr size_t log_record_bytes_max = 1u << 16;  // one storage record payload
// The largest ID a sequence may grant; a sequence whose next ID would pass it is exhausted.
inline constexpr uint64_t id_max = UINT64_MAX - 1;

}  // namespace rrseq

#pragma once
// Limits of the TCP transport, with units. Checked where bytes enter.
#include <cstddef>
#include <cstdint>

namespace rrseq {

inline constexpr size_t write_queue_bytes_max = 8u << 20;        // per connection; more closes it
inline constexpr uint64_t handshake_timeout_ms = 5'000;           // Hello must arrive by then
inline constexpr uint64_t reconnect_delay_ms_min = 50;            // peer reconnect backoff
inline constexpr uint64_t reconnect_delay_ms_max = 2'000;
inline constexpr size_t address_bytes_max = 255;

}  // namespace rrseq

#pragma once
// What this machine allows, measured in the same run as the benchmarks, so
// rows whose target is a limit ("within 1.2x of two round trips") report a
// ratio to a figure of this run, not of another machine or day.
#include <cstdint>
#include <string>
#include <vector>

namespace rrseq::bench {

inline constexpr size_t probe_append_bytes = 64;     // one small record, as a grant's accept
inline constexpr size_t probe_syncs = 200;           // appends + fdatasync per probe
inline constexpr size_t probe_round_trips = 2'000;   // ping-pongs per round-trip probe
inline constexpr size_t probe_message_bytes = 64;    // about a Next request or its reply

// Each returns the time of every sample in ns, or empty with `error` set.
// A small append then fdatasync, in a fresh file under `dir` (the directory
// durable nodes keep their logs in).
std::vector<double> probe_fdatasync(const std::string& dir, std::string* error);
// A loopback TCP round trip (TCP_NODELAY, probe_message_bytes each way) with
// an echo on another thread of this process, or in a child process.
std::vector<double> probe_round_trip_threads(std::string* error);
std::vector<double> probe_round_trip_processes(std::string* error);

double median(std::vector<double> v);

}  // namespace rrseq::bench

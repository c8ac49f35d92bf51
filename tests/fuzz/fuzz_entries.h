#pragma once
// What the fuzz targets check, in one place: the libFuzzer targets (clang,
// scripts/fuzz.sh) and fuzz_regression_test (gtest, the normal build) both feed
// bytes through these, so a saved input is judged the same way by both.
//
// Each takes arbitrary bytes and returns "" when every property held, else what
// broke. Each checks the bytes as given and again with their checksums made
// right, so the fuzzer also reaches the decoders behind the CRC32C.
#include <cstdint>
#include <span>
#include <string>

namespace rrseq::fuzz {

// The bytes as one wire frame (core/codec.h):
// - decode_frame either decodes or gives a reason; decode_header agrees with it;
// - a decoded message re-encodes to the very same bytes (one encoding per
//   message), and those decode to an equal message.
std::string check_frame(std::span<const uint8_t> data);

// The bytes as a node's rrseq.log, recovered by Storage::open on an in-memory Env:
// - a refusal names the file and an offset and leaves the file untouched;
//   with OnCorruptLog::set_aside the same log is moved aside, byte for byte,
//   and the node starts empty and marked as having lost state;
// - a recovery leaves an intact prefix plus one sync mark for it, cuts nothing
//   below the highest intact sync mark (log_format.h), cuts no intact record
//   of a version 1 log, reads back a record appended after it on reopening,
//   and a compaction keeps the state.
std::string check_log_recovery(std::span<const uint8_t> data);

// For the libFuzzer targets: prints the problem and aborts, so libFuzzer saves the input.
void abort_on_problem(const std::string& problem);

}  // namespace rrseq::fuzz

#pragma once
// Append-only log of checksummed records.
//
// Record = u32 masked crc32c (of type byte + payload) | u32 payload length | u8 type | payload.
// Little-endian. A record that is cut short at the end of the file, or whose
// checksum fails while it reaches the end of the file, is a torn tail: the
// writer died there, recovery truncates it. A checksum failure with bytes
// after it is corruption in the middle: recovery reports the offset and the
// node refuses to serve from it. So is a bad record of any kind with an
// intact record anywhere after it: a torn write leaves nothing intact behind
// it, so a bad length field must not pass for a torn tail and cut synced
// records off.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/env.h"

namespace rrseq {

inline constexpr size_t log_record_header_bytes = 9;
inline constexpr uint8_t log_record_type_full = 1;
// Payload bytes read_log checksums while looking for an intact record after a
// bad one; past that it calls the bad record corruption, the safe side.
inline constexpr uint64_t log_tail_scan_bytes_max = uint64_t{64} << 20;

// Appends the framed record to `out`.
void append_log_record(std::string_view payload, std::string& out);

struct LogReadResult {
  std::vector<std::string> payloads;  // every intact record before the first bad one
  uint64_t valid_bytes = 0;           // length of the intact prefix
  bool torn_tail = false;             // bytes after valid_bytes are a torn last write
  bool corrupt = false;               // a bad record with data after it
  uint64_t bad_offset = 0;            // offset of the first bad record (torn or corrupt)
  std::string error;                  // "offset 4096: checksum mismatch" etc.
};
LogReadResult read_log(std::span<const uint8_t> contents);

class LogWriter {
 public:
  explicit LogWriter(std::unique_ptr<AppendFile> file) : file_(std::move(file)) {}
  Result add_record(std::string_view payload);
  // Several records, one append call (one write for a group commit).
  Result add_records(const std::vector<std::string>& payloads);
  Result sync() { return file_->sync(); }

 private:
  std::unique_ptr<AppendFile> file_;
};

}  // namespace rrseq

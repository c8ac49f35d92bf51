#pragma once
// Append-only log of checksummed records.
//
// Record = u32 masked crc32c (of type byte + payload) | u32 payload length | u8 type | payload.
// Little-endian. Three record types:
//   full       a StorageRecord payload (durable_state.h);
//   sync mark  u64 X: "bytes [0, X) of this file were synced". Storage appends
//              one (unsynced) after every successful sync; it rides the next sync;
//   header     u32 format version; only at offset 0. Version 2 logs start with it;
//              a log without it is version 1 (written before sync marks existed).
//
// Recovery has to tell synced bytes from unsynced ones (FAULTS.md: corruption
// is not a torn tail; disks persist unsynced pages out of order). Let S be the
// highest X of any intact sync mark in the file, before or after the first bad
// record. A bad record that starts below S was synced: corruption, the node
// refuses (or sets the log aside). A bad record at or after S in a version 2
// log is an unsynced tail, cut at its first byte even if intact records follow:
// those were never synced, so never acknowledged (the node answers only after
// a sync). In a version 1 log the old rule stays for bytes at or after S: a bad
// record is a torn tail only if it reaches the end and nothing intact follows.
//
// The window that remains: a record that was synced, whose sync mark was lost
// in the same crash (the mark had not been synced yet), and that the disk then
// damaged, is read as unsynced and cut. Only the last synced group can be in
// that window; closing it would cost a second fdatasync per group commit.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/env.h"

namespace rrseq {

inline constexpr size_t log_record_header_bytes = 9;
inline constexpr uint8_t log_record_type_full = 1;
inline constexpr uint8_t log_record_type_sync_mark = 2;
inline constexpr uint8_t log_record_type_header = 3;
inline constexpr uint32_t log_format_version_legacy = 1;  // no header, no sync marks
inline constexpr uint32_t log_format_version = 2;         // what this build writes
inline constexpr size_t log_sync_mark_payload_bytes = 8;  // u64 synced bytes
inline constexpr size_t log_header_payload_bytes = 4;     // u32 format version
inline constexpr size_t log_sync_mark_bytes = log_record_header_bytes + log_sync_mark_payload_bytes;
inline constexpr size_t log_header_bytes = log_record_header_bytes + log_header_payload_bytes;
// Payload bytes read_log checksums while looking for an intact record after a
// bad one; past that it calls the bad record corruption, the safe side.
inline constexpr uint64_t log_tail_scan_bytes_max = uint64_t{64} << 20;

// Appends the framed record to `out`.
void append_log_record(std::string_view payload, std::string& out);
// Appends the version header (first record of a version 2 log) to `out`.
void append_log_header(std::string& out);
// Appends a sync mark saying bytes [0, synced_bytes) are synced to `out`.
void append_sync_mark(uint64_t synced_bytes, std::string& out);

struct LogReadResult {
  std::vector<std::string> payloads;  // every intact full record before the first bad one
  std::vector<uint64_t> offsets;      // where each of payloads starts in the file
  uint64_t valid_bytes = 0;           // length of the intact prefix
  bool torn_tail = false;             // bytes after valid_bytes were never synced: cut them
  bool corrupt = false;               // a bad record in synced bytes (or, version 1, with data after it)
  uint32_t version = log_format_version_legacy;
  uint64_t synced_bytes = 0;          // S: the highest intact sync mark, 0 if none
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
  // Bytes already framed (a header, a sync mark), in one append call.
  Result add_framed(std::string_view framed) { return file_->append(framed); }
  Result sync() { return file_->sync(); }

 private:
  std::unique_ptr<AppendFile> file_;
};

}  // namespace rrseq

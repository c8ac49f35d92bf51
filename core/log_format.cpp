#include "core/log_format.h"

#include <algorithm>
#include <optional>

#include "core/bytes.h"
#include "core/crc32c.h"
#include "core/limits.h"

namespace rrseq {

namespace {

uint32_t record_crc(uint8_t type, std::span<const uint8_t> payload) {
  uint32_t crc = crc32c::value(&type, 1);
  return crc32c::extend(crc, payload.data(), payload.size());
}

struct RecordHeader {
  uint32_t masked_crc = 0;
  uint32_t length = 0;
  uint8_t type = 0;
};

void append_typed(uint8_t type, std::string_view payload, std::string& out) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(payload.data());
  ByteWriter w(out);
  w.put_u32(crc32c::mask(record_crc(type, {bytes, payload.size()})));
  w.put_u32(static_cast<uint32_t>(payload.size()));
  w.put_u8(type);
  out.append(payload);
}

RecordHeader parse_record_header(std::span<const uint8_t> contents, uint64_t pos) {
  ByteReader r(contents.subspan(pos, log_record_header_bytes));
  RecordHeader h;
  (void)(r.get_u32(&h.masked_crc) && r.get_u32(&h.length) && r.get_u8(&h.type));
  return h;
}

// Why the bad record at `pos` cannot be a torn last write, or "" if it can be:
// an intact record starts somewhere after it (or too much to check does).
std::string intact_record_after(std::span<const uint8_t> contents, uint64_t pos) {
  uint64_t budget = log_tail_scan_bytes_max;
  for (uint64_t at = pos + 1; contents.size() - at >= log_record_header_bytes; ++at) {
    const RecordHeader h = parse_record_header(contents, at);
    if (h.type != log_record_type_full || h.length > log_record_bytes_max ||
        h.length > contents.size() - at - log_record_header_bytes) {
      continue;
    }
    if (h.length > budget) {
      return "more than " + std::to_string(log_tail_scan_bytes_max) +
             " bytes after it to check for intact records";
    }
    budget -= h.length;
    if (crc32c::unmask(h.masked_crc) ==
        record_crc(h.type, contents.subspan(at + log_record_header_bytes, h.length))) {
      return "an intact record follows at offset " + std::to_string(at);
    }
  }
  return "";
}

// The synced-bytes claim of an intact sync mark at `pos`, if one is there.
// A mark never claims bytes past its own start (it was written after them).
std::optional<uint64_t> sync_mark_at(std::span<const uint8_t> contents, uint64_t pos) {
  if (contents.size() - pos < log_sync_mark_bytes) return std::nullopt;
  const RecordHeader h = parse_record_header(contents, pos);
  if (h.type != log_record_type_sync_mark || h.length != log_sync_mark_payload_bytes) return std::nullopt;
  auto payload = contents.subspan(pos + log_record_header_bytes, log_sync_mark_payload_bytes);
  if (crc32c::unmask(h.masked_crc) != record_crc(h.type, payload)) return std::nullopt;
  uint64_t synced = 0;
  ByteReader r(payload);
  (void)r.get_u64(&synced);
  if (synced > pos) return std::nullopt;
  return synced;
}

// The highest claim of the intact sync marks anywhere after `pos`: bytes a bad
// record cannot tell us about (its length field may be the damaged part).
uint64_t highest_sync_mark_after(std::span<const uint8_t> contents, uint64_t pos) {
  uint64_t best = 0;
  for (uint64_t at = pos + 1; at + log_sync_mark_bytes <= contents.size(); ++at) {
    if (auto x = sync_mark_at(contents, at)) best = std::max(best, *x);
  }
  return best;
}

}  // namespace

void append_log_record(std::string_view payload, std::string& out) {
  append_typed(log_record_type_full, payload, out);
}

void append_log_header(std::string& out) {
  std::string payload;
  ByteWriter(payload).put_u32(log_format_version);
  append_typed(log_record_type_header, payload, out);
}

void append_sync_mark(uint64_t synced_bytes, std::string& out) {
  std::string payload;
  ByteWriter(payload).put_u64(synced_bytes);
  append_typed(log_record_type_sync_mark, payload, out);
}

LogReadResult read_log(std::span<const uint8_t> contents) {
  LogReadResult r;
  const uint64_t size = contents.size();
  // Marks the record at `pos` bad: corruption if it lies below the synced
  // watermark; else an unsynced tail (version 2), or for version 1 a torn tail
  // only if it claims the rest of the file (`reaches_end`) and nothing intact
  // hides in that rest.
  auto fail = [&](uint64_t pos, bool reaches_end, const std::string& why) {
    r.synced_bytes = std::max(r.synced_bytes, highest_sync_mark_after(contents, pos));
    r.bad_offset = pos;
    std::string because;
    if (pos < r.synced_bytes) {
      r.corrupt = true;
      because = ", below the synced watermark " + std::to_string(r.synced_bytes);
    } else if (r.version >= log_format_version) {
      r.torn_tail = true;
    } else {
      because = reaches_end ? intact_record_after(contents, pos) : "";
      r.torn_tail = reaches_end && because.empty();
      r.corrupt = !r.torn_tail;
      if (!because.empty()) because = ", but " + because;
    }
    r.error = "offset " + std::to_string(pos) + ": " + why + because;
    return r;
  };
  // A checksummed record whose fields are wrong was not torn: always corruption.
  auto bad_fields = [&](uint64_t pos, const std::string& why) {
    r.bad_offset = pos;
    r.corrupt = true;
    r.error = "offset " + std::to_string(pos) + ": " + why;
    return r;
  };

  uint64_t pos = 0;
  while (pos < size) {
    if (size - pos < log_record_header_bytes) {
      return fail(pos, true, "header cut short (" + std::to_string(size - pos) + " of " +
                                 std::to_string(log_record_header_bytes) + " bytes)");
    }
    const auto [masked_crc, length, type] = parse_record_header(contents, pos);

    const uint64_t end = pos + log_record_header_bytes + length;
    if (length > log_record_bytes_max) {
      return fail(pos, end >= size,
                  "length too large (" + std::to_string(length) + " > " +
                      std::to_string(log_record_bytes_max) + ")");
    }
    if (end > size) {
      return fail(pos, true, "payload cut short (" +
                                 std::to_string(size - pos - log_record_header_bytes) + " of " +
                                 std::to_string(length) + " bytes)");
    }
    auto payload = contents.subspan(pos + log_record_header_bytes, length);
    if (crc32c::unmask(masked_crc) != record_crc(type, payload)) {
      return fail(pos, end == size, "checksum mismatch");
    }
    if (type == log_record_type_full) {
      r.payloads.emplace_back(reinterpret_cast<const char*>(payload.data()), payload.size());
      r.offsets.push_back(pos);
    } else if (type == log_record_type_sync_mark) {
      if (length != log_sync_mark_payload_bytes) {
        return bad_fields(pos, "sync mark of " + std::to_string(length) + " bytes (want " +
                                   std::to_string(log_sync_mark_payload_bytes) + ")");
      }
      uint64_t synced = 0;
      (void)ByteReader(payload).get_u64(&synced);
      if (synced > pos) {
        return bad_fields(pos, "sync mark claims " + std::to_string(synced) +
                                   " synced bytes, past its own offset");
      }
      r.synced_bytes = std::max(r.synced_bytes, synced);
    } else if (type == log_record_type_header) {
      uint32_t version = 0;
      if (length != log_header_payload_bytes) {
        return bad_fields(pos, "log header of " + std::to_string(length) + " bytes (want " +
                                   std::to_string(log_header_payload_bytes) + ")");
      }
      (void)ByteReader(payload).get_u32(&version);
      if (pos != 0) return bad_fields(pos, "log header not at the start of the file");
      if (version != log_format_version) {
        return bad_fields(pos, "log format version " + std::to_string(version) + " (this build reads " +
                                   std::to_string(log_format_version_legacy) + " and " +
                                   std::to_string(log_format_version) + ")");
      }
      r.version = version;
    } else {
      return fail(pos, end == size, "unknown record type " + std::to_string(type));
    }
    pos = end;
    r.valid_bytes = pos;
  }
  return r;
}

namespace {

Result check_payload_size(std::string_view payload) {
  if (payload.size() <= log_record_bytes_max) return Result::ok();
  return Result::error("log record too large (" + std::to_string(payload.size()) + " > " +
                       std::to_string(log_record_bytes_max) + " bytes)");
}

}  // namespace

Result LogWriter::add_record(std::string_view payload) {
  if (Result r = check_payload_size(payload); !r.is_ok()) return r;
  std::string framed;
  append_log_record(payload, framed);
  return file_->append(framed);
}

Result LogWriter::add_records(const std::vector<std::string>& payloads) {
  std::string framed;
  for (const auto& p : payloads) {
    if (Result r = check_payload_size(p); !r.is_ok()) return r;
    append_log_record(p, framed);
  }
  return file_->append(framed);
}

}  // namespace rrseq

#include "core/log_format.h"

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

}  // namespace

void append_log_record(std::string_view payload, std::string& out) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(payload.data());
  ByteWriter w(out);
  w.put_u32(crc32c::mask(record_crc(log_record_type_full, {bytes, payload.size()})));
  w.put_u32(static_cast<uint32_t>(payload.size()));
  w.put_u8(log_record_type_full);
  out.append(payload);
}

LogReadResult read_log(std::span<const uint8_t> contents) {
  LogReadResult r;
  const uint64_t size = contents.size();
  // Marks the record at `pos` bad. `reaches_end`: it claims the rest of the
  // file; unless an intact record hides in that rest, the writer died while
  // writing it (torn tail) rather than the disk lying.
  auto fail = [&](uint64_t pos, bool reaches_end, const std::string& why) {
    const std::string not_torn = reaches_end ? intact_record_after(contents, pos) : "";
    r.bad_offset = pos;
    r.torn_tail = reaches_end && not_torn.empty();
    r.corrupt = !r.torn_tail;
    r.error = "offset " + std::to_string(pos) + ": " + why + (not_torn.empty() ? "" : ", but " + not_torn);
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
    if (type != log_record_type_full) {
      return fail(pos, end == size, "unknown record type " + std::to_string(type));
    }
    r.payloads.emplace_back(reinterpret_cast<const char*>(payload.data()), payload.size());
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

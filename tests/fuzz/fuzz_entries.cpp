#include "tests/fuzz/fuzz_entries.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "core/bytes.h"
#include "core/codec.h"
#include "core/crc32c.h"
#include "core/durable_state.h"
#include "core/limits.h"
#include "core/log_format.h"
#include "core/storage.h"
#include "transport_sim/sim_env.h"

namespace rrseq::fuzz {
namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string string_of(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// Index of the first byte where a and b differ (the shorter length if one is a prefix).
size_t first_difference(std::string_view a, std::string_view b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

// Overwrites 4 bytes at `at` with `v`, little-endian.
void put_u32_at(std::string& s, size_t at, uint32_t v) {
  std::string le;
  ByteWriter(le).put_u32(v);
  s.replace(at, le.size(), le);
}

// ---- frames ----

constexpr size_t frame_crc_offset = 6;  // header: u8 version, u8 type, u32 body length, u32 crc

// The frame with its checksum recomputed over version, type and body (codec.h).
std::string with_frame_checksum(std::span<const uint8_t> data) {
  std::string s = string_of(data);
  if (s.size() < frame_header_bytes) return s;
  uint32_t crc = crc32c::value(data.data(), 2);
  crc = crc32c::extend(crc, data.data() + frame_header_bytes, data.size() - frame_header_bytes);
  put_u32_at(s, frame_crc_offset, crc32c::mask(crc));
  return s;
}

std::string check_one_frame(std::span<const uint8_t> data) {
  const DecodeResult decoded = decode_frame(data);
  if (const auto* e = std::get_if<DecodeError>(&decoded)) {
    return e->reason.empty() ? "decode_frame failed without saying why" : "";
  }
  const Message& m = std::get<Message>(decoded);
  const std::string what = describe(m);

  const auto header = decode_header(data.first(frame_header_bytes));
  if (const auto* e = std::get_if<DecodeError>(&header)) {
    return "decode_header refuses the header of " + what + ": " + e->reason;
  }
  if (std::get<uint32_t>(header) != data.size() - frame_header_bytes) {
    return "decode_header gives body length " + std::to_string(std::get<uint32_t>(header)) +
           " for " + what + ", whose body has " + std::to_string(data.size() - frame_header_bytes);
  }

  const std::string given = string_of(data);
  const std::string again = encode_frame(m);
  if (again != given) {
    return what + " re-encodes to other bytes (" + std::to_string(again.size()) + " vs " +
           std::to_string(given.size()) + ", first difference at " +
           std::to_string(first_difference(again, given)) + ")";
  }
  const DecodeResult round = decode_frame(bytes_of(again));
  const auto* back = std::get_if<Message>(&round);
  if (!back || !(*back == m)) return "the re-encoded frame of " + what + " decodes differently";
  return "";
}

// ---- logs ----

const std::string log_dir = "/fuzz";
const std::string log_path = log_dir + "/" + log_file_name;
const std::string set_aside_path = log_dir + "/" + corrupt_log_prefix + "1";
const std::string refusal_start = log_path + " offset ";
const std::string refusal_end = "; refusing to serve from a corrupted log";

// The log with each record's checksum recomputed over type and payload
// (log_format.h), as far as the records' lengths fit the bytes.
std::string with_log_checksums(std::span<const uint8_t> data) {
  std::string s = string_of(data);
  size_t pos = 0;
  while (s.size() - pos >= log_record_header_bytes) {
    ByteReader r(data.subspan(pos + 4, 5));
    uint32_t length = 0;
    uint8_t type = 0;
    (void)(r.get_u32(&length) && r.get_u8(&type));
    if (length > s.size() - pos - log_record_header_bytes) break;
    const uint32_t crc =
        crc32c::extend(crc32c::value(&type, 1), data.data() + pos + log_record_header_bytes, length);
    put_u32_at(s, pos, crc32c::mask(crc));
    pos += log_record_header_bytes + length;
  }
  return s;
}

// The whole state as bytes: framed records of its snapshot, so two states
// compare equal exactly when these do.
std::string fingerprint(const DurableState& st) {
  std::string out;
  for (const auto& rec : st.snapshot()) append_log_record(encode_record(rec), out);
  return out;
}

Result put_file(SimEnv& env, const std::string& path, std::string_view bytes) {
  std::unique_ptr<AppendFile> f;
  if (Result r = env.open_append(path, &f); !r.is_ok()) return r;
  if (Result r = f->append(bytes); !r.is_ok()) return r;
  return f->sync();
}

std::string file_or_error(SimEnv& env, const std::string& path) {
  std::string out;
  if (Result r = env.read_all(path, &out); !r.is_ok()) return "<" + r.message() + ">";
  return out;
}

// Storage::open refused the log `given` with `error`.
std::string check_refusal(SimEnv& env, const std::string& given, const std::string& error) {
  if (error.rfind(refusal_start, 0) != 0 || error.size() < refusal_end.size() ||
      error.compare(error.size() - refusal_end.size(), refusal_end.size(), refusal_end) != 0) {
    return "the refusal does not name the file and offset: " + error;
  }
  const uint64_t offset = std::strtoull(error.c_str() + refusal_start.size(), nullptr, 10);
  if (offset >= given.size()) {
    return "the refusal names offset " + std::to_string(offset) + " of a " +
           std::to_string(given.size()) + "-byte log: " + error;
  }
  if (file_or_error(env, log_path) != given) return "refusing changed the log: " + error;

  // --rejoin-if-corrupt: the same log is moved aside whole and the node starts empty.
  std::unique_ptr<Storage> s;
  OpenedStorage opened;
  if (Result r = Storage::open(env, log_dir, &s, &opened, OnCorruptLog::set_aside); !r.is_ok()) {
    return "setting the corrupt log aside failed: " + r.message();
  }
  const std::string corruption = error.substr(0, error.size() - refusal_end.size());
  if (opened.set_aside != corruption + "; moved to " + set_aside_path) {
    return "set_aside says '" + opened.set_aside + "' for the refusal '" + error + "'";
  }
  if (file_or_error(env, set_aside_path) != given) return "the set-aside log differs from the corrupt one";
  std::string fresh;  // a new log: its version header and the sync mark for it
  append_log_header(fresh);
  append_sync_mark(fresh.size(), fresh);
  if (file_or_error(env, log_path) != fresh || s->log_bytes() != fresh.size()) return "the new log is not fresh";
  if (!opened.lost_state || fingerprint(opened.state) != fingerprint(DurableState{})) {
    return "after setting the log aside the node does not start empty and marked as having lost state";
  }
  return "";
}

// Where an intact record (complete, right checksum, known type) starts at or
// after `from`, if anywhere. Deliberately slow and simple: read_log of exactly
// the record that a header at each offset announces.
std::optional<uint64_t> intact_record_from(std::string_view log, uint64_t from) {
  for (uint64_t at = from; at + log_record_header_bytes <= log.size(); ++at) {
    ByteReader r(bytes_of(log.substr(at + 4, 4)));
    uint32_t length = 0;
    (void)r.get_u32(&length);
    if (length > log.size() - at - log_record_header_bytes) continue;
    if (read_log(bytes_of(log.substr(at, log_record_header_bytes + length))).payloads.size() == 1) return at;
  }
  return std::nullopt;
}

// The highest claim of an intact sync mark anywhere in `log` (read_log of
// exactly the record a header at each offset announces), 0 if none.
uint64_t highest_sync_mark(std::string_view log) {
  uint64_t best = 0;
  for (uint64_t at = 0; at + log_sync_mark_bytes <= log.size(); ++at) {
    const std::string_view rec = log.substr(at, log_sync_mark_bytes);
    if (static_cast<uint8_t>(rec[8]) != log_record_type_sync_mark) continue;
    ByteReader r(bytes_of(rec.substr(4, 4)));
    uint32_t length = 0;
    (void)r.get_u32(&length);
    if (length != log_sync_mark_payload_bytes) continue;
    ByteReader pr(bytes_of(rec.substr(log_record_header_bytes, 8)));
    uint64_t claim = 0;
    (void)pr.get_u64(&claim);
    std::string expect;
    append_sync_mark(claim, expect);
    if (expect == rec && claim <= at) best = std::max(best, claim);
  }
  return best;
}

// Storage::open recovered `given` into `s` and `opened`.
std::string check_recovered(SimEnv& env, const std::string& given, std::unique_ptr<Storage> s,
                            const OpenedStorage& opened) {
  std::string kept = file_or_error(env, log_path);
  // Reopening appends one sync mark for what it recovered (or a fresh log's
  // header and mark): the rest must be a prefix of what was given.
  std::string expect_mark;
  if (kept.size() >= log_sync_mark_bytes) {
    append_sync_mark(kept.size() - log_sync_mark_bytes, expect_mark);
  }
  if (expect_mark.empty() || kept.compare(kept.size() - log_sync_mark_bytes, log_sync_mark_bytes, expect_mark) != 0) {
    return "recovery did not end the log with a sync mark for what it kept";
  }
  kept.resize(kept.size() - log_sync_mark_bytes);
  std::string header;
  append_log_header(header);
  // A log with nothing intact left starts afresh with a version header.
  const bool created = kept == header && given.compare(0, header.size(), header) != 0;
  if (!created && (kept.size() > given.size() || given.compare(0, kept.size(), kept) != 0)) {
    return "recovery left bytes that are not a prefix of the log";
  }
  const LogReadResult log = read_log(bytes_of(kept));
  if (log.torn_tail || log.corrupt) return "recovery left a bad record: " + log.error;
  if (s->log_bytes() != kept.size() + log_sync_mark_bytes) {
    return "log_bytes " + std::to_string(s->log_bytes()) + ", the file has " +
           std::to_string(kept.size() + log_sync_mark_bytes);
  }
  if (opened.lost_state || !opened.set_aside.empty()) return "lost state with no log set aside";
  if (!created && kept.size() < given.size()) {
    // Synced bytes are never cut: nothing below the highest sync mark.
    if (const uint64_t synced = highest_sync_mark(given); kept.size() < synced) {
      return "recovery cut the log at offset " + std::to_string(kept.size()) +
             ", below the synced watermark " + std::to_string(synced);
    }
    // A version 1 log (no header) keeps the old rule: what a torn write leaves
    // has nothing intact after it, so an intact record there means synced state.
    if (log.version == log_format_version_legacy) {
      if (auto at = intact_record_from(given, kept.size() + 1)) {
        return "recovery cut the version 1 log at offset " + std::to_string(kept.size()) +
               " as a torn tail, but an intact record follows at offset " + std::to_string(*at);
      }
    }
  }

  // A record appended now is read back after the recovered ones.
  const StorageRecord extra = IncarnationRecord{opened.state.incarnation + 1};
  if (Result r = s->append({encode_record(extra)}); !r.is_ok()) return "append: " + r.message();
  if (Result r = s->sync(); !r.is_ok()) return "sync: " + r.message();
  s.reset();
  DurableState expected = opened.state;
  expected.apply(extra);
  OpenedStorage again;
  if (Result r = Storage::open(env, log_dir, &s, &again); !r.is_ok()) {
    return "reopening after an append: " + r.message();
  }
  if (fingerprint(again.state) != fingerprint(expected)) {
    return "reopened: the state is not the recovered one plus the appended record";
  }

  // A compaction keeps the state.
  if (Result r = s->compact(again.state); !r.is_ok()) return "compact: " + r.message();
  s.reset();
  OpenedStorage compacted;
  if (Result r = Storage::open(env, log_dir, &s, &compacted); !r.is_ok()) {
    return "reopening after a compaction: " + r.message();
  }
  if (fingerprint(compacted.state) != fingerprint(expected)) return "compaction changed the state";
  return "";
}

std::string check_one_log(const std::string& given) {
  SimEnv env;
  if (Result r = put_file(env, log_path, given); !r.is_ok()) return "setup: " + r.message();
  std::unique_ptr<Storage> s;
  OpenedStorage opened;
  Result r = Storage::open(env, log_dir, &s, &opened);
  if (!r.is_ok()) return check_refusal(env, given, r.message());
  return check_recovered(env, given, std::move(s), opened);
}

}  // namespace

std::string check_frame(std::span<const uint8_t> data) {
  if (std::string p = check_one_frame(data); !p.empty()) return "as given: " + p;
  const std::string fixed = with_frame_checksum(data);
  if (fixed == string_of(data)) return "";
  if (std::string p = check_one_frame(bytes_of(fixed)); !p.empty()) {
    return "with the checksum made right: " + p;
  }
  return "";
}

std::string check_log_recovery(std::span<const uint8_t> data) {
  const std::string given = string_of(data);
  if (std::string p = check_one_log(given); !p.empty()) return "as given: " + p;
  const std::string fixed = with_log_checksums(data);
  if (fixed == given) return "";
  if (std::string p = check_one_log(fixed); !p.empty()) return "with the checksums made right: " + p;
  return "";
}

void abort_on_problem(const std::string& problem) {
  if (problem.empty()) return;
  std::fprintf(stderr, "rrseq fuzz check failed: %s\n", problem.c_str());
  std::abort();
}

}  // namespace rrseq::fuzz

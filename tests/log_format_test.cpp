// The storage log: intact records read back, a short or bad last record is a
// torn tail, a bad record with data after it is corruption.
#include "core/log_format.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "core/bytes.h"
#include "core/crc32c.h"
#include "core/limits.h"

namespace rrseq {
namespace {

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string framed(const std::vector<std::string>& payloads) {
  std::string out;
  for (const auto& p : payloads) append_log_record(p, out);
  return out;
}

void put_u32_at(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

const std::vector<std::string> kPayloads = {"alpha", "", std::string(300, 'x'), "omega"};

TEST(LogFormat, EmptyLogReadsNoRecords) {
  LogReadResult r = read_log({});
  EXPECT_TRUE(r.payloads.empty());
  EXPECT_EQ(r.valid_bytes, 0u);
  EXPECT_FALSE(r.torn_tail);
  EXPECT_FALSE(r.corrupt);
  EXPECT_TRUE(r.error.empty());
}

TEST(LogFormat, RecordHasNineByteHeader) {
  EXPECT_EQ(framed({"abc"}).size(), log_record_header_bytes + 3);
}

TEST(LogFormat, RecordsRoundTrip) {
  std::string log = framed(kPayloads);
  LogReadResult r = read_log(bytes_of(log));
  EXPECT_EQ(r.payloads, kPayloads);
  EXPECT_EQ(r.valid_bytes, log.size());
  EXPECT_FALSE(r.torn_tail);
  EXPECT_FALSE(r.corrupt);
}

TEST(LogFormat, TruncatedTrailingRecordIsTornTail) {
  std::string log = framed(kPayloads);
  const size_t last_start = framed({kPayloads.begin(), kPayloads.end() - 1}).size();
  for (size_t cut = last_start + 1; cut < log.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    LogReadResult r = read_log(bytes_of(log.substr(0, cut)));
    EXPECT_TRUE(r.torn_tail);
    EXPECT_FALSE(r.corrupt);
    EXPECT_EQ(r.valid_bytes, last_start);
    EXPECT_EQ(r.bad_offset, last_start);
    EXPECT_EQ(r.payloads, std::vector<std::string>(kPayloads.begin(), kPayloads.end() - 1));
    EXPECT_NE(r.error.find("offset " + std::to_string(last_start) + ":"), std::string::npos)
        << r.error;
  }
}

TEST(LogFormat, ChecksumFailureAtEndIsTornTail) {
  std::string log = framed(kPayloads);
  log.back() ^= 0x01;
  LogReadResult r = read_log(bytes_of(log));
  const size_t last_start = log.size() - log_record_header_bytes - kPayloads.back().size();
  EXPECT_TRUE(r.torn_tail);
  EXPECT_FALSE(r.corrupt);
  EXPECT_EQ(r.valid_bytes, last_start);
  EXPECT_EQ(r.payloads.size(), kPayloads.size() - 1);
  EXPECT_EQ(r.error, "offset " + std::to_string(last_start) + ": checksum mismatch");
}

TEST(LogFormat, ChecksumFailureInMiddleIsCorruption) {
  std::string log = framed(kPayloads);
  log[log_record_header_bytes] ^= 0x40;  // first payload byte of the first record
  LogReadResult r = read_log(bytes_of(log));
  EXPECT_TRUE(r.corrupt);
  EXPECT_FALSE(r.torn_tail);
  EXPECT_EQ(r.bad_offset, 0u);
  EXPECT_EQ(r.valid_bytes, 0u);
  EXPECT_TRUE(r.payloads.empty());
  EXPECT_EQ(r.error, "offset 0: checksum mismatch");
}

TEST(LogFormat, CorruptionInSecondRecordKeepsFirst) {
  std::string log = framed(kPayloads);
  const size_t second = log_record_header_bytes + kPayloads[0].size();
  log[second] ^= 0x01;  // crc byte of the (empty) second record
  LogReadResult r = read_log(bytes_of(log));
  EXPECT_TRUE(r.corrupt);
  EXPECT_EQ(r.bad_offset, second);
  EXPECT_EQ(r.valid_bytes, second);
  EXPECT_EQ(r.payloads, std::vector<std::string>{kPayloads[0]});
}

TEST(LogFormat, OversizedLengthIsRejected) {
  std::string log = framed({"first", std::string(100, 'y'), "last"});
  const size_t second = log_record_header_bytes + 5;
  std::string middle = log;
  put_u32_at(middle, second + 4, log_record_bytes_max + 1);
  // The claimed length reaches past EOF, but "last" is intact after it: corruption.
  LogReadResult r = read_log(bytes_of(middle));
  EXPECT_TRUE(r.corrupt);
  EXPECT_EQ(r.bad_offset, second);
  EXPECT_NE(r.error.find("length too large"), std::string::npos) << r.error;

  // The same bad length on the last record: a torn tail.
  std::string at_end = framed({"first"});
  append_log_record(std::string(100, 'y'), at_end);
  put_u32_at(at_end, second + 4, log_record_bytes_max + 1);
  r = read_log(bytes_of(at_end));
  EXPECT_TRUE(r.torn_tail);
  EXPECT_EQ(r.bad_offset, second);

  // With more bytes after the claimed end than it claims: corruption.
  std::string big = middle + std::string(log_record_bytes_max + 64, '\0');
  r = read_log(bytes_of(big));
  EXPECT_TRUE(r.corrupt);
  EXPECT_EQ(r.bad_offset, second);
  EXPECT_EQ(r.payloads, std::vector<std::string>{"first"});
  EXPECT_NE(r.error.find("length too large"), std::string::npos) << r.error;
}

// A bit flip in a length field of the middle makes a record claim the rest of
// the file. Reading it as a torn tail would cut every synced record after it.
TEST(LogFormat, LengthPastTheEndWithIntactRecordsAfterItIsCorruption) {
  std::string log = framed(kPayloads);
  const size_t second = log_record_header_bytes + kPayloads[0].size();
  log[second + 4 + 2] ^= 0x01;  // length 0 -> 65536: past the end of this small log
  LogReadResult r = read_log(bytes_of(log));
  EXPECT_TRUE(r.corrupt);
  EXPECT_FALSE(r.torn_tail);
  EXPECT_EQ(r.bad_offset, second);
  EXPECT_EQ(r.payloads, std::vector<std::string>{kPayloads[0]});
  EXPECT_EQ(r.error, "offset " + std::to_string(second) + ": payload cut short (" +
                         std::to_string(log.size() - second - log_record_header_bytes) +
                         " of 65536 bytes), but an intact record follows at offset " +
                         std::to_string(second + log_record_header_bytes));
}

// Looking for an intact record after a bad one checksums at most
// log_tail_scan_bytes_max bytes; past that the bad record counts as corruption.
TEST(LogFormat, TailScanPastItsLimitCallsItCorruption) {
  std::string record;  // a full-size record whose checksum fails
  append_log_record(std::string(log_record_bytes_max, '\0'), record);
  record[0] ^= 0x01;
  std::string log = framed({"first"});
  const size_t second = log.size();
  std::string bad_header = framed({"x"});
  put_u32_at(bad_header, 4, UINT32_MAX);  // claims the rest of the file
  log += bad_header.substr(0, log_record_header_bytes);
  for (int i = 0; i < 4; ++i) log += record;
  LogReadResult within = read_log(bytes_of(log));
  EXPECT_TRUE(within.torn_tail) << within.error;
  while (log.size() - second <= log_tail_scan_bytes_max + log_record_bytes_max) log += record;
  LogReadResult past = read_log(bytes_of(log));
  EXPECT_TRUE(past.corrupt);
  EXPECT_EQ(past.bad_offset, second);
  EXPECT_NE(past.error.find("more than " + std::to_string(log_tail_scan_bytes_max) + " bytes after it"),
            std::string::npos)
      << past.error;
}

TEST(LogFormat, UnknownTypeIsRejected) {
  // A record with a correct checksum but a type this reader does not know.
  const std::string payload = "payload";
  const uint8_t type = 7;
  uint32_t crc = crc32c::value(&type, 1);
  crc = crc32c::extend(crc, reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  std::string rec;
  ByteWriter w(rec);
  w.put_u32(crc32c::mask(crc));
  w.put_u32(static_cast<uint32_t>(payload.size()));
  w.put_u8(type);
  rec += payload;

  LogReadResult end = read_log(bytes_of(framed({"a"}) + rec));
  EXPECT_TRUE(end.torn_tail);
  EXPECT_EQ(end.payloads, std::vector<std::string>{"a"});
  EXPECT_NE(end.error.find("unknown record type 7"), std::string::npos) << end.error;

  LogReadResult mid = read_log(bytes_of(rec + framed({"a"})));
  EXPECT_TRUE(mid.corrupt);
  EXPECT_EQ(mid.bad_offset, 0u);
  EXPECT_EQ(mid.error, "offset 0: unknown record type 7");
}

TEST(LogWriter, RefusesOversizedRecord) {
  class NullFile : public AppendFile {
   public:
    Result append(std::string_view) override { return Result::ok(); }
    Result sync() override { return Result::ok(); }
  };
  LogWriter w(std::make_unique<NullFile>());
  EXPECT_FALSE(w.add_record(std::string(log_record_bytes_max + 1, 'z')).is_ok());
  EXPECT_TRUE(w.add_record(std::string(log_record_bytes_max, 'z')).is_ok());
}

RC_GTEST_PROP(LogFormat, AnyPrefixReadsAsPrefixOfRecords, (std::vector<std::string> payloads)) {
  std::string log = framed(payloads);
  const size_t cut = *rc::gen::inRange<size_t>(0, log.size() + 1);
  LogReadResult r = read_log(bytes_of(log.substr(0, cut)));
  RC_ASSERT_FALSE(r.corrupt);
  RC_ASSERT(r.payloads.size() <= payloads.size());
  RC_ASSERT(std::equal(r.payloads.begin(), r.payloads.end(), payloads.begin()));
  RC_ASSERT(r.torn_tail == (r.valid_bytes != cut));
}

// ---- Version 2: a header, and sync marks that tell synced bytes from unsynced ----

// A version 2 log: header, the first records, a sync mark covering them, then the rest.
struct V2Log {
  std::string bytes;
  uint64_t synced = 0;               // the sync mark's claim
  std::vector<uint64_t> offsets;     // where each record starts
};
V2Log v2_log(const std::vector<std::string>& synced, const std::vector<std::string>& unsynced) {
  V2Log l;
  append_log_header(l.bytes);
  for (const auto& p : synced) {
    l.offsets.push_back(l.bytes.size());
    append_log_record(p, l.bytes);
  }
  l.synced = l.bytes.size();
  append_sync_mark(l.synced, l.bytes);
  for (const auto& p : unsynced) {
    l.offsets.push_back(l.bytes.size());
    append_log_record(p, l.bytes);
  }
  return l;
}

TEST(LogFormatV2, HeaderAndMarksAreNotPayloads) {
  const V2Log l = v2_log({"a", "b"}, {"c"});
  LogReadResult r = read_log(bytes_of(l.bytes));
  EXPECT_EQ(r.payloads, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r.offsets, l.offsets);
  EXPECT_EQ(r.version, log_format_version);
  EXPECT_EQ(r.synced_bytes, l.synced);
  EXPECT_FALSE(r.torn_tail || r.corrupt);
}

// Power loss: a later unsynced page reached the disk, an earlier one did not.
// The hole and the intact records after it are cut, not called corruption.
TEST(LogFormatV2, HoleInUnsyncedBytesBeforeIntactRecordsIsAnUnsyncedTail) {
  V2Log l = v2_log({"synced"}, {"u1", "u2", "u3"});
  const uint64_t hole = l.offsets[2];  // "u2" zeroed; "u3" intact after it
  for (uint64_t i = hole; i < l.offsets[3]; ++i) l.bytes[i] = '\0';
  LogReadResult r = read_log(bytes_of(l.bytes));
  EXPECT_FALSE(r.corrupt) << r.error;
  EXPECT_TRUE(r.torn_tail);
  EXPECT_EQ(r.bad_offset, hole);
  EXPECT_EQ(r.valid_bytes, hole);
  EXPECT_EQ(r.payloads, (std::vector<std::string>{"synced", "u1"}));
  // The same damage in a version 1 log (no header) is still corruption.
  const std::string v1 = l.bytes.substr(log_header_bytes);
  EXPECT_TRUE(read_log(bytes_of(v1)).corrupt);
}

TEST(LogFormatV2, DamageBelowTheWatermarkIsCorruption) {
  V2Log l = v2_log({"first", "second"}, {});
  l.bytes[l.offsets[1] + log_record_header_bytes] ^= 0x01;  // a byte of "second"
  LogReadResult r = read_log(bytes_of(l.bytes));
  EXPECT_TRUE(r.corrupt);
  EXPECT_EQ(r.bad_offset, l.offsets[1]);
  EXPECT_EQ(r.error, "offset " + std::to_string(l.offsets[1]) + ": checksum mismatch, below the synced watermark " +
                         std::to_string(l.synced));
}

// A length field damaged below the watermark swallows the sync mark itself:
// the mark is still found after the bad record.
TEST(LogFormatV2, AMarkAfterTheDamageStillCounts) {
  V2Log l = v2_log({"first", "second"}, {"later"});
  put_u32_at(l.bytes, l.offsets[1] + 4, 60'000);  // claims far past the end
  LogReadResult r = read_log(bytes_of(l.bytes));
  EXPECT_TRUE(r.corrupt) << r.error;
  EXPECT_EQ(r.synced_bytes, l.synced);
  EXPECT_NE(r.error.find("below the synced watermark"), std::string::npos) << r.error;
}

// The window that remains (log_format.h): the last synced group, whose mark was
// lost in the same crash, is indistinguishable from unsynced bytes.
TEST(LogFormatV2, DamageInTheLastSyncedGroupWithoutItsMarkIsCut) {
  std::string log;
  append_log_header(log);
  const uint64_t at = log.size();
  append_log_record("synced, mark lost", log);
  append_log_record("after", log);
  log[at + log_record_header_bytes] ^= 0x01;
  LogReadResult r = read_log(bytes_of(log));
  EXPECT_TRUE(r.torn_tail);
  EXPECT_EQ(r.bad_offset, at);
}

TEST(LogFormatV2, EveryFieldOfHeaderAndMarkIsChecked) {
  auto typed = [](uint8_t type, const std::string& payload) {
    uint32_t crc = crc32c::value(&type, 1);
    crc = crc32c::extend(crc, reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
    std::string rec;
    ByteWriter w(rec);
    w.put_u32(crc32c::mask(crc));
    w.put_u32(static_cast<uint32_t>(payload.size()));
    w.put_u8(type);
    return rec + payload;
  };
  std::string header;
  append_log_header(header);
  auto error_of = [](const std::string& log) {
    LogReadResult r = read_log(bytes_of(log));
    EXPECT_TRUE(r.corrupt) << r.error;
    return r.error;
  };
  // A mark that claims bytes past its own start.
  std::string past = header;
  append_sync_mark(header.size() + 1, past);
  EXPECT_EQ(error_of(past), "offset 13: sync mark claims 14 synced bytes, past its own offset");
  // A mark of the wrong size.
  EXPECT_EQ(error_of(header + typed(log_record_type_sync_mark, "1234")), "offset 13: sync mark of 4 bytes (want 8)");
  // A header of the wrong size, not at the start, of an unknown version.
  EXPECT_EQ(error_of(typed(log_record_type_header, "12345")), "offset 0: log header of 5 bytes (want 4)");
  EXPECT_EQ(error_of(header + header), "offset 13: log header not at the start of the file");
  std::string v9;
  ByteWriter(v9).put_u32(9);
  EXPECT_EQ(error_of(typed(log_record_type_header, v9)), "offset 0: log format version 9 (this build reads 1 and 2)");
}

}  // namespace
}  // namespace rrseq

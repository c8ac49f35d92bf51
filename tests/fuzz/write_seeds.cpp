// Writes the seed inputs of tests/fuzz/corpus/: one frame of every message
// type, and logs as a node leaves them (intact, torn tail, corrupt middle;
// version 2 with sync marks: a hole in unsynced bytes, damage below a mark).
// Run once after the formats change, then commit what it wrote:
//   build-fuzz/write_seeds tests/fuzz/corpus
// Regression inputs (regression-*) are the fuzzers' findings and are kept as found.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/durable_state.h"
#include "core/log_format.h"
#include "core/messages.h"

namespace {

using namespace rrseq;

const Ballot b1{3, 1, make_incarnation(2, 7)};
const Ballot b2{4, 2, make_incarnation(0, 1)};

std::vector<std::pair<std::string, Message>> frames() {
  return {
      {"prepare", Prepare{"orders", b1}},
      {"promise", Promise{"orders", b1, true, b1, b2, 1001, 2, {Voter{2, 3}}}},
      {"accept", Accept{"orders", b1, 2001, b2, {Voter{0, 2}, Voter{1, 0}}}},
      {"accepted", Accepted{"orders", b1, true, b2, 2, {Voter{0, 1}}}},
      {"classic-read", ClassicRead{"orders", 7}},
      {"classic-read-reply", ClassicReadReply{"orders", 7, 100}},
      {"classic-write", ClassicWrite{"orders", 8, 200}},
      {"classic-write-reply", ClassicWriteReply{"orders", 8}},
      {"epoch-request", EpochRequest{42, 77}},
      {"epoch-reply", EpochReply{42, true, 3, b1, false, 78, true}},
      {"fence-request", FenceRequest{43, b2}},
      {"fence-reply", FenceReply{43, true, b2, {SeqState{"a", b1, b2, 5}, SeqState{"b.c-d_E9", b2, {}, 0}}, b2,
                                 {PeerEpoch{0, 1, 1}}}},
      {"client-request", ClientRequest{1, 2, "orders", 100}},
      {"client-request-advance", ClientRequest{1, 3, "orders", 0, false, 5000}},
      {"client-reply", ClientReply{1, 2, Status::ok, 1, 101}},
      {"hello", Hello{static_cast<uint32_t>(Role::peer), 1, 3, 0x1234abcd}},
      {"auth-challenge", AuthChallenge{AuthBytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}}},
      {"auth-proof", AuthProof{AuthBytes{0xde, 0xad, 0xbe, 0xef}}},
  };
}

std::string log_of(const std::vector<StorageRecord>& records) {
  std::string out;
  for (const auto& r : records) append_log_record(encode_record(r), out);
  return out;
}

std::vector<std::pair<std::string, std::string>> logs() {
  const std::vector<StorageRecord> records = {
      IncarnationRecord{make_incarnation(0, 1)},
      InitializedRecord{},
      FloorRecord{b2},
      EpochSeenRecord{2, 3},
      SeqRecord{SeqState{"orders", b1, b1, 1001}},
      SeqRecord{SeqState{"users", b2, b1, 7}},
      IncarnationRecord{make_incarnation(0, 2)},
  };
  const std::string intact = log_of(records);
  std::string torn = intact + log_of({SeqRecord{SeqState{"orders", b2, b2, 2001}}});
  torn.resize(torn.size() - 5);
  std::string corrupt = intact;
  corrupt[log_of({records[0]}).size() + log_record_header_bytes] ^= 0x20;  // second record's payload
  std::string long_length = intact;  // the second record claims the rest of the file
  long_length[log_of({records[0]}).size() + 4 + 3] = '\x7f';
  std::string bad_tag;
  append_log_record(std::string("\x09", 1), bad_tag);
  // Version 2, as Storage writes it: a header, records, a sync mark after each sync.
  std::string v2;
  append_log_header(v2);
  append_sync_mark(v2.size(), v2);
  v2 += log_of({records.begin(), records.begin() + 4});
  const size_t synced = v2.size();
  append_sync_mark(synced, v2);
  const size_t unsynced = v2.size();
  v2 += log_of({records.begin() + 4, records.end()});
  std::string hole = v2;  // power loss: the first unsynced record's page never reached the disk
  for (size_t i = unsynced; i < unsynced + log_record_header_bytes + 2; ++i) hole[i] = '\0';
  std::string below = v2;  // a synced record damaged: below the watermark
  below[synced - 3] ^= 0x20;
  return {
      {"log-v2-intact", v2},
      {"log-v2-hole-before-intact-unsynced", hole},
      {"log-v2-damage-below-mark", below},
      {"log-empty", ""},
      {"log-intact", intact},
      {"log-torn-tail", torn},
      {"log-corrupt-middle", corrupt},
      {"log-bad-tag-good-checksum", intact + bad_tag + intact},
      {"log-length-past-end-mid", long_length},
  };
}

bool write(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_seeds CORPUS_DIR (tests/fuzz/corpus)\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  std::filesystem::create_directories(root / "frame_fuzz");
  std::filesystem::create_directories(root / "log_recovery_fuzz");
  bool ok = true;
  for (const auto& [name, m] : frames()) ok &= write(root / "frame_fuzz" / ("seed-" + name), encode_frame(m));
  for (const auto& [name, bytes] : logs()) ok &= write(root / "log_recovery_fuzz" / ("seed-" + name), bytes);
  if (!ok) std::fprintf(stderr, "write_seeds: could not write every file under %s\n", argv[1]);
  return ok ? 0 : 1;
}

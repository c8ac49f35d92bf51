// Storage records, the state they rebuild, and recovery of the log on the
// simulated disk through crashes that drop or tear unsynced writes.
#include "core/storage.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "core/bytes.h"
#include "core/limits.h"
#include "transport_sim/sim_env.h"

namespace rrseq {
namespace {

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

SeqState seq_state(std::string name, uint64_t value) {
  return SeqState{std::move(name), Ballot{7, 1, 0x100000002ull}, Ballot{6, 2, 3}, value};
}

// Two states are equal when the records that rebuild them are.
std::vector<std::string> fingerprint(const DurableState& s) {
  std::vector<std::string> out;
  for (const auto& r : s.snapshot()) out.push_back(encode_record(r));
  return out;
}

DurableState state_of(const std::vector<StorageRecord>& records) {
  DurableState s;
  for (const auto& r : records) s.apply(r);
  return s;
}

std::string decode_error(const std::string& payload) {
  auto d = decode_record(bytes_of(payload));
  if (auto* e = std::get_if<DecodeError>(&d)) return e->reason;
  return "";
}

// ---- Records ----

std::vector<StorageRecord> one_of_each() {
  return {SeqRecord{seq_state("orders.v2-x_1", 12345)}, FloorRecord{Ballot{9, 4, 77}},
          EpochSeenRecord{3, 41}, IncarnationRecord{0xdeadbeef00000005ull}, InitializedRecord{}};
}

TEST(DurableState, EachRecordTypeRoundTrips) {
  for (const auto& rec : one_of_each()) {
    SCOPED_TRACE("tag " + std::to_string(rec.index()));
    const std::string enc = encode_record(rec);
    EXPECT_EQ(static_cast<uint8_t>(enc[0]), rec.index());
    auto dec = decode_record(bytes_of(enc));
    ASSERT_TRUE(std::holds_alternative<StorageRecord>(dec)) << std::get<DecodeError>(dec).reason;
    const auto& back = std::get<StorageRecord>(dec);
    EXPECT_EQ(back.index(), rec.index());
    EXPECT_EQ(encode_record(back), enc);
  }
}

TEST(DurableState, SeqRecordKeepsEveryField) {
  auto dec = decode_record(bytes_of(encode_record(SeqRecord{seq_state("s", UINT64_MAX)})));
  const auto& s = std::get<SeqRecord>(std::get<StorageRecord>(dec)).state;
  EXPECT_EQ(s.seq, "s");
  EXPECT_EQ(s.promised, (Ballot{7, 1, 0x100000002ull}));
  EXPECT_EQ(s.accepted, (Ballot{6, 2, 3}));
  EXPECT_EQ(s.value, UINT64_MAX);
}

TEST(DurableState, DecodeRejectsInvalidName) {
  for (std::string bad : {std::string(""), std::string("has space"), std::string("slash/"),
                          std::string(seq_name_bytes_max + 1, 'a')}) {
    // By hand: the encoder takes only valid names. Tag 0, then the name where it starts.
    std::string enc = encode_record(SeqRecord{seq_state("a", 1)});
    std::string name;
    ByteWriter(name).put_string(bad);
    enc.replace(1, 3, name);
    EXPECT_NE(decode_error(enc).find("record offset 1: "), std::string::npos) << bad;
    EXPECT_NE(decode_error(enc).find(seq_name_problem(bad)), std::string::npos) << bad;
  }
}

TEST(DurableState, DecodeRejectsTruncationAtEveryByte) {
  for (const auto& rec : one_of_each()) {
    const std::string enc = encode_record(rec);
    for (size_t cut = 0; cut < enc.size(); ++cut) {
      const std::string why = decode_error(enc.substr(0, cut));
      EXPECT_NE(why.find("truncated"), std::string::npos)
          << "tag " << rec.index() << " cut " << cut << ": " << why;
    }
  }
}

TEST(DurableState, DecodeRejectsTrailingBytes) {
  for (const auto& rec : one_of_each()) {
    const std::string enc = encode_record(rec);
    EXPECT_EQ(decode_error(enc + "x"),
              "record offset " + std::to_string(enc.size()) + ": 1 trailing bytes");
  }
}

TEST(DurableState, DecodeRejectsUnknownTagAndBadNode) {
  EXPECT_EQ(decode_error("\x63"), "record offset 0: unknown record tag 99");
  EXPECT_EQ(decode_error(encode_record(EpochSeenRecord{cluster_nodes_max, 1})),
            "record offset 1: node " + std::to_string(cluster_nodes_max) + " out of range (>= " +
                std::to_string(cluster_nodes_max) + ")");
  // The ballot's node, at offset 1 (tag) + 8 (round).
  EXPECT_EQ(decode_error(encode_record(FloorRecord{Ballot{1, 200, 1}})),
            "record offset 9: node 200 out of range (>= " + std::to_string(cluster_nodes_max) + ")");
}

TEST(DurableState, LastRecordForAKeyWinsAndFloorOnlyRises) {
  DurableState s = state_of({
      IncarnationRecord{5}, SeqRecord{seq_state("a", 10)}, EpochSeenRecord{1, 2},
      FloorRecord{Ballot{5, 0, 1}}, SeqRecord{seq_state("a", 20)}, EpochSeenRecord{1, 3},
      FloorRecord{Ballot{4, 0, 1}}, IncarnationRecord{6}, SeqRecord{seq_state("b", 1)},
  });
  EXPECT_FALSE(s.initialized);
  EXPECT_EQ(s.incarnation, 6u);
  EXPECT_EQ(s.floor, (Ballot{5, 0, 1}));
  EXPECT_EQ(s.epoch_seen.at(1), 3u);
  EXPECT_EQ(s.sequences.at("a").value, 20u);
  EXPECT_EQ(s.sequences.size(), 2u);
  s.apply(InitializedRecord{});
  EXPECT_TRUE(s.initialized);
}

TEST(DurableState, SnapshotRebuildsTheState) {
  DurableState s = state_of(one_of_each());
  s.apply(SeqRecord{seq_state("another", 3)});
  EXPECT_EQ(fingerprint(state_of(s.snapshot())), fingerprint(s));
  EXPECT_EQ(s.snapshot().size(), 6u);
  // An empty state snapshots to just its incarnation.
  EXPECT_EQ(DurableState{}.snapshot().size(), 1u);
}

// ---- SimEnv ----

TEST(SimEnv, CrashDropsUnsyncedBytesAndStalesHandles) {
  SimEnv env;
  std::unique_ptr<AppendFile> f;
  ASSERT_TRUE(env.open_append("d/f", &f).is_ok());
  ASSERT_TRUE(f->append("synced").is_ok());
  ASSERT_TRUE(f->sync().is_ok());
  ASSERT_TRUE(f->append("-lost").is_ok());
  std::string data;
  ASSERT_TRUE(env.read_all("d/f", &data).is_ok());
  EXPECT_EQ(data, "synced-lost");  // a live process sees its own writes
  EXPECT_EQ(env.unsynced_bytes(), 5u);

  Rng rng(1);
  env.crash(rng, /*tear=*/false);
  ASSERT_TRUE(env.read_all("d/f", &data).is_ok());
  EXPECT_EQ(data, "synced");
  EXPECT_EQ(env.unsynced_bytes(), 0u);
  EXPECT_FALSE(f->append("x").is_ok());
  EXPECT_FALSE(f->sync().is_ok());
}

TEST(SimEnv, TornCrashKeepsAPrefixOfUnsyncedBytes) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    SimEnv env;
    std::unique_ptr<AppendFile> f;
    ASSERT_TRUE(env.open_append("f", &f).is_ok());
    ASSERT_TRUE(f->append("abc").is_ok());
    ASSERT_TRUE(f->sync().is_ok());
    ASSERT_TRUE(f->append("defghij").is_ok());
    Rng rng(seed);
    env.crash(rng, /*tear=*/true);
    std::string data;
    ASSERT_TRUE(env.read_all("f", &data).is_ok());
    EXPECT_GE(data.size(), 3u);
    EXPECT_EQ(data, std::string("abcdefghij").substr(0, data.size()));
  }
}

TEST(SimEnv, WipeRemovesEverything) {
  SimEnv env;
  std::unique_ptr<AppendFile> f;
  ASSERT_TRUE(env.open_append("f", &f).is_ok());
  ASSERT_TRUE(f->append("x").is_ok());
  ASSERT_TRUE(f->sync().is_ok());
  env.wipe();
  EXPECT_FALSE(env.exists("f"));
  EXPECT_FALSE(f->append("y").is_ok());
}

TEST(SimEnv, RenameTruncateRemove) {
  SimEnv env;
  std::unique_ptr<AppendFile> f;
  ASSERT_TRUE(env.open_append("a", &f).is_ok());
  ASSERT_TRUE(f->append("0123456789").is_ok());
  EXPECT_FALSE(env.rename("missing", "b").is_ok());
  ASSERT_TRUE(env.rename("a", "b").is_ok());
  EXPECT_FALSE(env.exists("a"));
  ASSERT_TRUE(env.truncate("b", 4).is_ok());
  uint64_t size = 0;
  ASSERT_TRUE(env.file_size("b", &size).is_ok());
  EXPECT_EQ(size, 4u);
  ASSERT_TRUE(env.remove("b").is_ok());
  EXPECT_FALSE(env.remove("b").is_ok());
  std::string data;
  EXPECT_FALSE(env.read_all("b", &data).is_ok());
}

// ---- Storage on SimEnv ----

constexpr const char* kDir = "/data/n0";
const std::string kPath = std::string(kDir) + "/" + log_file_name;

std::vector<std::string> encode_all(const std::vector<StorageRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(encode_record(r));
  return out;
}

std::unique_ptr<Storage> open_ok(SimEnv& env, OpenedStorage* opened) {
  std::unique_ptr<Storage> s;
  Result r = Storage::open(env, kDir, &s, opened);
  EXPECT_TRUE(r.is_ok()) << r.message();
  return s;
}

// What a fresh log holds: its version header and the sync mark for it.
std::string fresh_log() {
  std::string out;
  append_log_header(out);
  append_sync_mark(out.size(), out);
  return out;
}

std::string last_note(const OpenedStorage& o) { return o.notes.empty() ? "" : o.notes.back(); }

TEST(Storage, FreshDirectoryStartsEmpty) {
  SimEnv env;
  OpenedStorage opened;
  auto s = open_ok(env, &opened);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->path(), kPath);
  EXPECT_TRUE(env.exists(kPath));
  EXPECT_EQ(fingerprint(opened.state), fingerprint(DurableState{}));
}

TEST(Storage, CrashWithoutTearRecoversExactlyTheSyncedRecords) {
  SimEnv env;
  OpenedStorage opened;
  auto s = open_ok(env, &opened);
  const std::vector<StorageRecord> synced = one_of_each();
  ASSERT_TRUE(s->append(encode_all(synced)).is_ok());
  ASSERT_TRUE(s->sync().is_ok());
  ASSERT_TRUE(s->append(encode_all({SeqRecord{seq_state("lost", 99)}})).is_ok());

  Rng rng(7);
  env.crash(rng, /*tear=*/false);
  EXPECT_FALSE(s->append(encode_all({InitializedRecord{}})).is_ok());  // stale after the crash

  OpenedStorage again;
  s = open_ok(env, &again);
  EXPECT_EQ(fingerprint(again.state), fingerprint(state_of(synced)));
  EXPECT_FALSE(again.state.sequences.contains("lost"));
  EXPECT_EQ(last_note(again), kPath + ": recovered 5 records");
}

TEST(Storage, TornCrashRecoversAPrefixAndTruncatesTheTail) {
  bool saw_torn_tail = false;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SimEnv env;
    OpenedStorage opened;
    auto s = open_ok(env, &opened);
    std::vector<StorageRecord> written = {IncarnationRecord{1}};
    ASSERT_TRUE(s->append(encode_all(written)).is_ok());
    ASSERT_TRUE(s->sync().is_ok());
    std::vector<StorageRecord> unsynced;
    for (int i = 0; i < 4; ++i) unsynced.push_back(SeqRecord{seq_state("s" + std::to_string(i), 10u + i)});
    ASSERT_TRUE(s->append(encode_all(unsynced)).is_ok());
    written.insert(written.end(), unsynced.begin(), unsynced.end());

    Rng rng(seed);
    env.crash(rng, /*tear=*/true);
    OpenedStorage again;
    s = open_ok(env, &again);
    ASSERT_TRUE(s);

    // The file now holds exactly the recovered prefix.
    std::string data;
    ASSERT_TRUE(env.read_all(kPath, &data).is_ok());
    LogReadResult log = read_log(bytes_of(data));
    EXPECT_FALSE(log.torn_tail);
    EXPECT_FALSE(log.corrupt);
    const size_t k = log.payloads.size();
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, written.size());
    EXPECT_EQ(log.payloads, encode_all({written.begin(), written.begin() + k}));
    EXPECT_EQ(fingerprint(again.state), fingerprint(state_of({written.begin(), written.begin() + k})));
    for (const auto& note : again.notes) {
      if (note.find("truncated torn tail") != std::string::npos) saw_torn_tail = true;
    }

    // Appends after recovery land after the prefix and survive the next crash.
    ASSERT_TRUE(s->append(encode_all({InitializedRecord{}})).is_ok());
    ASSERT_TRUE(s->sync().is_ok());
    env.crash(rng, /*tear=*/true);
    OpenedStorage third;
    s = open_ok(env, &third);
    EXPECT_TRUE(third.state.initialized);
    EXPECT_EQ(last_note(third), kPath + ": recovered " + std::to_string(k + 1) + " records");
  }
  EXPECT_TRUE(saw_torn_tail);
}

TEST(Storage, CorruptionInTheMiddleRefusesToOpen) {
  SimEnv env;
  OpenedStorage opened;
  auto s = open_ok(env, &opened);
  const size_t first = s->log_bytes();  // after the version header and its sync mark
  ASSERT_TRUE(s->append(encode_all(one_of_each())).is_ok());
  ASSERT_TRUE(s->sync().is_ok());
  const size_t second = first + log_record_header_bytes + encode_record(one_of_each()[0]).size();
  ASSERT_TRUE(env.corrupt_byte(kPath, second + log_record_header_bytes + 2).is_ok());

  std::unique_ptr<Storage> again;
  OpenedStorage o;
  Result r = Storage::open(env, kDir, &again, &o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.message(), kPath + " offset " + std::to_string(second) +
                             ": checksum mismatch, below the synced watermark " + std::to_string(s->log_bytes() - log_sync_mark_bytes) +
                             "; refusing to serve from a corrupted log");
  EXPECT_FALSE(again);
}

TEST(Storage, UndecodableRecordWithGoodChecksumRefusesToOpen) {
  SimEnv env;
  OpenedStorage opened;
  auto s = open_ok(env, &opened);
  const size_t first = s->log_bytes();
  const std::string good = encode_record(IncarnationRecord{1});
  ASSERT_TRUE(s->append({good, std::string("\x63")}).is_ok());
  ASSERT_TRUE(s->sync().is_ok());

  std::unique_ptr<Storage> again;
  OpenedStorage o;
  Result r = Storage::open(env, kDir, &again, &o);
  ASSERT_FALSE(r.is_ok());
  const size_t second = first + log_record_header_bytes + good.size();
  EXPECT_NE(r.message().find(kPath + " offset " + std::to_string(second) + ": "), std::string::npos)
      << r.message();
  EXPECT_NE(r.message().find("unknown record tag 99"), std::string::npos) << r.message();
}

// ---- --rejoin-if-corrupt: OnCorruptLog::set_aside ----

// Writes one_of_each() and flips a byte inside the second record; returns the
// second record's offset.
size_t write_corrupt_log(SimEnv& env) {
  OpenedStorage opened;
  auto s = open_ok(env, &opened);
  const size_t first = s->log_bytes();
  EXPECT_TRUE(s->append(encode_all(one_of_each())).is_ok());
  EXPECT_TRUE(s->sync().is_ok());
  const size_t second = first + log_record_header_bytes + encode_record(one_of_each()[0]).size();
  EXPECT_TRUE(env.corrupt_byte(kPath, second + log_record_header_bytes + 2).is_ok());
  return second;
}

std::string file_of(SimEnv& env, const std::string& path) {
  std::string out;
  EXPECT_TRUE(env.read_all(path, &out).is_ok()) << path;
  return out;
}

const std::string kFirstAside = std::string(kDir) + "/" + corrupt_log_prefix + "1";

TEST(Storage, CorruptLogIsSetAsideWhenAskedAndTheNodeStartsWithoutState) {
  SimEnv env;
  const size_t second = write_corrupt_log(env);
  const std::string corrupt = file_of(env, kPath);

  std::unique_ptr<Storage> s;
  OpenedStorage o;
  Result r = Storage::open(env, kDir, &s, &o, OnCorruptLog::set_aside);
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(o.set_aside.rfind(kPath + " offset " + std::to_string(second) + ": checksum mismatch, below the synced watermark ", 0), 0u)
      << o.set_aside;
  EXPECT_NE(o.set_aside.find("; moved to " + kFirstAside), std::string::npos) << o.set_aside;
  EXPECT_EQ(file_of(env, kFirstAside), corrupt);  // kept whole for a person to inspect
  EXPECT_EQ(file_of(env, kPath), fresh_log());
  EXPECT_EQ(fingerprint(o.state), fingerprint(DurableState{}));
  EXPECT_TRUE(o.lost_state);

  // Every restart knows it lost state until the node has state again.
  s.reset();
  OpenedStorage again;
  s = open_ok(env, &again);
  EXPECT_TRUE(again.lost_state);
  EXPECT_EQ(again.set_aside, "");
  ASSERT_TRUE(s->append(encode_all({InitializedRecord{}})).is_ok());
  ASSERT_TRUE(s->sync().is_ok());
  s.reset();
  OpenedStorage rejoined;
  s = open_ok(env, &rejoined);
  EXPECT_FALSE(rejoined.lost_state);
  EXPECT_TRUE(rejoined.state.initialized);
  EXPECT_EQ(file_of(env, kFirstAside), corrupt);
}

TEST(Storage, ASecondCorruptLogIsSetAsideNextToTheFirst) {
  SimEnv env;
  write_corrupt_log(env);
  std::unique_ptr<Storage> s;
  OpenedStorage o;
  ASSERT_TRUE(Storage::open(env, kDir, &s, &o, OnCorruptLog::set_aside).is_ok());
  s.reset();
  write_corrupt_log(env);
  const std::string second_corrupt = file_of(env, kPath);
  ASSERT_TRUE(Storage::open(env, kDir, &s, &o, OnCorruptLog::set_aside).is_ok());
  const std::string second_aside = std::string(kDir) + "/" + corrupt_log_prefix + "2";
  EXPECT_NE(o.set_aside.find("moved to " + second_aside), std::string::npos) << o.set_aside;
  EXPECT_EQ(file_of(env, second_aside), second_corrupt);
  EXPECT_TRUE(env.exists(kFirstAside));
}

TEST(Storage, SetAsideRefusesWhenTheDirectoryHoldsTooManyAndTouchesNothing) {
  SimEnv env;
  const size_t second = write_corrupt_log(env);
  const std::string corrupt = file_of(env, kPath);
  for (uint32_t n = 1; n <= corrupt_logs_max; ++n) {
    std::unique_ptr<AppendFile> f;
    ASSERT_TRUE(env.open_append(std::string(kDir) + "/" + corrupt_log_prefix + std::to_string(n), &f).is_ok());
  }
  std::unique_ptr<Storage> s;
  OpenedStorage o;
  Result r = Storage::open(env, kDir, &s, &o, OnCorruptLog::set_aside);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.message().rfind(kPath + " offset " + std::to_string(second) + ": checksum mismatch, below the synced watermark ", 0), 0u)
      << r.message();
  EXPECT_NE(r.message().find("; cannot set the log aside: "), std::string::npos)
      << r.message();
  EXPECT_EQ(file_of(env, kPath), corrupt);
}

TEST(Storage, TornTailIsTruncatedNotSetAside) {
  SimEnv env;
  OpenedStorage opened;
  auto s = open_ok(env, &opened);
  ASSERT_TRUE(s->append(encode_all(one_of_each())).is_ok());
  ASSERT_TRUE(s->sync().is_ok());
  s.reset();
  const uint64_t intact = file_of(env, kPath).size();
  {
    std::unique_ptr<AppendFile> f;
    ASSERT_TRUE(env.open_append(kPath, &f).is_ok());
    ASSERT_TRUE(f->append(std::string(5, '\x01')).is_ok());  // a record header cut short
  }
  OpenedStorage o;
  ASSERT_TRUE(Storage::open(env, kDir, &s, &o, OnCorruptLog::set_aside).is_ok());
  EXPECT_EQ(o.set_aside, "");
  EXPECT_FALSE(o.lost_state);
  EXPECT_FALSE(env.exists(kFirstAside));
  EXPECT_EQ(s->log_bytes(), intact + log_sync_mark_bytes);  // and the sync mark reopening appends
  EXPECT_EQ(fingerprint(o.state), fingerprint(state_of(one_of_each())));
}

TEST(Storage, CompactionKeepsTheStateThroughATornCrash) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SimEnv env;
    OpenedStorage opened;
    auto s = open_ok(env, &opened);
    DurableState state;
    auto write = [&](const std::vector<StorageRecord>& records) {
      for (const auto& r : records) state.apply(r);
      ASSERT_TRUE(s->append(encode_all(records)).is_ok());
    };
    write({IncarnationRecord{3}, InitializedRecord{}, EpochSeenRecord{1, 2}});
    for (uint64_t i = 0; i < 300; ++i) write({SeqRecord{seq_state("s" + std::to_string(i % 3), i)}});
    ASSERT_TRUE(s->sync().is_ok());
    const uint64_t before = s->log_bytes();
    uint64_t size = 0;
    ASSERT_TRUE(env.file_size(kPath, &size).is_ok());
    EXPECT_EQ(before, size);

    ASSERT_TRUE(s->compact(state).is_ok());
    ASSERT_TRUE(env.file_size(kPath, &size).is_ok());
    EXPECT_EQ(s->log_bytes(), size);
    EXPECT_LT(size * 20, before);
    EXPECT_FALSE(env.exists(kPath + ".tmp"));
    // The snapshot is durable once compact() returns; only its sync mark waits for the next sync.
    EXPECT_EQ(env.unsynced_bytes(), log_sync_mark_bytes);

    // Unsynced appends after the compaction may be torn by the crash.
    write({SeqRecord{seq_state("s0", 1000)}});
    Rng rng(seed);
    env.crash(rng, /*tear=*/true);
    OpenedStorage again;
    s = open_ok(env, &again);
    ASSERT_TRUE(s);
    DurableState expected = state;
    if (again.state.sequences.at("s0").value != 1000) {
      expected.apply(SeqRecord{seq_state("s0", 297)});
    }
    EXPECT_EQ(fingerprint(again.state), fingerprint(expected));

    // Appends after the compaction and the crash are recovered too.
    ASSERT_TRUE(s->append(encode_all({SeqRecord{seq_state("s1", 2000)}})).is_ok());
    ASSERT_TRUE(s->sync().is_ok());
    env.crash(rng, /*tear=*/true);
    OpenedStorage third;
    s = open_ok(env, &third);
    expected.apply(SeqRecord{seq_state("s1", 2000)});
    EXPECT_EQ(fingerprint(third.state), fingerprint(expected));
  }
}

TEST(Storage, CrashRightAfterCompactRecoversExactlyTheState) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    SimEnv env;
    OpenedStorage opened;
    auto s = open_ok(env, &opened);
    DurableState state;
    for (uint64_t i = 0; i < 50; ++i) {
      const StorageRecord r = SeqRecord{seq_state("q" + std::to_string(i % 4), i)};
      state.apply(r);
      ASSERT_TRUE(s->append(encode_all({r})).is_ok());  // never synced: compact makes it durable
    }
    ASSERT_TRUE(s->compact(state).is_ok());
    Rng rng(seed);
    env.crash(rng, /*tear=*/true);
    OpenedStorage again;
    s = open_ok(env, &again);
    EXPECT_EQ(fingerprint(again.state), fingerprint(state)) << "seed " << seed;
    EXPECT_EQ(last_note(again), kPath + ": recovered " + std::to_string(state.snapshot().size()) +
                                    " records");
  }
}

TEST(Storage, LeftoverTmpFromACrashedCompactionIsRemovedAtOpen) {
  SimEnv env;
  OpenedStorage opened;
  auto s = open_ok(env, &opened);
  ASSERT_TRUE(s->append(encode_all(one_of_each())).is_ok());
  ASSERT_TRUE(s->sync().is_ok());
  std::unique_ptr<AppendFile> tmp;
  ASSERT_TRUE(env.open_append(kPath + ".tmp", &tmp).is_ok());
  ASSERT_TRUE(tmp->append(encode_all({SeqRecord{seq_state("ghost", 5)}})[0]).is_ok());
  ASSERT_TRUE(tmp->sync().is_ok());
  Rng rng(1);
  env.crash(rng, /*tear=*/false);

  OpenedStorage again;
  s = open_ok(env, &again);
  EXPECT_FALSE(env.exists(kPath + ".tmp"));
  EXPECT_EQ(fingerprint(again.state), fingerprint(state_of(one_of_each())));
  ASSERT_FALSE(again.notes.empty());
  EXPECT_EQ(again.notes.front(), kPath + ".tmp: removed, left by an interrupted compaction");
}

// ---- Property: crashes never lose synced records nor invent any ----

StorageRecord small_record(uint32_t kind, uint32_t a, uint64_t b) {
  static const char* const names[] = {"a", "b", "orders", "users.v2"};
  switch (kind % 5) {
    case 0: return SeqRecord{SeqState{names[a % 4], Ballot{b % 50, a % 3, 1}, Ballot{b % 40, a % 3, 1}, b}};
    case 1: return FloorRecord{Ballot{b % 100, a % 3, a}};
    case 2: return EpochSeenRecord{a % 3, static_cast<uint32_t>(b)};
    case 3: return IncarnationRecord{b};
    default: return InitializedRecord{};
  }
}

RC_GTEST_PROP(Storage, RecoveredStateIsAPrefixIncludingAllSynced, ()) {
  SimEnv env;
  Rng rng(*rc::gen::arbitrary<uint64_t>());
  OpenedStorage opened;
  std::unique_ptr<Storage> s;
  RC_ASSERT(Storage::open(env, kDir, &s, &opened).is_ok());

  std::vector<StorageRecord> on_disk;  // everything appended that may have survived
  size_t synced = 0;                   // how many of on_disk are durable
  const int steps = *rc::gen::inRange(1, 40);
  for (int step = 0; step < steps; ++step) {
    const int op = *rc::gen::inRange(0, 4);
    if (op == 0 || op == 1) {
      const auto batch = *rc::gen::container<std::vector<std::tuple<uint32_t, uint32_t, uint64_t>>>(
          rc::gen::tuple(rc::gen::arbitrary<uint32_t>(), rc::gen::arbitrary<uint32_t>(),
                         rc::gen::arbitrary<uint64_t>()));
      std::vector<StorageRecord> records;
      for (const auto& [k, a, b] : batch) records.push_back(small_record(k, a, b));
      RC_ASSERT(s->append(encode_all(records)).is_ok());
      on_disk.insert(on_disk.end(), records.begin(), records.end());
    } else if (op == 2) {
      RC_ASSERT(s->sync().is_ok());
      synced = on_disk.size();
    } else {
      const bool tear = *rc::gen::arbitrary<bool>();
      env.crash(rng, tear);
      OpenedStorage again;
      Result r = Storage::open(env, kDir, &s, &again);
      RC_ASSERT(r.is_ok());

      std::string data;
      RC_ASSERT(env.read_all(kPath, &data).is_ok());
      LogReadResult log = read_log(bytes_of(data));
      RC_ASSERT(!log.torn_tail && !log.corrupt);
      const size_t k = log.payloads.size();
      RC_ASSERT(k >= synced);
      RC_ASSERT(k <= on_disk.size());
      on_disk.resize(k, InitializedRecord{});
      RC_ASSERT(log.payloads == encode_all(on_disk));
      RC_ASSERT(fingerprint(again.state) == fingerprint(state_of(on_disk)));
      synced = k;  // what survived a crash is on disk for good
    }
  }
}

// ---- Disk faults: recovery tells synced bytes from unsynced ones ----

// Power loss with unsynced pages persisted out of order: never refused, and
// every synced record is kept.
TEST(Storage, PowerLossWithOutOfOrderPagesRecoversWithoutRefusing) {
  uint64_t holes = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SimEnv env;
    Rng rng(seed);
    OpenedStorage opened;
    auto s = open_ok(env, &opened);
    std::vector<StorageRecord> written;
    size_t synced = 0;
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 6; ++i) {
        const StorageRecord r = SeqRecord{seq_state("s" + std::to_string(i), 100u * round + i)};
        written.push_back(r);
        ASSERT_TRUE(s->append(encode_all({r})).is_ok());
        if (i == 2) {
          ASSERT_TRUE(s->sync().is_ok());
          synced = written.size();
        }
      }
      const uint64_t before = env.holes_made();
      env.crash(rng, SimEnv::CrashModel{true, true, true});
      holes += env.holes_made() - before;
      OpenedStorage again;
      s = open_ok(env, &again);
      ASSERT_TRUE(s);
      std::string data = file_of(env, kPath);
      const LogReadResult log = read_log(bytes_of(data));
      ASSERT_FALSE(log.torn_tail || log.corrupt) << log.error;
      const size_t k = log.payloads.size();
      ASSERT_GE(k, synced);
      ASSERT_LE(k, written.size());
      EXPECT_EQ(log.payloads, encode_all({written.begin(), written.begin() + k}));
      written.resize(k, InitializedRecord{});
      synced = k;
    }
  }
  EXPECT_GT(holes, 0u);
}

// A synced record damaged later (the disk lied) is corruption, even as the last
// record, because its sync mark says it was synced.
TEST(Storage, DamagedLastSyncedRecordIsCorruptionNotATornTail) {
  SimEnv env;
  OpenedStorage opened;
  auto s = open_ok(env, &opened);
  ASSERT_TRUE(s->append(encode_all({IncarnationRecord{1}})).is_ok());
  const uint64_t last = s->log_bytes();
  ASSERT_TRUE(s->append(encode_all({SeqRecord{seq_state("a", 5)}})).is_ok());
  ASSERT_TRUE(s->sync().is_ok());  // appends the sync mark
  ASSERT_TRUE(s->sync().is_ok());  // and makes it durable
  ASSERT_TRUE(env.corrupt_byte(kPath, last + log_record_header_bytes + 1).is_ok());
  Rng rng(1);
  env.crash(rng, /*tear=*/false);
  std::unique_ptr<Storage> again;
  OpenedStorage o;
  Result r = Storage::open(env, kDir, &again, &o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.message().rfind(kPath + " offset " + std::to_string(last) + ": checksum mismatch, below the synced watermark ", 0), 0u)
      << r.message();
}

TEST(Storage, FailedSyncIsFinalAndRecoveryKeepsWhatWasSynced) {
  SimEnv env;
  OpenedStorage opened;
  auto s = open_ok(env, &opened);
  ASSERT_TRUE(s->append(encode_all({IncarnationRecord{1}})).is_ok());
  ASSERT_TRUE(s->sync().is_ok());
  ASSERT_TRUE(s->append(encode_all({SeqRecord{seq_state("a", 5)}})).is_ok());
  env.fail_next_sync();
  Result r = s->sync();
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.message().find("EIO"), std::string::npos) << r.message();
  EXPECT_FALSE(s->usable());
  // A later sync must not pretend the lost pages reached the disk.
  EXPECT_FALSE(s->sync().is_ok());
  EXPECT_FALSE(s->append(encode_all({InitializedRecord{}})).is_ok());
  Rng rng(2);
  env.crash(rng, /*tear=*/false);
  OpenedStorage again;
  s = open_ok(env, &again);
  EXPECT_EQ(again.state.incarnation, 1u);
  EXPECT_FALSE(again.state.sequences.contains("a"));
}

TEST(Storage, FullDiskOnAppendStopsWritesAndRecoveryCutsTheShortWrite) {
  SimEnv env;
  OpenedStorage opened;
  auto s = open_ok(env, &opened);
  ASSERT_TRUE(s->append(encode_all({IncarnationRecord{1}})).is_ok());
  ASSERT_TRUE(s->sync().is_ok());
  env.set_capacity(env.used_bytes() + 5);
  Result r = s->append(encode_all({SeqRecord{seq_state("a", 5)}}));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.message().find("ENOSPC"), std::string::npos) << r.message();
  EXPECT_FALSE(s->usable());
  env.set_capacity(std::nullopt);
  EXPECT_FALSE(s->append(encode_all({InitializedRecord{}})).is_ok());  // never after a hole
  Rng rng(3);
  env.crash(rng, /*tear=*/true);
  OpenedStorage again;
  s = open_ok(env, &again);
  EXPECT_EQ(again.state.incarnation, 1u);
  EXPECT_FALSE(again.state.sequences.contains("a"));
}

TEST(Storage, FullDiskDuringCompactionKeepsTheOldLogInUse) {
  SimEnv env;
  OpenedStorage opened;
  auto s = open_ok(env, &opened);
  DurableState state;
  for (uint64_t i = 0; i < 40; ++i) {
    const StorageRecord r = SeqRecord{seq_state("q" + std::to_string(i % 4), i)};
    state.apply(r);
    ASSERT_TRUE(s->append(encode_all({r})).is_ok());
  }
  ASSERT_TRUE(s->sync().is_ok());
  env.set_capacity(env.used_bytes() + 20);
  Result r = s->compact(state);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.message().find("ENOSPC"), std::string::npos) << r.message();
  EXPECT_TRUE(s->usable());
  env.set_capacity(std::nullopt);
  const StorageRecord more = SeqRecord{seq_state("q0", 1000)};
  state.apply(more);
  ASSERT_TRUE(s->append(encode_all({more})).is_ok());
  ASSERT_TRUE(s->sync().is_ok());
  s.reset();
  OpenedStorage again;
  s = open_ok(env, &again);
  EXPECT_EQ(fingerprint(again.state), fingerprint(state));
}

// Power lost after each number of writes inside a compaction, with directory
// operations that were not yet synced undone or kept: the state survives.
TEST(Storage, PowerCutBetweenAnyTwoStepsOfACompactionKeepsTheState) {
  uint64_t reverted = 0;
  for (uint64_t ops = 0; ops <= 12; ++ops) {
    for (uint64_t seed = 0; seed < 8; ++seed) {
      SCOPED_TRACE("power cut after " + std::to_string(ops) + " writes, seed " + std::to_string(seed));
      SimEnv env;
      OpenedStorage opened;
      auto s = open_ok(env, &opened);
      DurableState state;
      for (uint64_t i = 0; i < 30; ++i) {
        const StorageRecord r = SeqRecord{seq_state("q" + std::to_string(i % 3), i)};
        state.apply(r);
        ASSERT_TRUE(s->append(encode_all({r})).is_ok());
      }
      ASSERT_TRUE(s->sync().is_ok());
      env.cut_power_after(ops);
      (void)s->compact(state);
      Rng rng(seed);
      const uint64_t before = env.names_reverted();
      env.crash(rng, SimEnv::CrashModel{true, true, true});
      reverted += env.names_reverted() - before;
      OpenedStorage again;
      s = open_ok(env, &again);
      ASSERT_TRUE(s);
      EXPECT_EQ(fingerprint(again.state), fingerprint(state));
    }
  }
  EXPECT_GT(reverted, 0u);
}

TEST(SimEnv, NamesNotDirSyncedMayBeLostAtACrash) {
  bool lost = false, kept = false;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    SimEnv env;
    std::unique_ptr<AppendFile> f;
    ASSERT_TRUE(env.open_append("d/synced", &f).is_ok());
    ASSERT_TRUE(f->sync().is_ok());
    ASSERT_TRUE(env.sync_dir("d").is_ok());
    ASSERT_TRUE(env.open_append("d/new", &f).is_ok());
    ASSERT_TRUE(f->append("x").is_ok());
    ASSERT_TRUE(f->sync().is_ok());  // the data is durable, its name is not
    Rng rng(seed);
    env.crash(rng, SimEnv::CrashModel{false, false, true});
    EXPECT_TRUE(env.exists("d/synced"));
    (env.exists("d/new") ? kept : lost) = true;
  }
  EXPECT_TRUE(lost);
  EXPECT_TRUE(kept);
}

TEST(SimEnv, PowerCutFailsEveryWriteAfterTheCount) {
  SimEnv env;
  std::unique_ptr<AppendFile> f;
  ASSERT_TRUE(env.open_append("f", &f).is_ok());
  env.cut_power_after(1);
  EXPECT_TRUE(f->append("a").is_ok());
  EXPECT_TRUE(env.power_cut());
  EXPECT_FALSE(f->append("b").is_ok());
  EXPECT_FALSE(env.rename("f", "g").is_ok());
  EXPECT_FALSE(env.sync_dir("").is_ok());
}

}  // namespace
}  // namespace rrseq

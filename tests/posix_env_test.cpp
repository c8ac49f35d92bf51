// PosixEnv on real files in a fresh temporary directory per test, and Storage
// on top of it: recovery, torn tails, corruption, compaction.
#include "transport_net/posix_env.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/storage.h"

namespace rrseq {
namespace {

class PosixEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rrseq-posix-env-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/data";
    log_ = dir_ + "/" + log_file_name;
    tmp_ = dir_ + "/" + log_tmp_file_name;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::string read(const std::string& path) {
    std::string data;
    Result r = env_.read_all(path, &data);
    EXPECT_TRUE(r.is_ok()) << r.message();
    return data;
  }
  // Appends raw bytes behind the Env's back, as a dying writer or a bad disk would.
  void append_raw(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::app);
    f << bytes;
  }
  void write_raw(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << bytes;
  }
  uint64_t size_of(const std::string& path) {
    uint64_t size = 0;
    Result r = env_.file_size(path, &size);
    EXPECT_TRUE(r.is_ok()) << r.message();
    return size;
  }

  std::unique_ptr<Storage> open_ok(OpenedStorage* opened) {
    std::unique_ptr<Storage> s;
    Result r = Storage::open(env_, dir_, &s, opened);
    EXPECT_TRUE(r.is_ok()) << r.message();
    return s;
  }

  PosixEnv& env_ = PosixEnv::default_env();
  std::string root_, dir_, log_, tmp_;
};

SeqState seq_state(std::string name, uint64_t value) {
  return SeqState{std::move(name), Ballot{7, 1, 2}, Ballot{6, 2, 3}, value};
}

std::vector<std::string> fingerprint(const DurableState& s) {
  std::vector<std::string> out;
  for (const auto& r : s.snapshot()) out.push_back(encode_record(r));
  return out;
}

std::vector<std::string> encode_all(const std::vector<StorageRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(encode_record(r));
  return out;
}

// Appends through `s` and applies to `state`.
void write(Storage& s, DurableState& state, const std::vector<StorageRecord>& records) {
  for (const auto& r : records) state.apply(r);
  Result r = s.append(encode_all(records));
  ASSERT_TRUE(r.is_ok()) << r.message();
}

// ---- The Env itself ----

TEST_F(PosixEnvTest, AppendSyncAndReadBack) {
  ASSERT_TRUE(env_.create_dir(dir_).is_ok());
  const std::string path = dir_ + "/f";
  EXPECT_FALSE(env_.exists(path));
  {
    std::unique_ptr<AppendFile> f;
    ASSERT_TRUE(env_.open_append(path, &f).is_ok());
    ASSERT_TRUE(f->append("hello ").is_ok());
    ASSERT_TRUE(f->append(std::string(100000, 'x')).is_ok());
    ASSERT_TRUE(f->sync().is_ok());
  }
  ASSERT_TRUE(env_.sync_dir(dir_).is_ok());
  EXPECT_TRUE(env_.exists(path));
  EXPECT_EQ(size_of(path), 100006u);
  {
    // Reopening appends after the existing bytes.
    std::unique_ptr<AppendFile> f;
    ASSERT_TRUE(env_.open_append(path, &f).is_ok());
    ASSERT_TRUE(f->append("!").is_ok());
    ASSERT_TRUE(f->sync().is_ok());
  }
  EXPECT_EQ(read(path), "hello " + std::string(100000, 'x') + "!");
}

TEST_F(PosixEnvTest, ReadingAMissingFileNamesThePath) {
  std::string data;
  const std::string path = root_ + "/missing";
  Result r = env_.read_all(path, &data);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.message(), "open " + path + ": No such file or directory");
  uint64_t size = 0;
  r = env_.file_size(path, &size);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.message().find(path), std::string::npos) << r.message();
  r = env_.remove(path);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.message().find(path), std::string::npos) << r.message();
}

TEST_F(PosixEnvTest, CreateDirIsFineTwiceButNotOverAFile) {
  ASSERT_TRUE(env_.create_dir(dir_).is_ok());
  ASSERT_TRUE(env_.create_dir(dir_).is_ok());
  const std::string file = root_ + "/plain";
  write_raw(file, "x");
  Result r = env_.create_dir(file);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.message(), "mkdir " + file + ": exists and is not a directory");
  r = env_.create_dir(file + "/below");  // a parent that is a file
  ASSERT_FALSE(r.is_ok());
  r = env_.sync_dir(file);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.message(), "open " + file + ": Not a directory");
}

TEST_F(PosixEnvTest, OpenAppendInAMissingDirectoryFails) {
  std::unique_ptr<AppendFile> f;
  const std::string path = root_ + "/nodir/f";
  Result r = env_.open_append(path, &f);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.message(), "open " + path + ": No such file or directory");
}

TEST_F(PosixEnvTest, TruncateCutsTheFile) {
  const std::string path = root_ + "/f";
  write_raw(path, "0123456789");
  ASSERT_TRUE(env_.truncate(path, 4).is_ok());
  EXPECT_EQ(read(path), "0123");
  EXPECT_EQ(size_of(path), 4u);
  EXPECT_FALSE(env_.truncate(root_ + "/missing", 0).is_ok());
}

TEST_F(PosixEnvTest, RenameReplacesTheTarget) {
  const std::string a = root_ + "/a", b = root_ + "/b";
  write_raw(a, "new");
  write_raw(b, "old");
  ASSERT_TRUE(env_.rename(a, b).is_ok());
  EXPECT_FALSE(env_.exists(a));
  EXPECT_EQ(read(b), "new");
  Result r = env_.rename(a, b);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.message(), "rename " + a + " to " + b + ": No such file or directory");
  ASSERT_TRUE(env_.remove(b).is_ok());
  EXPECT_FALSE(env_.exists(b));
}

// ---- Storage on real files ----

TEST_F(PosixEnvTest, StorageRecoversItsRecordsAfterReopen) {
  DurableState state;
  {
    OpenedStorage opened;
    auto s = open_ok(&opened);
    ASSERT_TRUE(s);
    EXPECT_EQ(opened.notes.back(), log_ + ": created");
    EXPECT_EQ(s->log_bytes(), log_header_bytes + log_sync_mark_bytes);  // version header, its sync mark
    write(*s, state, {IncarnationRecord{4}, InitializedRecord{}, FloorRecord{Ballot{3, 1, 9}}});
    write(*s, state, {SeqRecord{seq_state("a", 10)}, SeqRecord{seq_state("b", 20)}});
    ASSERT_TRUE(s->sync().is_ok());
    EXPECT_EQ(s->log_bytes(), size_of(log_));
  }
  OpenedStorage again;
  auto s = open_ok(&again);
  ASSERT_TRUE(s);
  EXPECT_EQ(fingerprint(again.state), fingerprint(state));
  EXPECT_EQ(again.notes.back(), log_ + ": recovered 5 records");
  EXPECT_EQ(s->log_bytes(), size_of(log_));
  EXPECT_EQ(s->log_bytes(), size_of(log_));
}

TEST_F(PosixEnvTest, StorageTruncatesATornTail) {
  DurableState state;
  const std::string half_written = [] {
    std::string framed;
    append_log_record(encode_record(SeqRecord{seq_state("torn", 5)}), framed);
    return framed.substr(0, framed.size() / 2);
  }();
  uint64_t good_bytes = 0;
  {
    OpenedStorage opened;
    auto s = open_ok(&opened);
    write(*s, state, {IncarnationRecord{1}, SeqRecord{seq_state("a", 1)}});
    ASSERT_TRUE(s->sync().is_ok());
    good_bytes = s->log_bytes();
  }
  append_raw(log_, half_written);
  ASSERT_EQ(size_of(log_), good_bytes + half_written.size());

  OpenedStorage again;
  auto s = open_ok(&again);
  ASSERT_TRUE(s);
  EXPECT_EQ(fingerprint(again.state), fingerprint(state));
  ASSERT_EQ(again.notes.size(), 2u);
  EXPECT_EQ(again.notes[0].rfind(log_ + ": truncated torn tail at offset " + std::to_string(good_bytes) +
                                      " (" + std::to_string(half_written.size()) + " bytes at or after the synced watermark ", 0),
            0u) << again.notes[0];
  // The intact prefix, and the sync mark that reopening appends for it.
  EXPECT_EQ(size_of(log_), good_bytes + log_sync_mark_bytes);
  EXPECT_EQ(s->log_bytes(), good_bytes + log_sync_mark_bytes);

  // New records land right after the intact prefix.
  write(*s, state, {SeqRecord{seq_state("a", 2)}});
  ASSERT_TRUE(s->sync().is_ok());
  s.reset();
  OpenedStorage third;
  s = open_ok(&third);
  EXPECT_EQ(fingerprint(third.state), fingerprint(state));
  EXPECT_EQ(third.notes.back(), log_ + ": recovered 3 records");
}

TEST_F(PosixEnvTest, StorageRefusesCorruptionInTheMiddle) {
  uint64_t second = 0;
  {
    OpenedStorage opened;
    auto s = open_ok(&opened);
    DurableState state;
    write(*s, state, {IncarnationRecord{1}});
    second = s->log_bytes();
    write(*s, state, {SeqRecord{seq_state("a", 1)}, SeqRecord{seq_state("b", 2)}});
    ASSERT_TRUE(s->sync().is_ok());
  }
  std::string data = read(log_);
  data[second + log_record_header_bytes + 3] ^= 0x40;
  write_raw(log_, data);

  std::unique_ptr<Storage> s;
  OpenedStorage o;
  Result r = Storage::open(env_, dir_, &s, &o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.message().rfind(log_ + " offset " + std::to_string(second) +
                                  ": checksum mismatch, below the synced watermark ", 0),
            0u) << r.message();
  EXPECT_FALSE(s);
  EXPECT_EQ(read(log_), data);  // left untouched for a person to inspect
}

TEST_F(PosixEnvTest, StorageOpenFailsOnAnUnusableDirectory) {
  const std::string file = root_ + "/plain";
  write_raw(file, "x");
  std::unique_ptr<Storage> s;
  OpenedStorage o;
  Result r = Storage::open(env_, file, &s, &o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.message(), "mkdir " + file + ": exists and is not a directory");
}

TEST_F(PosixEnvTest, CompactionShrinksTheLogAndKeepsTheState) {
  DurableState state;
  size_t snapshot_records = 0;
  {
    OpenedStorage opened;
    auto s = open_ok(&opened);
    write(*s, state, {IncarnationRecord{9}, InitializedRecord{}, EpochSeenRecord{2, 5}});
    for (uint64_t i = 0; i < 1000; ++i) {
      write(*s, state, {SeqRecord{seq_state("seq" + std::to_string(i % 3), i)}});
    }
    ASSERT_TRUE(s->sync().is_ok());
    const uint64_t before = size_of(log_);
    EXPECT_EQ(s->log_bytes(), before);

    Result r = s->compact(state);
    ASSERT_TRUE(r.is_ok()) << r.message();
    snapshot_records = state.snapshot().size();
    const uint64_t after = size_of(log_);
    EXPECT_EQ(s->log_bytes(), after);
    EXPECT_LT(after * 100, before);
    EXPECT_FALSE(env_.exists(tmp_));

    // Appends after the compaction go to the new log.
    write(*s, state, {SeqRecord{seq_state("seq0", 5000)}, SeqRecord{seq_state("new", 1)}});
    ASSERT_TRUE(s->sync().is_ok());
    EXPECT_EQ(s->log_bytes(), size_of(log_));
    EXPECT_GT(s->log_bytes(), after);
  }
  OpenedStorage again;
  auto s = open_ok(&again);
  ASSERT_TRUE(s);
  EXPECT_EQ(fingerprint(again.state), fingerprint(state));
  EXPECT_EQ(again.state.sequences.at("seq0").value, 5000u);
  EXPECT_EQ(again.state.sequences.at("seq2").value, 998u);
  EXPECT_EQ(again.notes.back(),
            log_ + ": recovered " + std::to_string(snapshot_records + 2) + " records");

  // A second compaction over a compacted log is fine too.
  ASSERT_TRUE(s->compact(again.state).is_ok());
  s.reset();
  OpenedStorage third;
  s = open_ok(&third);
  EXPECT_EQ(fingerprint(third.state), fingerprint(state));
}

TEST_F(PosixEnvTest, LeftoverTmpIsRemovedAtOpenAndIgnored) {
  DurableState state;
  {
    OpenedStorage opened;
    auto s = open_ok(&opened);
    write(*s, state, {IncarnationRecord{2}, SeqRecord{seq_state("a", 7)}});
    ASSERT_TRUE(s->sync().is_ok());
  }
  // A compaction that died mid-write, with a record the real log never had.
  std::string framed;
  append_log_record(encode_record(SeqRecord{seq_state("ghost", 99)}), framed);
  write_raw(tmp_, framed + framed.substr(0, 5));

  OpenedStorage again;
  auto s = open_ok(&again);
  ASSERT_TRUE(s);
  EXPECT_FALSE(env_.exists(tmp_));
  EXPECT_EQ(fingerprint(again.state), fingerprint(state));
  EXPECT_FALSE(again.state.sequences.contains("ghost"));
  EXPECT_EQ(again.notes.front(), tmp_ + ": removed, left by an interrupted compaction");

  // And a compaction after that still works.
  ASSERT_TRUE(s->compact(again.state).is_ok());
  EXPECT_FALSE(env_.exists(tmp_));
}

TEST_F(PosixEnvTest, CompactionRemovesAStaleTmpFirst) {
  OpenedStorage opened;
  auto s = open_ok(&opened);
  DurableState state;
  write(*s, state, {IncarnationRecord{2}, SeqRecord{seq_state("a", 7)}});
  write_raw(tmp_, "stale bytes that are not a log");
  ASSERT_TRUE(s->compact(state).is_ok());
  s.reset();
  OpenedStorage again;
  s = open_ok(&again);
  EXPECT_EQ(fingerprint(again.state), fingerprint(state));
}

}  // namespace
}  // namespace rrseq

namespace rrseq {
namespace {

TEST(PosixEnvCreateDir, CreatesMissingParentsLikeMkdirP) {
  char tmpl[] = "/tmp/rrseq-mkdirp-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  PosixEnv env;
  ASSERT_TRUE(env.create_dir(root + "/a/b/c").is_ok());
  struct stat st {};
  EXPECT_EQ(::stat((root + "/a/b/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  std::string cmd = "rm -rf '" + root + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace rrseq

#pragma once
// A node's data directory: one log file of StorageRecords on an Env.
// open() replays it: a torn tail is truncated (and said in `notes`), a corrupt
// record in the middle is an error naming the file and offset, or, when asked,
// the corrupt log is set aside (renamed, never deleted) and the node starts
// without state, to rejoin from a majority of its peers.
// Every sync is followed by a sync mark, so recovery can tell synced bytes from
// unsynced ones (the rule is in log_format.h).
// compact() rewrites the log as a snapshot of the state: written to
// rrseq.log.tmp, synced, then renamed over rrseq.log (the commit point). A tmp
// file left by a crash before the rename is removed by the next open().
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/durable_state.h"
#include "core/env.h"
#include "core/log_format.h"

namespace rrseq {

inline constexpr const char* log_file_name = "rrseq.log";
inline constexpr const char* log_tmp_file_name = "rrseq.log.tmp";
// A corrupt log set aside becomes rrseq.log.corrupt-<n>, n = 1..corrupt_logs_max.
inline constexpr const char* corrupt_log_prefix = "rrseq.log.corrupt-";
inline constexpr uint32_t corrupt_logs_max = 100;  // set-aside logs kept in one directory

// What open() does with a log that is corrupt in the middle.
enum class OnCorruptLog {
  refuse,     // fail with the file and offset; the file is left untouched
  set_aside,  // rename it to rrseq.log.corrupt-<n>, sync the directory, start empty
};

struct OpenedStorage {
  DurableState state;
  std::vector<std::string> notes;  // readable lines for the node's log: records read, tail truncated
  std::string set_aside;           // set_aside only: "<log> offset N: why; moved to <path>"
  // The state is empty but a set-aside log lies in the directory: this node had
  // state and lost it, so it must rejoin and never bootstrap a new cluster. Stays
  // true across restarts until the node has state again.
  bool lost_state = false;
};

// `env` must outlive the Storage.
class Storage {
 public:
  // Opens or creates `dir`/rrseq.log and recovers the state in it. Errors that
  // are not corruption (I/O) always fail, whatever `on_corrupt` says.
  static Result open(Env& env, const std::string& dir, std::unique_ptr<Storage>* out,
                     OpenedStorage* opened, OnCorruptLog on_corrupt = OnCorruptLog::refuse);

  // After a failed append or sync the storage takes no more writes (a failed
  // fdatasync is final; a failed append may leave part of its batch): the node
  // must stop and recover from what is on disk.
  Result append(const std::vector<std::string>& encoded_records);
  // sync_file() then mark_synced(what was appended before it).
  Result sync();
  // fdatasync of the log. May run on another thread than append() and
  // mark_synced() (the server's disk thread); nothing else may run meanwhile.
  Result sync_file();
  // Appends a sync mark for bytes [0, synced_bytes) (log_format.h), unsynced:
  // it rides the next sync. Call after sync_file() succeeded, with log_bytes()
  // as it was before that sync started.
  Result mark_synced(uint64_t synced_bytes);
  // False once a write or sync failed or a compaction failed past its rename.
  bool usable() const { return check_usable().is_ok(); }
  // Replaces the log with the records of state.snapshot(), durably; later
  // appends go to the new log. `state` must include everything appended so
  // far. If it fails before the rename the old log is kept and stays usable;
  // if it fails after, append() and sync() refuse until the node reopens.
  Result compact(const DurableState& state);
  const std::string& path() const { return path_; }
  // Current size of the log file: what a driver compares to decide to compact.
  uint64_t log_bytes() const { return log_bytes_; }

 private:
  Storage(Env& env, std::string dir, std::unique_ptr<LogWriter> writer, uint64_t log_bytes);
  Result check_usable() const;
  Result fail(Result r);

  Env& env_;
  std::string dir_;
  std::string path_;
  std::unique_ptr<LogWriter> writer_;  // null after a compaction failed past its rename
  uint64_t log_bytes_ = 0;
  uint64_t marked_bytes_ = 0;          // highest sync mark appended to the current log
  std::atomic<bool> failed_ = false;   // set by sync_file() on the disk thread too
};

}  // namespace rrseq

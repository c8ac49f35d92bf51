#pragma once
// A node's data directory: one log file of StorageRecords on an Env.
// open() replays it: a torn tail is truncated (and said in `notes`), a corrupt
// record in the middle is an error naming the file and offset.
// compact() rewrites the log as a snapshot of the state: written to
// rrseq.log.tmp, synced, then renamed over rrseq.log (the commit point). A tmp
// file left by a crash before the rename is removed by the next open().
#include <memory>
#include <string>
#include <vector>

#include "core/durable_state.h"
#include "core/env.h"
#include "core/log_format.h"

namespace rrseq {

inline constexpr const char* log_file_name = "rrseq.log";
inline constexpr const char* log_tmp_file_name = "rrseq.log.tmp";

struct OpenedStorage {
  DurableState state;
  std::vector<std::string> notes;  // readable lines for the node's log: records read, tail truncated
};

// `env` must outlive the Storage.
class Storage {
 public:
  // Opens or creates `dir`/rrseq.log and recovers the state in it.
  static Result open(Env& env, const std::string& dir, std::unique_ptr<Storage>* out,
                     OpenedStorage* opened);

  Result append(const std::vector<std::string>& encoded_records);
  Result sync();
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

  Env& env_;
  std::string dir_;
  std::string path_;
  std::unique_ptr<LogWriter> writer_;  // null after a compaction failed past its rename
  uint64_t log_bytes_ = 0;
};

}  // namespace rrseq

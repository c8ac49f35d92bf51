#pragma once
// A node's data directory: one log file of StorageRecords on an Env.
// open() replays it: a torn tail is truncated (and said in `notes`), a corrupt
// record in the middle is an error naming the file and offset.
#include <memory>
#include <string>
#include <vector>

#include "core/durable_state.h"
#include "core/env.h"
#include "core/log_format.h"

namespace rrseq {

inline constexpr const char* log_file_name = "rrseq.log";

struct OpenedStorage {
  DurableState state;
  std::vector<std::string> notes;  // readable lines for the node's log: records read, tail truncated
};

class Storage {
 public:
  // Opens or creates `dir`/rrseq.log and recovers the state in it.
  static Result open(Env& env, const std::string& dir, std::unique_ptr<Storage>* out,
                     OpenedStorage* opened);

  Result append(const std::vector<std::string>& encoded_records);
  Result sync();
  const std::string& path() const { return path_; }

 private:
  Storage(std::string path, std::unique_ptr<LogWriter> writer)
      : path_(std::move(path)), writer_(std::move(writer)) {}
  std::string path_;
  std::unique_ptr<LogWriter> writer_;
};

}  // namespace rrseq

#pragma once
// The disk boundary, at the file level (LevelDB Env style). The real log code
// runs on PosixEnv in production and on the simulator's SimEnv, which keeps
// synced and unsynced bytes apart so a crash can drop or tear unsynced writes.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rrseq {

class AppendFile {
 public:
  virtual ~AppendFile() = default;
  virtual Result append(std::string_view data) = 0;
  // Makes every byte appended so far durable (fdatasync).
  virtual Result sync() = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  // Opens `path` for appending, creating it if missing.
  virtual Result open_append(const std::string& path, std::unique_ptr<AppendFile>* out) = 0;
  virtual Result read_all(const std::string& path, std::string* out) = 0;
  virtual Result file_size(const std::string& path, uint64_t* out) = 0;
  virtual bool exists(const std::string& path) = 0;
  // Cuts `path` to `size` bytes and makes that durable.
  virtual Result truncate(const std::string& path, uint64_t size) = 0;
  virtual Result rename(const std::string& from, const std::string& to) = 0;
  virtual Result remove(const std::string& path) = 0;
  virtual Result create_dir(const std::string& path) = 0;
  // Makes creations and renames inside `dir` durable.
  virtual Result sync_dir(const std::string& dir) = 0;
};

}  // namespace rrseq

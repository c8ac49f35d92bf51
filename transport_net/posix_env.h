#pragma once
// The Env of the production programs: real files through POSIX calls.
// Appends loop over write() (EINTR, short writes), sync is fdatasync, and every
// error names the call, the path and strerror(errno):
//   "open /data/rrseq.log: Permission denied"
// Stateless and thread-compatible: distinct files may be used from distinct threads.
#include <cstdint>
#include <memory>
#include <string>

#include "core/env.h"

namespace rrseq {

// read_all refuses a file larger than this (a log that big is not ours, or
// compaction has not run for far too long).
inline constexpr uint64_t log_file_bytes_max = uint64_t{1} << 30;

class PosixEnv final : public Env {
 public:
  // A process-wide instance; PosixEnv has no state, so sharing it is free.
  static PosixEnv& default_env();

  // The handle owns its fd and closes it when destroyed. After a failed
  // fdatasync it refuses every later call: the kernel may have dropped the
  // dirty pages, so a later sync that succeeds would be a lie.
  Result open_append(const std::string& path, std::unique_ptr<AppendFile>* out) override;
  // Errors if the file is larger than log_file_bytes_max.
  Result read_all(const std::string& path, std::string* out) override;
  Result file_size(const std::string& path, uint64_t* out) override;
  bool exists(const std::string& path) override;
  // ftruncate, then fsync of the file.
  Result truncate(const std::string& path, uint64_t size) override;
  Result rename(const std::string& from, const std::string& to) override;
  Result remove(const std::string& path) override;
  // mkdir -p (mode 0755): parents too; fine if it already is a directory, an
  // error if something else is at `path` or at a parent.
  Result create_dir(const std::string& path) override;
  Result sync_dir(const std::string& dir) override;
};

}  // namespace rrseq

#pragma once
// In-memory disk for one simulated node, behind the same Env interface as real
// files. Each file keeps its synced prefix apart from unsynced bytes, so a
// crash can drop unsynced writes and tear the last one.
#include <map>
#include <memory>
#include <string>

#include "core/env.h"
#include "core/rng.h"

namespace rrseq {

// Handles from open_append point back at their SimEnv: it must outlive them.
class SimEnv final : public Env {
 public:
  Result open_append(const std::string& path, std::unique_ptr<AppendFile>* out) override;
  Result read_all(const std::string& path, std::string* out) override;
  Result file_size(const std::string& path, uint64_t* out) override;
  bool exists(const std::string& path) override;
  Result truncate(const std::string& path, uint64_t size) override;
  Result rename(const std::string& from, const std::string& to) override;
  Result remove(const std::string& path) override;
  Result create_dir(const std::string& path) override;
  Result sync_dir(const std::string& dir) override;

  // Power loss: every file keeps its synced bytes; with `tear`, a random prefix
  // (drawn from rng) of the unsynced bytes survives too. Open handles go stale:
  // appends through them fail.
  void crash(Rng& rng, bool tear);
  // The data directory is gone (amnesia).
  void wipe();
  uint64_t unsynced_bytes() const;

  // Test hook: flips every bit of one stored byte (synced or not), as a disk
  // that returns bad data would. Error if the file or offset does not exist.
  Result corrupt_byte(const std::string& path, uint64_t offset);

 private:
  struct File {
    std::string data;
    size_t synced = 0;
  };
  class Handle;
  std::map<std::string, std::shared_ptr<File>> files_;  // ordered: deterministic
  uint64_t generation_ = 0;  // bumped by crash/wipe so stale handles fail
};

}  // namespace rrseq

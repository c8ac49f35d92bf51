#pragma once
// In-memory disk for one simulated node, behind the same Env interface as real
// files. Each file keeps its synced prefix apart from unsynced bytes, and the
// names as of the last sync_dir apart from the current ones, so a crash can
// drop unsynced writes, tear them, persist them out of order, and lose
// creations, renames and removals whose directory was never synced. Faults a
// driver can inject: a failing fdatasync (EIO), a full disk (ENOSPC), and a
// power cut after a given number of writes (to land between the steps of a
// compaction).
#include <map>
#include <memory>
#include <optional>
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

  // What survives a power loss besides synced bytes and synced names.
  struct CrashModel {
    bool tear = false;         // a random prefix of each file's unsynced bytes survives
    bool reorder = false;      // ... with a hole of zeros or garbage in it (pages persisted out of order)
    bool lose_dir_ops = false; // names changed since the last sync_dir may revert (all or none)
  };
  // Power loss: every file keeps its synced bytes; the model says what else
  // survives (every random choice drawn from rng). Open handles go stale:
  // appends through them fail.
  void crash(Rng& rng, const CrashModel& model);
  void crash(Rng& rng, bool tear) { crash(rng, CrashModel{tear, false, false}); }
  // The data directory is gone (amnesia).
  void wipe();
  uint64_t unsynced_bytes() const;

  // Faults. The next sync() fails with EIO (and syncs nothing).
  void fail_next_sync() { fail_next_sync_ = true; }
  // A real fdatasync covers what was written before it started: the world
  // calls this when a node issues its sync, so the next sync() of `path` makes
  // only its first `bytes` durable, not what was appended while it ran.
  void limit_next_sync(const std::string& path, uint64_t bytes);
  // Appends (and file creations) past `bytes` in all files together fail with
  // ENOSPC, after writing what fits. nullopt: no limit.
  void set_capacity(std::optional<uint64_t> bytes) { capacity_ = bytes; }
  uint64_t used_bytes() const;
  // After `ops` more writes (open_append, append, sync, truncate, rename,
  // remove, sync_dir) every write fails: the power is gone; the driver crashes
  // the node. nullopt: no cut.
  void cut_power_after(std::optional<uint64_t> ops) { power_ops_left_ = ops; }
  bool power_cut() const { return power_ops_left_ && *power_ops_left_ == 0; }

  // What the crashes so far did, for tests and stats.
  uint64_t holes_made() const { return holes_made_; }
  uint64_t names_reverted() const { return names_reverted_; }

  // Test hook: flips every bit of one stored byte (synced or not), as a disk
  // that returns bad data would. Error if the file or offset does not exist.
  Result corrupt_byte(const std::string& path, uint64_t offset);

 private:
  struct File {
    std::string data;
    size_t synced = 0;
    std::optional<size_t> sync_limit;  // limit_next_sync
  };
  class Handle;
  Result write_op(const std::string& path);  // counts a write toward a power cut
  std::map<std::string, std::shared_ptr<File>> files_;  // ordered: deterministic
  std::map<std::string, std::shared_ptr<File>> durable_names_;  // as of the last sync_dir
  uint64_t generation_ = 0;  // bumped by crash/wipe so stale handles fail
  bool fail_next_sync_ = false;
  std::optional<uint64_t> capacity_;
  std::optional<uint64_t> power_ops_left_;
  uint64_t holes_made_ = 0;
  uint64_t names_reverted_ = 0;
};

}  // namespace rrseq

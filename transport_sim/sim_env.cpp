#include "transport_sim/sim_env.h"

#include <algorithm>

namespace rrseq {

namespace {

Result no_such_file(const std::string& path) { return Result::error(path + ": no such file"); }

}  // namespace

// An open file. It writes into the shared File (so a rename keeps it valid,
// as on POSIX) and goes stale when the process it belonged to crashes.
class SimEnv::Handle final : public AppendFile {
 public:
  Handle(SimEnv& env, std::shared_ptr<File> file, std::string path)
      : env_(env), generation_(env.generation_), file_(std::move(file)), path_(std::move(path)) {}

  Result append(std::string_view data) override {
    if (Result r = check_live(); !r.is_ok()) return r;
    if (Result r = env_.write_op(path_); !r.is_ok()) return r;
    if (env_.capacity_) {
      const uint64_t used = env_.used_bytes();
      const uint64_t room = *env_.capacity_ > used ? *env_.capacity_ - used : 0;
      if (data.size() > room) {
        file_->data.append(data.substr(0, room));  // a short write, as write(2) does
        return Result::error("write " + path_ + ": No space left on device (ENOSPC, simulated)");
      }
    }
    file_->data.append(data);
    return Result::ok();
  }

  Result sync() override {
    if (Result r = check_live(); !r.is_ok()) return r;
    if (Result r = env_.write_op(path_); !r.is_ok()) return r;
    if (env_.fail_next_sync_) {
      env_.fail_next_sync_ = false;
      return Result::error("fdatasync " + path_ + ": Input/output error (EIO, simulated)");
    }
    const size_t upto = std::min(file_->sync_limit.value_or(file_->data.size()), file_->data.size());
    file_->synced = std::max(file_->synced, upto);
    file_->sync_limit.reset();
    return Result::ok();
  }

 private:
  Result check_live() const {
    if (env_.generation_ == generation_) return Result::ok();
    return Result::error(path_ + ": file handle is stale (the disk crashed or was wiped)");
  }

  SimEnv& env_;
  uint64_t generation_;
  std::shared_ptr<File> file_;
  std::string path_;
};

Result SimEnv::write_op(const std::string& path) {
  if (!power_ops_left_) return Result::ok();
  if (*power_ops_left_ == 0) return Result::error(path + ": the power is cut (simulated)");
  --*power_ops_left_;
  return Result::ok();
}

uint64_t SimEnv::used_bytes() const {
  uint64_t n = 0;
  for (const auto& [path, file] : files_) n += file->data.size();
  return n;
}

Result SimEnv::open_append(const std::string& path, std::unique_ptr<AppendFile>* out) {
  if (Result r = write_op(path); !r.is_ok()) return r;
  auto& file = files_[path];
  if (!file) file = std::make_shared<File>();
  *out = std::make_unique<Handle>(*this, file, path);
  return Result::ok();
}

Result SimEnv::read_all(const std::string& path, std::string* out) {
  auto it = files_.find(path);
  if (it == files_.end()) return no_such_file(path);
  *out = it->second->data;  // a live process sees its own unsynced writes
  return Result::ok();
}

Result SimEnv::file_size(const std::string& path, uint64_t* out) {
  auto it = files_.find(path);
  if (it == files_.end()) return no_such_file(path);
  *out = it->second->data.size();
  return Result::ok();
}

bool SimEnv::exists(const std::string& path) { return files_.contains(path); }

Result SimEnv::truncate(const std::string& path, uint64_t size) {
  if (Result r = write_op(path); !r.is_ok()) return r;
  auto it = files_.find(path);
  if (it == files_.end()) return no_such_file(path);
  File& f = *it->second;
  if (size < f.data.size()) f.data.resize(size);
  f.synced = std::min<size_t>(f.synced, f.data.size());
  return Result::ok();
}

Result SimEnv::rename(const std::string& from, const std::string& to) {
  if (Result r = write_op(from); !r.is_ok()) return r;
  auto it = files_.find(from);
  if (it == files_.end()) return no_such_file(from);
  if (from == to) return Result::ok();
  auto file = std::move(it->second);
  files_.erase(it);
  files_[to] = std::move(file);
  return Result::ok();
}

Result SimEnv::remove(const std::string& path) {
  if (Result r = write_op(path); !r.is_ok()) return r;
  if (files_.erase(path) == 0) return no_such_file(path);
  return Result::ok();
}

// Directories are implicit in the simulated disk; a sync_dir makes the names
// of every file directly inside `dir` durable.
Result SimEnv::create_dir(const std::string&) { return Result::ok(); }
Result SimEnv::sync_dir(const std::string& dir) {
  if (Result r = write_op(dir); !r.is_ok()) return r;
  const std::string prefix = dir + "/";
  auto in_dir = [&](const std::string& p) {
    return p.rfind(prefix, 0) == 0 && p.find('/', prefix.size()) == std::string::npos;
  };
  std::erase_if(durable_names_, [&](const auto& kv) { return in_dir(kv.first); });
  for (const auto& [path, file] : files_) {
    if (in_dir(path)) durable_names_[path] = file;
  }
  return Result::ok();
}

void SimEnv::crash(Rng& rng, const CrashModel& model) {
  if (model.lose_dir_ops && rng.below(2) == 0 && files_ != durable_names_) {
    files_ = durable_names_;
    ++names_reverted_;
  }
  for (auto& [path, file] : files_) {
    const size_t unsynced = file->data.size() - file->synced;
    const size_t kept = model.tear ? static_cast<size_t>(rng.below(unsynced + 1)) : 0;
    file->data.resize(file->synced + kept);
    if (model.reorder && kept > 0 && rng.below(2) == 0) {
      // A later page reached the disk, an earlier one did not: a hole of
      // zeros or garbage inside the kept unsynced bytes.
      const size_t from = file->synced + static_cast<size_t>(rng.below(kept));
      const size_t len = 1 + static_cast<size_t>(rng.below(file->data.size() - from));
      const bool zeros = rng.below(2) == 0;
      ++holes_made_;
      for (size_t i = from; i < from + len; ++i) {
        file->data[i] = zeros ? '\0' : static_cast<char>(rng.below(256));
      }
    }
    file->synced = file->data.size();
  }
  durable_names_ = files_;  // what the disk holds after the crash is what is durable
  fail_next_sync_ = false;
  power_ops_left_.reset();
  ++generation_;
}

void SimEnv::wipe() {
  files_.clear();
  durable_names_.clear();
  ++generation_;
}

void SimEnv::limit_next_sync(const std::string& path, uint64_t bytes) {
  auto it = files_.find(path);
  if (it != files_.end()) it->second->sync_limit = static_cast<size_t>(bytes);
}

uint64_t SimEnv::unsynced_bytes() const {
  uint64_t n = 0;
  for (const auto& [path, file] : files_) n += file->data.size() - file->synced;
  return n;
}

Result SimEnv::corrupt_byte(const std::string& path, uint64_t offset) {
  auto it = files_.find(path);
  if (it == files_.end()) return no_such_file(path);
  if (offset >= it->second->data.size()) {
    return Result::error(path + ": offset " + std::to_string(offset) + " is past the end");
  }
  it->second->data[offset] = static_cast<char>(~it->second->data[offset]);
  return Result::ok();
}

}  // namespace rrseq

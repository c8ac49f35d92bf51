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
  Handle(const SimEnv& env, std::shared_ptr<File> file, std::string path)
      : env_(env), generation_(env.generation_), file_(std::move(file)), path_(std::move(path)) {}

  Result append(std::string_view data) override {
    if (Result r = check_live(); !r.is_ok()) return r;
    file_->data.append(data);
    return Result::ok();
  }

  Result sync() override {
    if (Result r = check_live(); !r.is_ok()) return r;
    file_->synced = file_->data.size();
    return Result::ok();
  }

 private:
  Result check_live() const {
    if (env_.generation_ == generation_) return Result::ok();
    return Result::error(path_ + ": file handle is stale (the disk crashed or was wiped)");
  }

  const SimEnv& env_;
  uint64_t generation_;
  std::shared_ptr<File> file_;
  std::string path_;
};

Result SimEnv::open_append(const std::string& path, std::unique_ptr<AppendFile>* out) {
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
  auto it = files_.find(path);
  if (it == files_.end()) return no_such_file(path);
  File& f = *it->second;
  if (size < f.data.size()) f.data.resize(size);
  f.synced = std::min<size_t>(f.synced, f.data.size());
  return Result::ok();
}

Result SimEnv::rename(const std::string& from, const std::string& to) {
  auto it = files_.find(from);
  if (it == files_.end()) return no_such_file(from);
  if (from == to) return Result::ok();
  auto file = std::move(it->second);
  files_.erase(it);
  files_[to] = std::move(file);
  return Result::ok();
}

Result SimEnv::remove(const std::string& path) {
  if (files_.erase(path) == 0) return no_such_file(path);
  return Result::ok();
}

// Directories are implicit in the simulated disk.
Result SimEnv::create_dir(const std::string&) { return Result::ok(); }
Result SimEnv::sync_dir(const std::string&) { return Result::ok(); }

void SimEnv::crash(Rng& rng, bool tear) {
  for (auto& [path, file] : files_) {
    const size_t unsynced = file->data.size() - file->synced;
    const size_t kept = tear ? static_cast<size_t>(rng.below(unsynced + 1)) : 0;
    file->data.resize(file->synced + kept);
    file->synced = file->data.size();
  }
  ++generation_;
}

void SimEnv::wipe() {
  files_.clear();
  ++generation_;
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

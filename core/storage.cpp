#include "core/storage.h"

namespace rrseq {

namespace {

uint64_t framed_bytes(const std::vector<std::string>& payloads) {
  uint64_t n = 0;
  for (const auto& p : payloads) n += log_record_header_bytes + p.size();
  return n;
}

struct Replayed {
  uint64_t file_bytes = 0;
  LogReadResult log;                   // the intact prefix, and a torn tail after it if any
  std::vector<StorageRecord> records;  // decoded from log.payloads
  std::string corruption;              // "<path> offset N: why" when corrupt in the middle
};

// Reads and decodes the whole log before anything touches the file. A record
// whose checksum passed but whose fields are wrong is corruption too.
Result replay_log(Env& env, const std::string& path, Replayed* out) {
  std::string contents;
  if (Result r = env.read_all(path, &contents); !r.is_ok()) return r;
  out->file_bytes = contents.size();
  out->log = read_log({reinterpret_cast<const uint8_t*>(contents.data()), contents.size()});
  if (out->log.corrupt) {
    out->corruption = path + " " + out->log.error;
    return Result::ok();
  }
  out->records.reserve(out->log.payloads.size());
  for (size_t i = 0; i < out->log.payloads.size(); ++i) {
    const std::string& payload = out->log.payloads[i];
    auto decoded =
        decode_record({reinterpret_cast<const uint8_t*>(payload.data()), payload.size()});
    if (auto* err = std::get_if<DecodeError>(&decoded)) {
      out->corruption = path + " offset " + std::to_string(out->log.offsets[i]) + ": " + err->reason;
      return Result::ok();
    }
    out->records.push_back(std::move(std::get<StorageRecord>(decoded)));
  }
  return Result::ok();
}

std::string corrupt_log_path(const std::string& dir, uint32_t n) {
  return dir + "/" + corrupt_log_prefix + std::to_string(n);
}

// Renames the log to the first free rrseq.log.corrupt-<n> and makes that durable.
Result set_aside_log(Env& env, const std::string& dir, const std::string& path,
                     std::string* moved_to) {
  for (uint32_t n = 1; n <= corrupt_logs_max; ++n) {
    const std::string to = corrupt_log_path(dir, n);
    if (env.exists(to)) continue;
    if (Result r = env.rename(path, to); !r.is_ok()) return r;
    if (Result r = env.sync_dir(dir); !r.is_ok()) return r;
    *moved_to = to;
    return Result::ok();
  }
  return Result::error(dir + " already holds " + std::to_string(corrupt_logs_max) + " logs set aside (" +
                       corrupt_log_prefix + "1..); inspect and remove them");
}

bool holds_set_aside_log(Env& env, const std::string& dir) {
  for (uint32_t n = 1; n <= corrupt_logs_max; ++n) {
    if (env.exists(corrupt_log_path(dir, n))) return true;
  }
  return false;
}

}  // namespace

Storage::Storage(Env& env, std::string dir, std::unique_ptr<LogWriter> writer, uint64_t log_bytes)
    : env_(env),
      dir_(std::move(dir)),
      path_(dir_ + "/" + log_file_name),
      writer_(std::move(writer)),
      log_bytes_(log_bytes) {}

Result Storage::open(Env& env, const std::string& dir, std::unique_ptr<Storage>* out,
                     OpenedStorage* opened, OnCorruptLog on_corrupt) {
  if (Result r = env.create_dir(dir); !r.is_ok()) return r;
  const std::string path = dir + "/" + log_file_name;
  *opened = OpenedStorage{};
  // A compaction that crashed before its rename: the log itself is complete.
  if (const std::string tmp = dir + "/" + log_tmp_file_name; env.exists(tmp)) {
    if (Result r = env.remove(tmp); !r.is_ok()) return r;
    opened->notes.push_back(tmp + ": removed, left by an interrupted compaction");
  }
  bool created = !env.exists(path);
  uint64_t log_bytes = 0;

  if (!created) {
    Replayed replayed;
    if (Result r = replay_log(env, path, &replayed); !r.is_ok()) return r;
    if (!replayed.corruption.empty()) {
      if (on_corrupt == OnCorruptLog::refuse) {
        return Result::error(replayed.corruption + "; refusing to serve from a corrupted log");
      }
      std::string moved_to;
      if (Result r = set_aside_log(env, dir, path, &moved_to); !r.is_ok()) {
        return Result::error(replayed.corruption + "; cannot set the log aside: " + r.message());
      }
      opened->set_aside = replayed.corruption + "; moved to " + moved_to;
      created = true;  // a fresh, empty log takes its place
    } else {
      const LogReadResult& log = replayed.log;
      if (log.torn_tail) {
        if (Result r = env.truncate(path, log.valid_bytes); !r.is_ok()) return r;
        opened->notes.push_back(path + ": truncated torn tail at offset " +
                                std::to_string(log.bad_offset) + " (" +
                                std::to_string(replayed.file_bytes - log.valid_bytes) +
                                " bytes at or after the synced watermark " +
                                std::to_string(log.synced_bytes) + ": " + log.error + ")");
      }
      log_bytes = log.valid_bytes;
      created = log_bytes == 0;  // nothing intact: start it afresh, with a version header
      for (const auto& rec : replayed.records) opened->state.apply(rec);
      opened->notes.push_back(path + ": recovered " + std::to_string(replayed.records.size()) +
                              " records");
    }
  }
  opened->lost_state = !opened->state.initialized && holds_set_aside_log(env, dir);

  std::unique_ptr<AppendFile> file;
  if (Result r = env.open_append(path, &file); !r.is_ok()) return r;
  auto writer = std::make_unique<LogWriter>(std::move(file));
  if (created) {
    // A new log starts with its version header, durable with its name before
    // anything else is written.
    std::string header;
    append_log_header(header);
    if (Result r = writer->add_framed(header); !r.is_ok()) return r;
    if (Result r = writer->sync(); !r.is_ok()) return r;
    if (Result r = env.sync_dir(dir); !r.is_ok()) return r;
    log_bytes = header.size();
    opened->notes.push_back(path + ": created");
  } else {
    // What was read may sit only in the page cache (a process crash, not a
    // power loss): make it durable before anything is built on it.
    if (Result r = writer->sync(); !r.is_ok()) return r;
  }
  *out = std::unique_ptr<Storage>(new Storage(env, dir, std::move(writer), log_bytes));
  return (*out)->mark_synced(log_bytes);
}

Result Storage::check_usable() const {
  if (failed_) return Result::error(path_ + ": unusable after a failed write or sync; reopen the storage");
  if (writer_) return Result::ok();
  return Result::error(path_ + ": unusable after a failed compaction; reopen the storage");
}

Result Storage::fail(Result r) {
  failed_ = true;
  return r;
}

Result Storage::append(const std::vector<std::string>& encoded_records) {
  if (Result r = check_usable(); !r.is_ok()) return r;
  // A failed append may have written part of the batch: anything after it
  // would follow a hole, so the file takes no more writes.
  if (Result r = writer_->add_records(encoded_records); !r.is_ok()) return fail(r);
  log_bytes_ += framed_bytes(encoded_records);
  return Result::ok();
}

Result Storage::sync_file() {
  if (Result r = check_usable(); !r.is_ok()) return r;
  // A failed fdatasync is final: the kernel may have dropped the dirty pages
  // and a later sync could succeed without them (FAULTS.md).
  if (Result r = writer_->sync(); !r.is_ok()) return fail(r);
  return Result::ok();
}

Result Storage::mark_synced(uint64_t synced_bytes) {
  if (Result r = check_usable(); !r.is_ok()) return r;
  if (synced_bytes <= marked_bytes_) return Result::ok();
  std::string mark;
  append_sync_mark(synced_bytes, mark);
  if (Result r = writer_->add_framed(mark); !r.is_ok()) return fail(r);
  marked_bytes_ = synced_bytes;
  log_bytes_ += mark.size();
  return Result::ok();
}

Result Storage::sync() {
  const uint64_t covered = log_bytes_;
  if (Result r = sync_file(); !r.is_ok()) return r;
  return mark_synced(covered);
}

Result Storage::compact(const DurableState& state) {
  if (Result r = check_usable(); !r.is_ok()) return r;
  const std::string tmp = dir_ + "/" + log_tmp_file_name;
  std::vector<std::string> payloads;
  for (const auto& rec : state.snapshot()) payloads.push_back(encode_record(rec));
  std::string header;
  append_log_header(header);

  // Until the rename, a failure leaves the old log in place and in use.
  if (env_.exists(tmp)) {
    if (Result r = env_.remove(tmp); !r.is_ok()) return r;
  }
  {
    std::unique_ptr<AppendFile> file;
    if (Result r = env_.open_append(tmp, &file); !r.is_ok()) return r;
    LogWriter snapshot(std::move(file));
    if (Result r = snapshot.add_framed(header); !r.is_ok()) return r;
    if (Result r = snapshot.add_records(payloads); !r.is_ok()) return r;
    // Only the tmp file's pages are in doubt, but a failed sync is final all the same.
    if (Result r = snapshot.sync(); !r.is_ok()) return fail(r);
  }
  if (Result r = env_.rename(tmp, path_); !r.is_ok()) return r;

  // The old writer now points at a replaced file: never append through it again.
  writer_.reset();
  if (Result r = env_.sync_dir(dir_); !r.is_ok()) return r;
  std::unique_ptr<AppendFile> file;
  if (Result r = env_.open_append(path_, &file); !r.is_ok()) return r;
  writer_ = std::make_unique<LogWriter>(std::move(file));
  log_bytes_ = header.size() + framed_bytes(payloads);
  marked_bytes_ = 0;
  return mark_synced(log_bytes_);
}

}  // namespace rrseq

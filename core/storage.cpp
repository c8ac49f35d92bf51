#include "core/storage.h"

namespace rrseq {

Result Storage::open(Env& env, const std::string& dir, std::unique_ptr<Storage>* out,
                     OpenedStorage* opened) {
  if (Result r = env.create_dir(dir); !r.is_ok()) return r;
  const std::string path = dir + "/" + log_file_name;
  const bool created = !env.exists(path);
  *opened = OpenedStorage{};

  if (!created) {
    std::string contents;
    if (Result r = env.read_all(path, &contents); !r.is_ok()) return r;
    const auto* bytes = reinterpret_cast<const uint8_t*>(contents.data());
    LogReadResult log = read_log({bytes, contents.size()});
    if (log.corrupt) {
      return Result::error(path + " " + log.error + "; refusing to serve from a corrupted log");
    }

    // Decode everything before touching the file: a record whose checksum
    // passed but whose fields are wrong is corruption too.
    std::vector<StorageRecord> records;
    records.reserve(log.payloads.size());
    uint64_t offset = 0;
    for (const auto& payload : log.payloads) {
      auto decoded = decode_record(
          {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()});
      if (auto* err = std::get_if<DecodeError>(&decoded)) {
        return Result::error(path + " offset " + std::to_string(offset) + ": " + err->reason +
                             "; refusing to serve from a corrupted log");
      }
      records.push_back(std::move(std::get<StorageRecord>(decoded)));
      offset += log_record_header_bytes + payload.size();
    }

    if (log.torn_tail) {
      if (Result r = env.truncate(path, log.valid_bytes); !r.is_ok()) return r;
      opened->notes.push_back(path + ": truncated torn tail at offset " +
                              std::to_string(log.bad_offset) + " (" +
                              std::to_string(contents.size() - log.valid_bytes) + " bytes)");
    }
    for (const auto& rec : records) opened->state.apply(rec);
    opened->notes.push_back(path + ": recovered " + std::to_string(records.size()) + " records");
  }

  std::unique_ptr<AppendFile> file;
  if (Result r = env.open_append(path, &file); !r.is_ok()) return r;
  if (created) {
    if (Result r = env.sync_dir(dir); !r.is_ok()) return r;
    opened->notes.push_back(path + ": created");
  }
  *out = std::unique_ptr<Storage>(new Storage(path, std::make_unique<LogWriter>(std::move(file))));
  return Result::ok();
}

Result Storage::append(const std::vector<std::string>& encoded_records) {
  return writer_->add_records(encoded_records);
}

Result Storage::sync() { return writer_->sync(); }

}  // namespace rrseq

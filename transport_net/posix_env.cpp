#include "transport_net/posix_env.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <system_error>

namespace rrseq {

namespace {

// "open /data/rrseq.log: Permission denied". Reads errno, so call it first.
Result posix_error(const char* call, const std::string& path) {
  const int err = errno;
  return Result::error(std::string(call) + " " + path + ": " +
                       std::generic_category().message(err));
}

// Owns one file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_;
};

int open_retrying(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

class PosixAppendFile final : public AppendFile {
 public:
  PosixAppendFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  Result append(std::string_view data) override {
    if (failed_.load(std::memory_order_acquire)) return poisoned();
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_.get(), p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return posix_error("write", path_);
      }
      if (n == 0) return Result::error("write " + path_ + ": wrote 0 bytes");
      p += n;
      left -= static_cast<size_t>(n);
    }
    return Result::ok();
  }

  Result sync() override {
    if (failed_.load(std::memory_order_acquire)) return poisoned();
    if (::fdatasync(fd_.get()) != 0) {
      failed_.store(true, std::memory_order_release);
      return posix_error("fdatasync", path_);
    }
    return Result::ok();
  }

 private:
  Result poisoned() const {
    return Result::error(path_ + ": an earlier fdatasync failed; the file must be reopened");
  }

  Fd fd_;
  std::string path_;
  // Set by sync() on the server's disk thread, read by append() on its io
  // thread: after a failed fdatasync nothing more may be written (the kernel
  // may have dropped the dirty pages it could not write).
  std::atomic<bool> failed_{false};
};

}  // namespace

PosixEnv& PosixEnv::default_env() {
  static PosixEnv env;
  return env;
}

Result PosixEnv::open_append(const std::string& path, std::unique_ptr<AppendFile>* out) {
  const int fd = open_retrying(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return posix_error("open", path);
  *out = std::make_unique<PosixAppendFile>(fd, path);
  return Result::ok();
}

Result PosixEnv::read_all(const std::string& path, std::string* out) {
  Fd fd(open_retrying(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return posix_error("open", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return posix_error("fstat", path);
  auto too_large = [&](uint64_t size) {
    return Result::error("read " + path + ": file too large (" + std::to_string(size) +
                         " > " + std::to_string(log_file_bytes_max) + " bytes)");
  };
  if (static_cast<uint64_t>(st.st_size) > log_file_bytes_max) return too_large(st.st_size);

  std::string data;
  data.resize(static_cast<size_t>(st.st_size));
  size_t used = 0;
  for (;;) {
    // The file may grow while we read it; keep going until end of file.
    if (used == data.size()) data.resize(used + 64 * 1024);
    const ssize_t n = ::read(fd.get(), data.data() + used, data.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return posix_error("read", path);
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
    if (used > log_file_bytes_max) return too_large(used);
  }
  data.resize(used);
  *out = std::move(data);
  return Result::ok();
}

Result PosixEnv::file_size(const std::string& path, uint64_t* out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return posix_error("stat", path);
  *out = static_cast<uint64_t>(st.st_size);
  return Result::ok();
}

bool PosixEnv::exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Result PosixEnv::truncate(const std::string& path, uint64_t size) {
  Fd fd(open_retrying(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return posix_error("open", path);
  int rc;
  do {
    rc = ::ftruncate(fd.get(), static_cast<off_t>(size));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return posix_error("ftruncate", path);
  if (::fsync(fd.get()) != 0) return posix_error("fsync", path);
  return Result::ok();
}

Result PosixEnv::rename(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    const int err = errno;
    return Result::error("rename " + from + " to " + to + ": " +
                         std::generic_category().message(err));
  }
  return Result::ok();
}

Result PosixEnv::remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return posix_error("unlink", path);
  return Result::ok();
}

Result PosixEnv::create_dir(const std::string& path) {
  // Parents too, like mkdir -p: a deployer names the data directory, not its tree.
  const size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string parent = path.substr(0, slash);
    struct stat pst {};
    if (::stat(parent.c_str(), &pst) != 0) {
      Result r = create_dir(parent);
      if (!r.is_ok()) return r;
    }
  }
  if (::mkdir(path.c_str(), 0755) == 0) return Result::ok();
  if (errno != EEXIST) return posix_error("mkdir", path);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return posix_error("stat", path);
  if (!S_ISDIR(st.st_mode)) {
    return Result::error("mkdir " + path + ": exists and is not a directory");
  }
  return Result::ok();
}

Result PosixEnv::sync_dir(const std::string& dir) {
  Fd fd(open_retrying(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return posix_error("open", dir);
  if (::fsync(fd.get()) != 0) return posix_error("fsync", dir);
  return Result::ok();
}

}  // namespace rrseq

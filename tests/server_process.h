#pragma once
// rrseq-server as a child process, for tests that need what only a process
// has: its own memory (VmRSS), threads and open files, read from
// /proc/<pid>/status, and its log (stderr, kept in a file). The destructor
// stops the server (SIGCONT, SIGTERM, then SIGKILL) and reaps it.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef RRSEQ_BIN_DIR
#error "RRSEQ_BIN_DIR must name the directory holding rrseq-server"
#endif

extern char** environ;

namespace rrseq::test {

using std::chrono::milliseconds;

inline std::string read_whole_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `done` every few milliseconds until it holds or `bound` passes.
template <typename F>
bool eventually(F done, milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
}

// Raises this process's open files soft limit to the hard one; returns the new soft limit.
inline uint64_t raise_own_open_files_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
  getrlimit(RLIMIT_NOFILE, &r);
  return r.rlim_cur;
}

class ServerProcess {
 public:
  static constexpr milliseconds startup_wait{15'000};  // until it logs where it listens
  static constexpr milliseconds stop_grace{5'000};     // SIGTERM to exit, before SIGKILL

  // Runs `rrseq-server OPTIONS... ADDR DATA PEERS...`; ADDR may have port 0.
  // `launcher` (a full path and its arguments) runs the server, as fiu-run does.
  ServerProcess(const std::vector<std::string>& options, const std::string& addr = "127.0.0.1:0",
                const std::string& data = "", const std::vector<std::string>& peers = {},
                const std::vector<std::string>& launcher = {}) {
    char tmpl[] = "/tmp/rrseq-server-log-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    if (fd < 0) {
      error_ = "mkstemp failed";
      return;
    }
    ::close(fd);
    log_path_ = tmpl;
    std::vector<std::string> argv = launcher;
    argv.push_back(std::string(RRSEQ_BIN_DIR) + "/rrseq-server");
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(addr);
    argv.push_back(data);
    argv.insert(argv.end(), peers.begin(), peers.end());
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_path_.c_str(), O_WRONLY | O_APPEND, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log_path_.c_str(), O_WRONLY | O_APPEND, 0);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      pid_ = -1;
      error_ = "cannot start " + argv[0];
      return;
    }
    const std::regex listening("listening on (\\S+:[0-9]+)");
    std::smatch m;
    std::string text;
    if (!eventually([&] { return std::regex_search(text = log(), m, listening) || !alive(); }, startup_wait) ||
        m.empty()) {
      error_ = "rrseq-server did not start; its log:\n" + log();
      return;
    }
    address_ = m[1];
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGCONT);
      ::kill(pid_, SIGTERM);
      if (!eventually([&] { return !alive(); }, stop_grace)) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
      }
    }
    if (!log_path_.empty() && !std::getenv("RRSEQ_KEEP_LOGS")) std::filesystem::remove(log_path_);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& error() const { return error_; }
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_whole_file(log_path_); }
  bool log_has(const std::string& needle) const { return log().find(needle) != std::string::npos; }
  size_t log_count(const std::string& needle) const {
    const std::string text = log();
    size_t n = 0;
    for (size_t at = 0; (at = text.find(needle, at)) != std::string::npos; at += needle.size()) ++n;
    return n;
  }
  void signal(int sig) const { ::kill(pid_, sig); }

  // A number from /proc/<pid>/status: "VmRSS" (KiB), "Threads"; 0 if missing.
  uint64_t status_field(const std::string& name) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(name + ":", 0) == 0) return std::strtoull(line.c_str() + name.size() + 1, nullptr, 10);
    }
    return 0;
  }
  uint64_t rss_bytes() const { return status_field("VmRSS") * 1024; }

  // Reaps the server if it has exited (then it is not alive).
  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r;
    while ((r = ::waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (r == pid_) {
      pid_ = -1;
      exit_status_ = status;
      return false;
    }
    return true;
  }
  // After alive() saw it end: its exit code, or -1 if a signal ended it.
  int exit_code() const { return WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : -1; }

 private:
  pid_t pid_ = -1;
  int exit_status_ = 0;
  std::string log_path_;
  std::string address_;
  std::string error_;
};

}  // namespace rrseq::test

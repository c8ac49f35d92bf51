#include "bench/bench_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "transport_net/free_ports.h"
#include "transport_net/local_cluster.h"
#include "transport_net/log.h"

extern char** environ;

namespace rrseq::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds server_start_wait{15'000};  // until every node logs where it listens
constexpr milliseconds server_stop_grace{5'000};   // SIGTERM to exit, before SIGKILL
constexpr size_t failed_log_bytes_max = 2'000;     // of a node's log, quoted when it did not start

// A fresh directory for a durable cluster's nodes ("" for memory mode).
std::string make_data_root(bool durable, const std::string& parent, std::string* error) {
  if (!durable) return "";
  std::string tmpl = parent + "/rrseq-bench-XXXXXX";
  if (!::mkdtemp(tmpl.data())) {
    *error = "mkdtemp in " + parent + ": " + std::strerror(errno);
    return "";
  }
  return tmpl;
}

void remove_tree(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> rotate(const std::vector<std::string>& addresses, size_t i) {
  std::vector<std::string> v;
  for (size_t k = 0; k < addresses.size(); ++k) v.push_back(addresses[(i + k) % addresses.size()]);
  return v;
}

// ---- in this process ----

class InProcessCluster : public BenchCluster {
 public:
  InProcessCluster(const ClusterKnobs& knobs, const std::string& data_parent) {
    data_root_ = make_data_root(knobs.durable, data_parent, &error_);
    if (!error_.empty()) return;
    local_ = std::make_unique<LocalCluster>(cluster_nodes, data_root_, [&knobs](size_t, ServerConfig& cfg) {
      cfg.speedups = knobs.speedups;
      if (knobs.doors) {
        cfg.grpc = must_parse("127.0.0.1:0");
        cfg.http = must_parse("127.0.0.1:0");
      }
    });
    error_ = local_->error();
  }
  ~InProcessCluster() override {
    if (local_) {
      const std::vector<std::string> reasons = local_->stop_all();
      for (size_t i = 0; i < reasons.size(); ++i)
        if (!reasons[i].empty())
          std::fprintf(stderr, "rrseq-bench: node %zu stopped by itself: %s\n", i, reasons[i].c_str());
      local_.reset();
    }
    remove_tree(data_root_);
  }
  const std::string& error() const override { return error_; }
  std::vector<std::string> rotated(size_t i) const override { return local_->rotated(i); }
  std::string grpc_address(size_t node) const override { return local_->server(node).grpc_address(); }
  std::string http_address(size_t node) const override { return local_->server(node).http_address(); }

 private:
  std::string data_root_;
  std::unique_ptr<LocalCluster> local_;
  std::string error_;
};

// ---- as rrseq-server processes ----

class ProcessCluster : public BenchCluster {
 public:
  ProcessCluster(const ClusterKnobs& knobs, const std::string& server_bin, const std::string& data_parent) {
    data_root_ = make_data_root(knobs.durable, data_parent, &error_);
    if (!error_.empty()) return;
    logs_dir_ = make_data_root(true, data_parent, &error_);
    if (!error_.empty()) return;
    const std::vector<int> ports = free_loopback_ports(3 * cluster_nodes);
    if (ports.size() != 3 * cluster_nodes) {
      error_ = "no free loopback ports";
      return;
    }
    ports_.assign(ports.begin(), ports.begin() + cluster_nodes);
    auto at = [&](size_t k) { return "127.0.0.1:" + std::to_string(ports[k]); };
    for (size_t i = 0; i < cluster_nodes; ++i) {
      addresses_.push_back(at(i));
      grpc_.push_back(knobs.doors ? at(cluster_nodes + i) : "");
      http_.push_back(knobs.doors ? at(2 * cluster_nodes + i) : "");
    }
    std::vector<std::string> options{"--log-level", "warn"};
    std::istringstream flags(speedup_flags(knobs.speedups));
    for (std::string f; flags >> f;) options.push_back(f);
    for (size_t i = 0; i < cluster_nodes && error_.empty(); ++i) {
      std::vector<std::string> argv{server_bin};
      argv.insert(argv.end(), options.begin(), options.end());
      if (knobs.doors) argv.insert(argv.end(), {"--grpc", grpc_[i], "--http", http_[i]});
      argv.push_back(addresses_[i]);
      argv.push_back(data_root_.empty() ? "" : data_root_ + "/node" + std::to_string(i));
      for (size_t j = 0; j < cluster_nodes; ++j)
        if (j != i) argv.push_back(addresses_[j]);
      spawn(argv, log_path(i));
    }
    if (error_.empty()) wait_until_listening();
  }

  ~ProcessCluster() override {
    for (pid_t pid : pids_)
      if (pid > 0) ::kill(pid, SIGTERM);
    const auto until = Clock::now() + server_stop_grace;
    for (size_t i = 0; i < pids_.size(); ++i) {
      if (pids_[i] <= 0) continue;  // reaped already
      int status = 0;
      pid_t r;
      while ((r = ::waitpid(pids_[i], &status, WNOHANG)) == 0 && Clock::now() < until)
        std::this_thread::sleep_for(milliseconds(5));
      if (r == 0) {
        ::kill(pids_[i], SIGKILL);
        ::waitpid(pids_[i], &status, 0);
        std::fprintf(stderr, "rrseq-bench: node %zu did not stop within %lld ms of SIGTERM: killed\n", i,
                     static_cast<long long>(server_stop_grace.count()));
      } else if (r == pids_[i] && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        std::fprintf(stderr, "rrseq-bench: node %zu exited badly; its log: %s\n", i, log_path(i).c_str());
        keep_logs_ = true;
      }
    }
    remove_tree(data_root_);
    if (!keep_logs_) remove_tree(logs_dir_);
  }

  const std::string& error() const override { return error_; }
  std::vector<std::string> rotated(size_t i) const override { return rotate(addresses_, i); }
  std::string grpc_address(size_t node) const override { return grpc_.at(node); }
  std::string http_address(size_t node) const override { return http_.at(node); }

 private:
  std::string log_path(size_t i) const { return logs_dir_ + "/node" + std::to_string(i) + ".log"; }

  void spawn(const std::vector<std::string>& argv, const std::string& log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      error_ = "cannot run " + argv[0] + ": " + std::strerror(rc) + " (--server-bin names it)";
      return;
    }
    pids_.push_back(pid);
  }

  // Every node accepts connections on its port, or one exited, or the wait
  // ran out. (Its log is at warn: "listening on" is not in it.)
  void wait_until_listening() {
    const auto until = Clock::now() + server_start_wait;
    for (size_t i = 0; i < pids_.size(); ++i) {
      while (!accepts(ports_[i])) {
        int status = 0;
        const bool exited = ::waitpid(pids_[i], &status, WNOHANG) == pids_[i];
        if (exited || Clock::now() >= until) {
          if (exited) pids_[i] = -1;
          error_ = "node " + std::to_string(i) + " (" + addresses_[i] + ")" +
                   (exited ? " exited" : " did not listen in time") +
                   "; its log: " + read_file(log_path(i)).substr(0, failed_log_bytes_max);
          keep_logs_ = true;
          return;
        }
        std::this_thread::sleep_for(milliseconds(5));
      }
    }
  }

  // A connect to 127.0.0.1:port succeeds (closed at once: the node drops a
  // connection that never says hello).
  static bool accepts(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  }

  std::string data_root_, logs_dir_;
  std::vector<std::string> addresses_, grpc_, http_;
  std::vector<int> ports_;  // of addresses_
  std::vector<pid_t> pids_;  // by node; -1 once reaped
  bool keep_logs_ = false;
  std::string error_;
};

}  // namespace

std::string ClusterKnobs::label() const {
  std::string s = durable ? "durable" : "memory";
  if (doors) s += "+doors";
  if (!speedups.combine) s += "+nocombine";
  if (!speedups.fast_path) s += "+nofastpath";
  if (!speedups.group_commit) s += "+nogroupcommit";
  return s;
}

std::unique_ptr<BenchCluster> start_cluster(Servers servers, const ClusterKnobs& knobs,
                                            const std::string& server_bin, const std::string& data_parent) {
  if (servers == Servers::in_process) return std::make_unique<InProcessCluster>(knobs, data_parent);
  return std::make_unique<ProcessCluster>(knobs, server_bin, data_parent);
}

}  // namespace rrseq::bench

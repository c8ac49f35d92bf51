#pragma once
// One node with its storage, composed once for every driver: the server (on
// sockets and a disk thread), the simulator (on simulated ones) and the node
// tests (by hand). The host recovers the data directory, appends the node's
// records, decides when to compact, accounts the requests of each client
// connection, and hands the slow disk work (fdatasync, compaction) to the
// driver as DiskJobs, so the driver's network thread never waits on a disk.
//
//   driver                          host
//   ------                          ----
//   on_peer_message / on_client_request / on_client_closed / on_timer
//   take_output()               ->  sends, replies, log lines, at most one DiskJob
//   run_disk_job(job)               (disk thread: touches only the storage)
//   on_disk_job_done(job, result)   (network thread again)
//
// One job at a time. While a sync runs, appends go on (the fdatasync covers
// what was written before it started; group commit). While a compaction runs
// the storage is the disk thread's alone: records wait in memory and the next
// sync waits for them, which is safe because the node sends nothing that
// rests on a record before that record's sync is done.
//
// A failed append or sync is final (FAULTS.md): the host stops, reports it in
// HostOutput::fatal, and the process must recover from its disk.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/node.h"
#include "core/result.h"
#include "core/storage.h"

namespace rrseq {

struct HostConfig {
  NodeConfig node;                 // node.durable selects the storage
  std::string data_dir;            // durable mode
  bool rejoin_if_corrupt = false;  // a log corrupt in the middle is set aside; the node rejoins
  uint64_t compact_log_bytes = 64u << 20;  // rewrite the log as a snapshot past this size; 0: never
};

struct DiskJob {
  enum class Kind : uint8_t { sync, compact };
  Kind kind = Kind::sync;
  uint64_t sync_id = 0;       // sync: the node's id for it
  uint64_t covers_bytes = 0;  // sync: log bytes appended before it was issued
  DurableState snapshot;      // compact: what the new log holds (a copy: the disk thread reads it)
};

enum class HostLogLevel : uint8_t { info, warn, error };
struct HostLogLine {
  HostLogLevel level = HostLogLevel::info;
  std::string text;
};

struct HostOutput {
  std::vector<PeerSend> peer_sends;
  std::vector<ClientSend> client_sends;
  std::vector<HostLogLine> log;
  std::optional<DiskJob> disk_job;  // run it, then report it with on_disk_job_done()
  std::string fatal;                // set once: the host stopped and takes no more input
};

struct HostStats {
  uint64_t compactions = 0;
  uint64_t compaction_errors = 0;  // failed before the rename: the old log stays in use
  uint64_t too_many_requests = 0;  // refused here: conn_requests_in_flight_max unanswered on a connection
};

class NodeHost {
 public:
  // Durable mode: recovers cfg.data_dir on `env` (which must outlive the host).
  // Memory mode: starts empty. Errors name what failed (I/O, a corrupt log
  // without rejoin_if_corrupt, rejoin_if_corrupt on a one-node cluster).
  static Result open(Env& env, HostConfig cfg, uint64_t rng_seed, TimeUs now, std::unique_ptr<NodeHost>* out);
  // Memory mode with a given state: for tests that start from a founded cluster.
  NodeHost(HostConfig cfg, DurableState state, uint64_t rng_seed, TimeUs now);
  NodeHost(const NodeHost&) = delete;
  NodeHost& operator=(const NodeHost&) = delete;

  void on_peer_message(uint32_t from, const PeerMessage& msg, TimeUs now);
  void on_client_request(ConnId conn, const ClientRequest& req, TimeUs now);
  void on_client_closed(ConnId conn);  // its unanswered requests stop counting
  void on_timer(TimeUs now);
  // Runs on the driver's disk thread; nothing else of the host may run the
  // storage meanwhile, which the host guarantees by issuing one job at a time.
  Result run_disk_job(const DiskJob& job);
  void on_disk_job_done(const DiskJob& job, const Result& result, TimeUs now);

  HostOutput take_output();
  std::optional<TimeUs> next_timer() const;

  const Node& node() const { return *node_; }
  const HostStats& stats() const { return stats_; }
  bool stopped() const { return stopped_; }
  // Size of the log as of the last step on the network thread (0 in memory mode).
  uint64_t log_bytes() const { return log_bytes_; }
  // Non-empty when open() found the log corrupt and set it aside: what and where.
  const std::string& set_aside() const { return set_aside_; }
  // The log file's path; empty in memory mode.
  std::string log_path() const { return storage_ ? storage_->path() : std::string(); }

 private:
  NodeHost(HostConfig cfg, std::unique_ptr<Storage> storage, DurableState state, uint64_t rng_seed, TimeUs now);

  void pull_node_output();
  void append(const std::vector<std::string>& records);
  void start_sync(uint64_t sync_id);
  void maybe_compact();
  void stop(const std::string& reason);
  void log(HostLogLevel level, std::string text) { out_.log.push_back({level, std::move(text)}); }

  HostConfig cfg_;
  std::unique_ptr<Storage> storage_;  // durable mode
  std::unique_ptr<Node> node_;
  std::optional<DiskJob::Kind> job_running_;
  std::vector<std::string> held_records_;  // written by the node while a compaction runs
  std::optional<uint64_t> held_sync_;      // the node's sync that waits for them
  uint64_t compact_at_bytes_ = 0;          // the next compaction waits for this size
  uint64_t log_bytes_ = 0;
  std::map<ConnId, size_t> unanswered_;    // per client connection
  bool stopped_ = false;
  std::string set_aside_;
  HostStats stats_;
  HostOutput out_;
};

}  // namespace rrseq

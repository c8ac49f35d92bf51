#include "core/node_host.h"

#include "core/invariant.h"
#include "core/limits.h"

namespace rrseq {

Result NodeHost::open(Env& env, HostConfig cfg, uint64_t rng_seed, TimeUs now, std::unique_ptr<NodeHost>* out) {
  if (!cfg.node.durable) {
    *out = std::unique_ptr<NodeHost>(new NodeHost(std::move(cfg), nullptr, DurableState{}, rng_seed, now));
    return Result::ok();
  }
  if (cfg.rejoin_if_corrupt && cfg.node.nodes == 1) {
    return Result::error("--rejoin-if-corrupt: a one-node cluster has no peers to rejoin from");
  }
  const auto on_corrupt = cfg.rejoin_if_corrupt ? OnCorruptLog::set_aside : OnCorruptLog::refuse;
  std::unique_ptr<Storage> storage;
  OpenedStorage opened;
  if (Result r = Storage::open(env, cfg.data_dir, &storage, &opened, on_corrupt); !r.is_ok()) return r;
  cfg.node.lost_state = opened.lost_state;
  auto host = std::unique_ptr<NodeHost>(
      new NodeHost(std::move(cfg), std::move(storage), std::move(opened.state), rng_seed, now));
  host->set_aside_ = opened.set_aside;
  // Said before anything the node logs.
  std::vector<HostLogLine> lines;
  for (auto& note : opened.notes) lines.push_back({HostLogLevel::info, std::move(note)});
  if (!opened.set_aside.empty()) {
    lines.push_back({HostLogLevel::error, "CORRUPT LOG " + opened.set_aside +
                                              " (--rejoin-if-corrupt): starting WITHOUT state; serving only after "
                                              "a safe rejoin from a majority of the other nodes"});
  }
  host->out_.log.insert(host->out_.log.begin(), lines.begin(), lines.end());
  *out = std::move(host);
  return Result::ok();
}

NodeHost::NodeHost(HostConfig cfg, DurableState state, uint64_t rng_seed, TimeUs now)
    : NodeHost(std::move(cfg), nullptr, std::move(state), rng_seed, now) {
  RRSEQ_INVARIANT(!cfg_.node.durable, "a host given its state runs in memory mode");
}

NodeHost::NodeHost(HostConfig cfg, std::unique_ptr<Storage> storage, DurableState state, uint64_t rng_seed,
                   TimeUs now)
    : cfg_(std::move(cfg)), storage_(std::move(storage)) {
  if (storage_) log_bytes_ = storage_->log_bytes();
  compact_at_bytes_ = cfg_.compact_log_bytes;
  node_ = std::make_unique<Node>(cfg_.node, std::move(state), rng_seed, now);
  pull_node_output();
}

void NodeHost::on_peer_message(uint32_t from, const PeerMessage& msg, TimeUs now) {
  if (stopped_) return;
  node_->on_peer_message(from, msg, now);
  pull_node_output();
}

void NodeHost::on_client_request(ConnId conn, const ClientRequest& req, TimeUs now) {
  if (stopped_) return;
  // One client that pipelines without bound must not fill the node's queue for everyone else.
  size_t& unanswered = unanswered_[conn];
  if (unanswered >= conn_requests_in_flight_max) {
    ++stats_.too_many_requests;
    out_.client_sends.push_back({conn, ClientReply{req.client, req.request, Status::too_many_requests, 0, 0}});
    return;
  }
  ++unanswered;
  node_->on_client_request(conn, req, now);
  pull_node_output();
}

void NodeHost::on_client_closed(ConnId conn) { unanswered_.erase(conn); }

void NodeHost::on_timer(TimeUs now) {
  if (stopped_) return;
  node_->on_timer(now);
  pull_node_output();
}

Result NodeHost::run_disk_job(const DiskJob& job) {
  RRSEQ_INVARIANT(storage_ != nullptr, "disk jobs exist in durable mode only");
  return job.kind == DiskJob::Kind::sync ? storage_->sync_file() : storage_->compact(job.snapshot);
}

void NodeHost::on_disk_job_done(const DiskJob& job, const Result& result, TimeUs now) {
  if (stopped_) return;
  RRSEQ_INVARIANT(job_running_ == job.kind, "a disk job is reported once, as it was issued");
  job_running_.reset();
  if (job.kind == DiskJob::Kind::sync) {
    // A failed fdatasync is final: stop, never serve on (FAULTS.md).
    if (!result.is_ok()) return stop("cannot sync the log: " + result.message());
    if (Result m = storage_->mark_synced(job.covers_bytes); !m.is_ok()) {
      return stop("cannot append a sync mark to the log: " + m.message());
    }
    log_bytes_ = storage_->log_bytes();
    // Before the node hears of it: under steady load it asks for the next
    // sync at once, and a compaction waiting for a quiet moment would wait forever.
    maybe_compact();
    node_->on_synced(job.sync_id, now);
  } else {
    const uint64_t before = log_bytes_;
    log_bytes_ = storage_->log_bytes();
    if (result.is_ok()) {
      ++stats_.compactions;
      log(HostLogLevel::info, "compacted the log from " + std::to_string(before) + " to " +
                                  std::to_string(log_bytes_) + " bytes");
    } else if (storage_->usable()) {
      // Failed before its rename (a full disk, say): the old log stays in use.
      ++stats_.compaction_errors;
      log(HostLogLevel::warn, "cannot compact the log, keeping the old one: " + result.message());
    } else {
      return stop("cannot compact the log: " + result.message());
    }
    // The next compaction waits until the log has grown as much again.
    compact_at_bytes_ = log_bytes_ + cfg_.compact_log_bytes;
    append(held_records_);
    held_records_.clear();
    if (stopped_) return;
    if (held_sync_) {
      const uint64_t id = *held_sync_;
      held_sync_.reset();
      start_sync(id);
    }
  }
  pull_node_output();
}

HostOutput NodeHost::take_output() {
  HostOutput out = std::move(out_);
  out_ = HostOutput{};
  return out;
}

std::optional<TimeUs> NodeHost::next_timer() const {
  if (stopped_) return std::nullopt;
  return node_->next_timer();
}

void NodeHost::pull_node_output() {
  NodeOutput no = node_->take_output();
  for (auto& line : no.log) log(HostLogLevel::info, std::move(line));
  if (!no.records.empty()) {
    if (job_running_ == DiskJob::Kind::compact) {
      held_records_.insert(held_records_.end(), std::make_move_iterator(no.records.begin()),
                           std::make_move_iterator(no.records.end()));
    } else {
      append(no.records);
      if (stopped_) return;  // nothing of this step leaves the node: what it would send was not written
    }
  }
  if (no.sync) {
    if (job_running_ == DiskJob::Kind::compact) {
      RRSEQ_INVARIANT(!held_sync_, "the node asks for one sync at a time");
      held_sync_ = *no.sync;
    } else {
      start_sync(*no.sync);
    }
  }
  for (auto& ps : no.peer_sends) out_.peer_sends.push_back(std::move(ps));
  for (auto& cs : no.client_sends) {
    if (auto it = unanswered_.find(cs.conn); it != unanswered_.end() && it->second > 0) --it->second;
    out_.client_sends.push_back(std::move(cs));
  }
  maybe_compact();
}

void NodeHost::append(const std::vector<std::string>& records) {
  if (records.empty() || stopped_) return;
  if (Result r = storage_->append(records); !r.is_ok()) return stop("cannot append to the log: " + r.message());
  log_bytes_ = storage_->log_bytes();
}

void NodeHost::start_sync(uint64_t sync_id) {
  RRSEQ_INVARIANT(!job_running_, "one disk job at a time");
  job_running_ = DiskJob::Kind::sync;
  DiskJob job;
  job.sync_id = sync_id;
  job.covers_bytes = storage_->log_bytes();  // what the fdatasync of this job covers
  out_.disk_job = std::move(job);
}

// Only between syncs, and only once the node waits for none: a compaction
// delays the next sync by its own duration.
void NodeHost::maybe_compact() {
  if (!storage_ || stopped_ || job_running_ || !cfg_.compact_log_bytes) return;
  if (log_bytes_ < compact_at_bytes_) return;
  job_running_ = DiskJob::Kind::compact;
  DiskJob job;
  job.kind = DiskJob::Kind::compact;
  job.snapshot = node_->acceptor().state();
  out_.disk_job = std::move(job);
}

void NodeHost::stop(const std::string& reason) {
  stopped_ = true;
  out_.fatal = reason;
  out_.peer_sends.clear();  // nothing of this step leaves the node
  out_.client_sends.clear();
  out_.disk_job.reset();
}

}  // namespace rrseq

// The node host on a simulated disk: recovery, the disk jobs it hands out one
// at a time, compaction while the node goes on, per-connection accounting,
// and a failed disk as the end of the process.
#include "core/node_host.h"

#include <gtest/gtest.h>

#include <deque>

#include "core/limits.h"
#include "transport_sim/sim_env.h"

namespace rrseq {
namespace {

constexpr const char* dir = "/data";

HostConfig one_node(bool durable, uint64_t compact_log_bytes = 0) {
  HostConfig cfg;
  cfg.node.nodes = 1;
  cfg.node.durable = durable;
  cfg.data_dir = dir;
  cfg.compact_log_bytes = compact_log_bytes;
  return cfg;
}

// Drives one host alone: its messages to itself are delivered at once, and its
// disk jobs run at once unless `hold_jobs`, which keeps the running one in `job`.
struct Driver {
  SimEnv env;
  std::unique_ptr<NodeHost> host;
  std::optional<DiskJob> job;
  bool hold_jobs = false;
  std::vector<ClientSend> replies;
  std::vector<HostLogLine> log;
  std::string fatal;
  uint32_t jobs_run = 0;
  TimeUs now = 0;

  Result open(HostConfig cfg) { return NodeHost::open(env, std::move(cfg), 7, now, &host); }

  void settle() {
    for (bool busy = true; busy;) {
      HostOutput out = host->take_output();
      busy = false;
      for (auto& l : out.log) log.push_back(l);
      for (auto& r : out.client_sends) replies.push_back(r);
      if (!out.fatal.empty()) fatal = out.fatal;
      if (out.disk_job) {
        ASSERT_FALSE(job) << "a second disk job while one runs";
        job = std::move(out.disk_job);
      }
      for (auto& ps : out.peer_sends) {
        host->on_peer_message(ps.to, ps.msg, now);
        busy = true;
      }
      if (job && !hold_jobs) {
        finish_job();
        busy = true;
      }
    }
  }
  void finish_job() {
    DiskJob j = std::move(*job);
    job.reset();
    ++jobs_run;
    Result r = host->run_disk_job(j);
    host->on_disk_job_done(j, r, now);
  }
  void request(ConnId conn, uint64_t id, uint64_t count) {
    host->on_client_request(conn, ClientRequest{1, id, "s", count}, now);
    settle();
  }
  bool logged(const std::string& text) const {
    for (const auto& l : log) {
      if (l.text.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

TEST(NodeHost, ServesAloneAndRecoversWhatItGrantedAfterARestart) {
  Driver d;
  ASSERT_TRUE(d.open(one_node(true)).is_ok());
  d.settle();
  d.request(1, 1, 10);
  ASSERT_EQ(d.replies.size(), 1u);
  EXPECT_EQ(d.replies[0].reply.status, Status::ok);
  EXPECT_EQ(d.replies[0].reply.to, 11u);
  d.host.reset();
  d.replies.clear();
  ASSERT_TRUE(d.open(one_node(true)).is_ok());
  d.settle();
  EXPECT_TRUE(d.logged("recovered"));
  d.request(1, 2, 1);
  ASSERT_EQ(d.replies.size(), 1u);
  EXPECT_GE(d.replies[0].reply.from, 11u);
}

TEST(NodeHost, CompactionRunsAsAJobWhileRecordsWaitInMemory) {
  Driver d;
  ASSERT_TRUE(d.open(one_node(true, /*compact_log_bytes=*/1)).is_ok());
  d.settle();
  const uint32_t before = d.host->stats().compactions;
  d.request(1, 1, 5);
  ASSERT_EQ(d.replies.size(), 1u);
  // Past one byte, a sync is followed by a compaction: hold it and go on.
  d.hold_jobs = true;
  d.request(1, 2, 5);
  ASSERT_TRUE(d.job);
  ASSERT_EQ(d.job->kind, DiskJob::Kind::sync);
  d.finish_job();
  d.settle();
  ASSERT_TRUE(d.job);
  ASSERT_EQ(d.job->kind, DiskJob::Kind::compact) << "a log past its size compacts after a sync, before the next";
  ASSERT_EQ(d.replies.size(), 2u) << "the synced grant goes out while the compaction runs";
  const uint64_t bytes_before = d.host->log_bytes();
  d.request(1, 3, 5);  // its records wait; no sync may start until the compaction is done
  EXPECT_EQ(d.job->kind, DiskJob::Kind::compact);
  EXPECT_EQ(d.host->log_bytes(), bytes_before) << "nothing is appended while the disk thread owns the log";
  EXPECT_EQ(d.replies.size(), 2u);
  d.hold_jobs = false;
  d.finish_job();
  d.settle();
  EXPECT_GT(d.host->stats().compactions, before);
  ASSERT_EQ(d.replies.size(), 3u);
  EXPECT_EQ(d.replies[2].reply.from, 11u);
  EXPECT_TRUE(d.logged("compacted the log"));
  // What waited during the compaction is in the new log.
  d.host.reset();
  d.replies.clear();
  ASSERT_TRUE(d.open(one_node(true)).is_ok());
  d.settle();
  d.request(1, 4, 1);
  ASSERT_EQ(d.replies.size(), 1u);
  EXPECT_GE(d.replies[0].reply.from, 16u);
}

TEST(NodeHost, AFailedSyncStopsTheHostAndNothingRestingOnItLeaves) {
  Driver d;
  ASSERT_TRUE(d.open(one_node(true)).is_ok());
  d.settle();
  d.env.fail_next_sync();
  d.request(1, 1, 5);
  EXPECT_NE(d.fatal.find("cannot sync the log"), std::string::npos) << d.fatal;
  EXPECT_TRUE(d.host->stopped());
  EXPECT_TRUE(d.replies.empty());
  EXPECT_FALSE(d.host->next_timer());
  d.request(1, 2, 5);  // a stopped host takes no more input
  EXPECT_TRUE(d.replies.empty());
}

TEST(NodeHost, ACompactionThatFindsTheDiskFullKeepsTheOldLogAndServesOn) {
  Driver d;
  ASSERT_TRUE(d.open(one_node(true, /*compact_log_bytes=*/1)).is_ok());
  d.settle();
  d.request(1, 1, 5);
  d.hold_jobs = true;
  d.request(1, 2, 5);
  d.finish_job();  // the sync
  d.settle();
  ASSERT_TRUE(d.job && d.job->kind == DiskJob::Kind::compact);
  d.env.set_capacity(d.env.used_bytes());  // no room for the new log
  const uint32_t errors = d.host->stats().compaction_errors;
  d.hold_jobs = false;
  d.finish_job();
  d.env.set_capacity(std::nullopt);
  d.settle();
  EXPECT_EQ(d.host->stats().compaction_errors, errors + 1);
  EXPECT_FALSE(d.host->stopped());
  EXPECT_TRUE(d.logged("cannot compact the log, keeping the old one"));
  d.request(1, 3, 5);
  ASSERT_EQ(d.replies.size(), 3u);
  EXPECT_EQ(d.replies[2].reply.status, Status::ok);
}

TEST(NodeHost, AConnectionWithTooManyUnansweredRequestsIsRefusedAlone) {
  // A serving node of three that never hears its peers: every request waits in it.
  HostConfig cfg = one_node(false);
  cfg.node.nodes = 3;
  DurableState founded;
  founded.initialized = true;
  founded.nonce = 1;
  NodeHost host(cfg, founded, 7, 0);
  for (uint64_t i = 0; i < conn_requests_in_flight_max; ++i) host.on_client_request(1, {1, i, "s", 1}, 0);
  EXPECT_TRUE(host.take_output().client_sends.empty());
  host.on_client_request(1, {1, 999, "s", 1}, 0);
  host.on_client_request(2, {2, 1, "s", 1}, 0);  // another connection is not affected
  HostOutput out = host.take_output();
  ASSERT_EQ(out.client_sends.size(), 1u);
  EXPECT_EQ(out.client_sends[0].conn, 1u);
  EXPECT_EQ(out.client_sends[0].reply.status, Status::too_many_requests);
  EXPECT_EQ(out.client_sends[0].reply.request, 999u);
  EXPECT_EQ(host.stats().too_many_requests, 1u);
  host.on_client_closed(1);  // a new connection that reuses nothing starts at zero
  host.on_client_request(1, {1, 1000, "s", 1}, 0);
  EXPECT_TRUE(host.take_output().client_sends.empty());
}

TEST(NodeHost, ACorruptLogIsRefusedOrSetAsideAsConfigured) {
  Driver d;
  HostConfig three = one_node(true);
  three.node.nodes = 3;
  {
    // A founded directory: state worth losing.
    ASSERT_TRUE(d.open(one_node(true)).is_ok());
    d.settle();
    d.request(1, 1, 5);
    d.host.reset();
  }
  std::string bytes;
  ASSERT_TRUE(d.env.read_all(std::string(dir) + "/" + log_file_name, &bytes).is_ok());
  ASSERT_TRUE(d.env.corrupt_byte(std::string(dir) + "/" + log_file_name, log_header_bytes + 2).is_ok());
  Result refused = d.open(three);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.message().find("offset"), std::string::npos) << refused.message();

  HostConfig one = one_node(true);
  one.rejoin_if_corrupt = true;
  Result alone = d.open(one);
  ASSERT_FALSE(alone.is_ok());
  EXPECT_NE(alone.message().find("one-node cluster"), std::string::npos) << alone.message();

  three.rejoin_if_corrupt = true;
  ASSERT_TRUE(d.open(three).is_ok());
  d.settle();
  EXPECT_TRUE(d.logged("CORRUPT LOG"));
  EXPECT_TRUE(d.host->node().config().lost_state) << "it had state: it must rejoin, never found a cluster";
  EXPECT_STREQ(d.host->node().phase_name(), "rejoining");
}

}  // namespace
}  // namespace rrseq

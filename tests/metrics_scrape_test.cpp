// Scraping a real cluster: three durable in-process servers with --metrics on
// port 0, IDs taken through the client library, /metrics read over TCP.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "rrseq/client.h"
#include "tests/metrics_scrape.h"
#include "tests/test_cluster.h"
#include "transport_net/http_door.h"

namespace rrseq {
namespace {

constexpr auto test_deadline = std::chrono::seconds(15);  // generous for a loaded machine

class MetricsScrapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rrseq-metrics-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    data_root_ = tmpl;
    cluster_ = std::make_unique<TestCluster>(3, data_root_, [](size_t, ServerConfig& cfg) {
      cfg.http = must_parse("127.0.0.1:0");
    });
    ASSERT_EQ(cluster_->error(), "");
    for (size_t i = 0; i < 3; ++i) metrics_.push_back(cluster_->server(i).http_address());
  }
  void TearDown() override {
    cluster_.reset();
    std::filesystem::remove_all(data_root_);
  }

  std::map<std::string, double> scrape(size_t node) {
    const std::string reply = http_get(metrics_[node], "/metrics");
    EXPECT_EQ(http_status(reply), 200) << reply;
    return parse_metrics(http_body(reply));
  }

  std::unique_ptr<TestCluster> cluster_;
  std::vector<std::string> metrics_;
  std::string data_root_;
};

TEST_F(MetricsScrapeTest, CountersFollowTheIdsClientsTook) {
  const std::string seq = "scrape.seq-1";
  ClientOptions o;
  o.servers = cluster_->addresses();
  o.sequence = seq;
  o.buffer_size = 16;
  o.deadline = test_deadline;
  std::string error;
  auto client = Client::connect(o, &error);
  ASSERT_TRUE(client) << error;
  const uint64_t taken = 200;
  uint64_t largest = 0;
  for (uint64_t i = 0; i < taken; ++i) {
    NextResult r = client->next();
    ASSERT_TRUE(r.ok()) << r.error;
    largest = std::max(largest, r.id);
  }
  client->close();

  // Every node reaches both peers (a grant needed only one); wait for that, bounded.
  std::vector<std::map<std::string, double>> m(3);
  const auto give_up = std::chrono::steady_clock::now() + test_deadline;
  for (bool all_up = false; !all_up && std::chrono::steady_clock::now() < give_up;) {
    all_up = true;
    for (size_t i = 0; i < 3; ++i) {
      m[i] = scrape(i);
      all_up &= m[i]["rrseq_peers_up"] == 2;
    }
    if (!all_up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  double ids = 0, grants = 0, ok_replies = 0, prepares = 0, accepts = 0, high_water = 0;
  std::set<std::string> node_infos;
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE("node " + std::to_string(i));
    EXPECT_EQ(m[i]["rrseq_peers_up"], 2);
    EXPECT_EQ(m[i]["rrseq_peers"], 2);
    EXPECT_GE(m[i]["rrseq_connections_open"], 2);  // the two peers' connections to this node
    EXPECT_EQ(m[i]["rrseq_node_phase{phase=\"serving\"}"], 1);
    EXPECT_EQ(m[i]["rrseq_node_phase{phase=\"rejoining\"}"], 0);
    for (const auto& [key, value] : m[i]) {
      if (key.rfind("rrseq_node_info{", 0) == 0) {
        EXPECT_EQ(value, 1) << key;
        node_infos.insert(key);
      }
    }
    EXPECT_GT(m[i]["rrseq_log_bytes"], 0);
    EXPECT_EQ(m[i]["rrseq_sequences"], 1);
    // Durable: every node synced at least its incarnation, and the histogram adds up.
    const double syncs = m[i]["rrseq_fsync_seconds_count"];
    EXPECT_GE(syncs, 1);
    EXPECT_EQ(m[i]["rrseq_fsync_seconds_bucket{le=\"+Inf\"}"], syncs);
    EXPECT_LE(m[i]["rrseq_fsync_seconds_bucket{le=\"0.0001\"}"], m[i]["rrseq_fsync_seconds_bucket{le=\"1\"}"]);
    EXPECT_GE(m[i]["rrseq_fsync_seconds_sum"], 0);
    ids += m[i]["rrseq_ids_granted_total"];
    grants += m[i]["rrseq_grants_total"];
    ok_replies += m[i]["rrseq_client_replies_total{status=\"ok\"}"];
    prepares += m[i]["rrseq_rounds_total{phase=\"prepare\"}"];
    accepts += m[i]["rrseq_rounds_total{phase=\"accept\"}"];
    high_water = std::max(high_water, m[i]["rrseq_sequence_high_water_mark{sequence=\"" + seq + "\"}"]);
  }
  EXPECT_GE(ids, static_cast<double>(taken));
  EXPECT_GE(grants, 1);
  EXPECT_EQ(ok_replies, grants);
  EXPECT_GE(prepares, 1);
  EXPECT_GE(accepts, 1);
  std::set<std::string> expected_infos;
  for (int n = 0; n < 3; ++n)
    expected_infos.insert("rrseq_node_info{node=\"" + std::to_string(n) +
                          "\",nodes=\"3\",protocol=\"ballot\",storage=\"durable\"}");
  EXPECT_EQ(node_infos, expected_infos);
  EXPECT_GT(high_water, static_cast<double>(largest));  // exclusive upper bound of what was granted
}

TEST_F(MetricsScrapeTest, OtherPathsAndOversizedRequestsAreRefusedAndTheNodeKeepsServing) {
  EXPECT_EQ(http_status(http_get(metrics_[0], "/")), 404);
  EXPECT_EQ(http_status(http_get(metrics_[0], "/metricsx")), 404);
  const std::string big = "GET /metrics HTTP/1.1\r\nCookie: " + std::string(1 << 20, 'c') + "\r\n\r\n";
  EXPECT_EQ(http_status(http_exchange(metrics_[0], big)), 431);
  EXPECT_EQ(http_status(http_get(metrics_[0], "/metrics")), 200);
}

}  // namespace
}  // namespace rrseq

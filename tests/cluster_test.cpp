// In-process clusters of real rrseq::Server objects on loopback TCP, driven by
// the client library: the seed's own client tests, plus the mix of buffer
// sizes the seed never tried (the one that broke the 2016 algorithm).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/limits.h"
#include "rrseq/client.h"
#include "transport_net/free_ports.h"
#include "tests/test_cluster.h"
#include "transport_net/address.h"
#include "transport_net/log.h"
#include "transport_net/server.h"

namespace rrseq {
namespace {

// Long enough for a loaded CI machine; a healthy cluster answers in microseconds.
constexpr std::chrono::milliseconds test_deadline{15'000};

bool strictly_increasing(const std::vector<uint64_t>& v) {
  return std::adjacent_find(v.begin(), v.end(), [](uint64_t a, uint64_t b) { return a >= b; }) == v.end();
}

class ClusterTest : public ::testing::Test {
 protected:
  void TearDown() override {
    cluster_.reset();  // stops and joins every node, also after a failed assertion
    if (!data_root_.empty()) std::filesystem::remove_all(data_root_);
  }

  void start(size_t n, bool durable = false) {
    if (durable) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "rrseq-cluster-XXXXXX").string();
      ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
      data_root_ = tmpl;
    }
    cluster_ = std::make_unique<TestCluster>(n, data_root_);
    ASSERT_EQ(cluster_->error(), "");
  }

  std::unique_ptr<Client> client(const std::string& seq, uint64_t buf, std::vector<std::string> servers = {}) {
    ClientOptions o;
    o.servers = servers.empty() ? cluster_->addresses() : std::move(servers);
    o.sequence = seq;
    o.buffer_size = buf;
    o.deadline = test_deadline;
    std::string error;
    auto c = Client::connect(o, &error);
    EXPECT_TRUE(c) << error;
    return c;
  }

  // `n` IDs from `c`; stops at the first error (reported as a test failure).
  static std::vector<uint64_t> take(Client& c, size_t n) {
    std::vector<uint64_t> ids;
    ids.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      NextResult r = c.next();
      if (!r.ok()) {
        ADD_FAILURE() << "next() failed after " << i << " IDs: " << r.error;
        break;
      }
      ids.push_back(r.id);
    }
    return ids;
  }

  // One client per entry of `bufs` (client i lists the servers from node i % N),
  // each taking counts[i] IDs on its own thread; checks each stream increases.
  std::vector<std::vector<uint64_t>> run_clients(const std::string& seq, const std::vector<uint64_t>& bufs,
                                                 const std::vector<size_t>& counts) {
    std::vector<std::unique_ptr<Client>> clients;
    for (size_t i = 0; i < bufs.size(); ++i) {
      clients.push_back(client(seq, bufs[i], cluster_->rotated(i)));
      if (!clients.back()) return {};
    }
    std::vector<std::vector<uint64_t>> streams(bufs.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < bufs.size(); ++i)
      threads.emplace_back([&, i] { streams[i] = take(*clients[i], counts[i]); });
    for (auto& th : threads) th.join();
    for (size_t i = 0; i < streams.size(); ++i) {
      EXPECT_EQ(streams[i].size(), counts[i]) << "client " << i;
      EXPECT_TRUE(strictly_increasing(streams[i])) << "client " << i << " (buffer " << bufs[i] << ")";
    }
    return streams;
  }

  std::unique_ptr<TestCluster> cluster_;
  std::string data_root_;
};

// Every ID unique; returns the duplicates found (empty when none).
std::vector<uint64_t> duplicates(const std::vector<std::vector<uint64_t>>& streams) {
  std::vector<uint64_t> all;
  for (const auto& s : streams) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  std::vector<uint64_t> dup;
  for (size_t i = 1; i < all.size(); ++i)
    if (all[i] == all[i - 1]) dup.push_back(all[i]);
  return dup;
}

// Union is exactly 1..total.
void expect_gap_free(const std::vector<std::vector<uint64_t>>& streams) {
  std::vector<uint64_t> all;
  for (const auto& s : streams) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] != i + 1) {
      ADD_FAILURE() << "IDs are not 1.." << all.size() << ": position " << i << " holds " << all[i];
      return;
    }
  }
}

// One next() call: ticks of a clock shared by all threads, read before it and after it.
struct TimedCall {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t id = 0;
};

// G3 across threads: a call that began after another returned got a larger ID.
// Empty when it holds, else the first pair that breaks it.
std::string real_time_order_violation(std::vector<TimedCall> calls) {
  std::vector<TimedCall> by_end = calls;
  std::sort(by_end.begin(), by_end.end(), [](const TimedCall& a, const TimedCall& b) { return a.end < b.end; });
  std::vector<size_t> max_before(by_end.size());  // index of the largest ID among by_end[0..i]
  for (size_t i = 0; i < by_end.size(); ++i)
    max_before[i] = (i == 0 || by_end[i].id > by_end[max_before[i - 1]].id) ? i : max_before[i - 1];
  for (const TimedCall& b : calls) {
    const auto ended = std::lower_bound(by_end.begin(), by_end.end(), b.start,
                                        [](const TimedCall& a, uint64_t t) { return a.end < t; });
    if (ended == by_end.begin()) continue;
    const TimedCall& a = by_end[max_before[static_cast<size_t>(ended - by_end.begin()) - 1]];
    if (a.id >= b.id)
      return "ID " + std::to_string(a.id) + " returned at tick " + std::to_string(a.end) + ", then ID " +
             std::to_string(b.id) + " from a call begun at tick " + std::to_string(b.start);
  }
  return "";
}

TEST(RealTimeOrder, TheCheckFindsALaterCallWithASmallerId) {
  EXPECT_EQ(real_time_order_violation({{0, 1, 5}, {2, 3, 6}, {1, 4, 2}}), "");  // overlapping calls: any order
  EXPECT_EQ(real_time_order_violation({{0, 1, 5}, {2, 3, 4}}), "ID 5 returned at tick 1, then ID 4 from a call begun at tick 2");
  EXPECT_EQ(real_time_order_violation({{0, 1, 7}, {1, 2, 3}, {5, 6, 6}}), "ID 7 returned at tick 1, then ID 6 from a call begun at tick 5");
}

TEST_F(ClusterTest, FirstIdIsOne) {
  start(3);
  auto c = client("first", 0);
  ASSERT_TRUE(c);
  NextResult r = c->next();
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.id, 1u);
}

class OneClientTest : public ClusterTest, public ::testing::WithParamInterface<uint64_t> {};

TEST_P(OneClientTest, GetsOneTwoThreeWithoutGaps) {
  start(3);
  const uint64_t buf = GetParam();
  auto c = client("single_buf" + std::to_string(buf), buf);
  ASSERT_TRUE(c);
  std::vector<uint64_t> ids = take(*c, 3000);
  ASSERT_EQ(ids.size(), 3000u);
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], i + 1) << "at position " << i;
}

INSTANTIATE_TEST_SUITE_P(BufSize, OneClientTest, ::testing::Values(0, 1, 2, 1024));

class StreamsTest : public ClusterTest, public ::testing::WithParamInterface<uint64_t> {};

// Three threads share one client: each thread's IDs increase, together they are 1..N.
TEST_P(StreamsTest, ThreeStreamsOfOneClientInterleaveSequentially) {
  start(3);
  const uint64_t buf = GetParam();
  auto c = client("streams_buf" + std::to_string(buf), buf);
  ASSERT_TRUE(c);
  std::vector<std::vector<uint64_t>> streams(3);
  std::vector<std::thread> threads;
  for (auto& s : streams) threads.emplace_back([&c, &s] { s = take(*c, 1000); });
  for (auto& t : threads) t.join();
  for (const auto& s : streams) {
    EXPECT_EQ(s.size(), 1000u);
    EXPECT_TRUE(strictly_increasing(s));
  }
  expect_gap_free(streams);
}

INSTANTIATE_TEST_SUITE_P(BufSize, StreamsTest, ::testing::Values(0, 2, 1024));

class ConsumersTest : public ClusterTest, public ::testing::WithParamInterface<uint64_t> {};

TEST_P(ConsumersTest, ManyConcurrentConsumersOfOneClient) {
  start(3);
  const uint64_t buf = GetParam();
  const size_t consumers = 256;
  const size_t per_consumer = buf == 0 ? 4 : 40;
  auto c = client("consumers_buf" + std::to_string(buf), buf);
  ASSERT_TRUE(c);
  std::vector<std::vector<uint64_t>> streams(consumers);
  std::vector<std::vector<TimedCall>> calls(consumers);
  std::atomic<uint64_t> clock{0};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < consumers; ++i) {
    threads.emplace_back([&, i] {
      for (size_t k = 0; k < per_consumer; ++k) {
        TimedCall call;
        call.start = clock.fetch_add(1);
        NextResult r = c->next();
        call.end = clock.fetch_add(1);
        if (!r.ok()) {
          ADD_FAILURE() << "next() failed: " << r.error;
          return;
        }
        call.id = r.id;
        calls[i].push_back(call);
        streams[i].push_back(r.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : streams) {
    EXPECT_EQ(s.size(), per_consumer);
    EXPECT_TRUE(strictly_increasing(s));
  }
  expect_gap_free(streams);
  std::vector<TimedCall> all;
  for (const auto& v : calls) all.insert(all.end(), v.begin(), v.end());
  EXPECT_EQ(real_time_order_violation(all), "");
}

INSTANTIATE_TEST_SUITE_P(BufSize, ConsumersTest, ::testing::Values(0, 1024));

class DistributedTest : public ClusterTest, public ::testing::WithParamInterface<uint64_t> {};

TEST_P(DistributedTest, ThirtyTwoClientsSpreadOverNodesNeverSeeADuplicate) {
  start(3);
  const uint64_t buf = GetParam();
  const size_t per_client = buf == 0 ? 50 : 500;
  auto streams = run_clients("distributed_buf" + std::to_string(buf), std::vector<uint64_t>(32, buf),
                             std::vector<size_t>(32, per_client));
  ASSERT_EQ(streams.size(), 32u);
  auto dup = duplicates(streams);
  EXPECT_TRUE(dup.empty()) << dup.size() << " duplicate IDs, first " << dup.front();
}

INSTANTIATE_TEST_SUITE_P(BufSize, DistributedTest, ::testing::Values(0, 1, 2, 1024));

// The case the 2016 code never tried, and failed: mixed buffer sizes at once.
TEST_F(ClusterTest, ThirtyTwoClientsWithMixedBufferSizesNeverSeeADuplicate) {
  start(3);
  const std::vector<uint64_t> sizes = {0, 1, 2, 3, 7, 100, 1024, 5000};
  std::vector<uint64_t> bufs;
  for (size_t i = 0; i < 32; ++i) bufs.push_back(sizes[i % sizes.size()]);
  std::vector<size_t> counts;
  for (uint64_t b : bufs) counts.push_back(b == 0 ? 100 : 1000);
  auto streams = run_clients("mixed", bufs, counts);
  ASSERT_EQ(streams.size(), 32u);
  auto dup = duplicates(streams);
  EXPECT_TRUE(dup.empty()) << dup.size() << " duplicate IDs, first " << dup.front();
}

TEST_F(ClusterTest, FiveNodeMemoryClusterSmoke) {
  start(5);
  auto streams = run_clients("five", {0, 1, 16, 100, 1024, 0, 7, 2, 3, 5000}, std::vector<size_t>(10, 300));
  ASSERT_EQ(streams.size(), 10u);
  auto dup = duplicates(streams);
  EXPECT_TRUE(dup.empty()) << dup.size() << " duplicate IDs, first " << dup.front();
}

TEST_F(ClusterTest, ClientFailsOverWhenAMinorityStops) {
  start(5);
  auto c = client("failover", 0);  // starts at node 0
  ASSERT_TRUE(c);
  std::vector<uint64_t> ids = take(*c, 100);
  // Every node serves before two stop: a node still joining when the others
  // stop cannot join without them (a majority of the other nodes), and a
  // minority stopping must then leave a serving majority.
  for (const std::string& addr : cluster_->addresses()) {
    auto one = client("ready", 0, {addr});
    ASSERT_TRUE(one);
    ASSERT_EQ(take(*one, 1).size(), 1u) << addr << " does not serve";
  }
  cluster_->kill_node(0);
  cluster_->kill_node(1);
  std::vector<uint64_t> more = take(*c, 100);
  ids.insert(ids.end(), more.begin(), more.end());
  EXPECT_EQ(ids.size(), 200u);
  EXPECT_TRUE(strictly_increasing(ids));
}

TEST_F(ClusterTest, DurableClusterGivesGapFreeIds) {
  start(3, /*durable=*/true);
  auto c = client("durable", 8);
  ASSERT_TRUE(c);
  std::vector<uint64_t> ids = take(*c, 200);
  ASSERT_EQ(ids.size(), 200u);
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], i + 1) << "at position " << i;
}

TEST_F(ClusterTest, ClientOfAnotherClusterGetsAnError) {
  start(3);
  ClientOptions o;
  o.servers = cluster_->addresses();
  o.sequence = "other";
  o.cluster = "not-this-one";
  o.deadline = std::chrono::milliseconds(500);
  std::string error;
  auto c = Client::connect(o, &error);
  ASSERT_TRUE(c) << error;
  NextResult r = c->next();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.kind, NextError::unavailable);
  EXPECT_NE(r.error.find("no ID within 500 ms"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("not-this-one"), std::string::npos) << r.error;
}

TEST_F(ClusterTest, NextAfterCloseFailsAndCloseIsIdempotent) {
  start(3);
  auto c = client("closing", 4);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->next().ok());
  c->close();
  c->close();
  NextResult r = c->next();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.kind, NextError::closed);
  EXPECT_FALSE(r.retryable());
  EXPECT_NE(r.error.find("closed"), std::string::npos) << r.error;
}

// close() while other threads are inside next(), buffered and not: every call
// returns (an ID, or kind `closed`), IDs stay increasing per thread, and
// close() returns while they run.
TEST_F(ClusterTest, CloseRacingNextEndsEveryCallCleanly) {
  start(3);
  for (uint64_t buffer : {0u, 16u}) {
    auto c = client("racing" + std::to_string(buffer), buffer);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->next().ok());
    constexpr int threads_n = 8;
    std::atomic<int> closed_seen{0}, other_errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < threads_n; ++t) {
      threads.emplace_back([&] {
        uint64_t last = 0;
        while (true) {
          NextResult r = c->next();
          if (!r.ok()) {
            (r.kind == NextError::closed ? closed_seen : other_errors)++;
            return;
          }
          EXPECT_GT(r.id, last);
          last = r.id;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    c->close();
    for (auto& t : threads) t.join();
    EXPECT_EQ(closed_seen.load(), threads_n) << "buffer " << buffer;
    EXPECT_EQ(other_errors.load(), 0) << "buffer " << buffer;
    EXPECT_EQ(c->next().kind, NextError::closed);
  }
}

// Loopback ports nothing listens on: bound by the OS (never listened on), then released.
std::vector<std::string> dead_addresses(size_t n) {
  std::vector<std::string> out;
  for (int port : free_loopback_ports(n)) out.push_back("127.0.0.1:" + std::to_string(port));
  return out;
}

TEST(ClientErrors, UnreachableClusterGivesAClearErrorWithinTheDeadline) {
  ClientOptions o;
  o.servers = dead_addresses(3);
  ASSERT_EQ(o.servers.size(), 3u);
  o.sequence = "nobody";
  o.deadline = std::chrono::milliseconds(500);
  std::string error;
  auto c = Client::connect(o, &error);
  ASSERT_TRUE(c) << error;
  NextResult r = c->next();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.kind, NextError::unavailable);
  EXPECT_TRUE(r.retryable());
  EXPECT_NE(r.error.find("no ID within 500 ms"), std::string::npos) << r.error;
  for (const auto& a : o.servers) EXPECT_NE(r.error.find(a), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("refused"), std::string::npos) << r.error;
}

TEST(ClientErrors, InvalidOptionsAreRefused) {
  ClientOptions good;
  good.servers = {"127.0.0.1:1"};
  good.sequence = "ok";
  struct Case {
    const char* what;
    ClientOptions o;
  };
  std::vector<Case> cases;
  {
    ClientOptions o = good;
    o.servers.clear();
    cases.push_back({"servers", o});
  }
  {
    ClientOptions o = good;
    o.servers = {"127.0.0.1"};
    cases.push_back({"servers", o});
  }
  {
    ClientOptions o = good;
    o.servers = {"127.0.0.1:99999"};
    cases.push_back({"servers", o});
  }
  {
    ClientOptions o = good;
    o.sequence = "";
    cases.push_back({"sequence", o});
  }
  {
    ClientOptions o = good;
    o.sequence = "bad name!";
    cases.push_back({"sequence", o});
  }
  {
    ClientOptions o = good;
    o.sequence = std::string(65, 'a');
    cases.push_back({"sequence", o});
  }
  {
    ClientOptions o = good;
    o.buffer_size = range_ids_max + 1;
    cases.push_back({"buffer_size", o});
  }
  {
    ClientOptions o = good;
    o.deadline = std::chrono::milliseconds(0);
    cases.push_back({"deadline", o});
  }
  {
    ClientOptions o = good;
    o.request_timeout = std::chrono::milliseconds(-1);
    cases.push_back({"request_timeout", o});
  }
  for (const auto& c : cases) {
    std::string error;
    EXPECT_EQ(Client::connect(c.o, &error), nullptr) << c.what;
    EXPECT_EQ(error.rfind(c.what, 0), 0u) << "error should name " << c.what << ": " << error;
  }
  std::string error;
  EXPECT_NE(Client::connect(good, &error), nullptr) << error;
}

}  // namespace
}  // namespace rrseq

// Load on one node, against a real rrseq-server process (its memory and
// threads are read from /proc/<pid>/status): a thousand client connections
// held at once, each served, in bounded memory; and slow clients, one that
// stops reading and some that trickle a byte a second, that slow nobody else.
// Assertions are on outcomes (every ID arrives, the offender is closed with a
// logged reason), never on speed; the waits are generous bounds.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/limits.h"
#include "rrseq/client.h"
#include "tests/raw_client.h"
#include "tests/server_process.h"
#include "transport_net/net_limits.h"

namespace rrseq {
namespace {

using test::RawClient;
using test::ServerProcess;
using test::eventually;
using std::chrono::milliseconds;

constexpr milliseconds wait_bound{30'000};  // generous: a loaded CI machine, not a speed claim
constexpr size_t held_connections = 1000;
// What one idle client connection may add to the server's resident memory.
// In user space it holds its FrameConn (socket, frame timer, callbacks), the
// handshake state and timer, asio's per-socket reactor state, a read buffer of
// at most client_frame_bytes_max and, for a client that reads its replies, a
// write buffer of about one reply: a few KiB (1.6 KiB measured). Kernel
// socket buffers are not in RSS. The budget leaves room for allocator slack.
constexpr uint64_t conn_rss_bytes_budget = 16u << 10;
// What a client that stops reading may add: its unread replies, at most
// client_write_queue_bytes_max queued plus as much again in the write in
// flight, and allocator slack.
constexpr uint64_t non_reader_rss_bytes_budget = 2 * client_write_queue_bytes_max + (1u << 20);

// A client of the library takes `n` IDs from `seq`: the node still serves.
void expect_ids(const std::string& server, const std::string& seq, size_t n = 3) {
  ClientOptions o;
  o.servers = {server};
  o.sequence = seq;
  o.deadline = wait_bound;
  std::string error;
  auto c = Client::connect(o, &error);
  ASSERT_TRUE(c) << error;
  for (size_t i = 0; i < n; ++i) {
    NextResult r = c->next();
    ASSERT_TRUE(r.ok()) << "well-behaved client on " << seq << ", ID " << i << ": " << r.error;
  }
}

void expect_logged(const ServerProcess& server, const std::string& needle) {
  EXPECT_TRUE(eventually([&] { return server.log_has(needle); }, wait_bound))
      << "the server's log lacks \"" << needle << "\"; it holds:\n"
      << server.log();
}

std::string kib(uint64_t bytes) { return std::to_string(bytes / 1024) + " KiB"; }

TEST(Load, AThousandConnectionsEachGetAnIdInBoundedMemory) {
  ASSERT_GE(test::raise_own_open_files_limit(), held_connections + 100) << "this test needs that many open files";
  ServerProcess server({});
  ASSERT_EQ(server.error(), "");
  EXPECT_TRUE(server.log_has("open files limit"));
  expect_ids(server.address(), "load");  // the node serves; its first allocations are made
  const uint64_t rss_before = server.rss_bytes();
  const uint64_t threads_before = server.status_field("Threads");

  std::vector<std::unique_ptr<RawClient>> conns;
  for (size_t i = 0; i < held_connections; ++i) {
    conns.push_back(std::make_unique<RawClient>(server.address()));
    ASSERT_TRUE(conns.back()->connected()) << "connection " << i;
    ASSERT_TRUE(conns.back()->hello()) << "connection " << i;
  }
  // Every connection asks at once, then every one reads its answer.
  for (auto& c : conns)
    ASSERT_TRUE(c->send_bytes(test::client_request_frame(c->client_id, ++c->last_request, "load", 1)));
  std::set<uint64_t> ids;
  for (size_t i = 0; i < conns.size(); ++i) {
    auto r = conns[i]->read_reply();
    ASSERT_TRUE(r) << "connection " << i << " got no reply";
    ASSERT_EQ(r->status, Status::ok) << "connection " << i << ": " << status_text(r->status);
    ids.insert(r->from);
  }
  EXPECT_EQ(ids.size(), held_connections) << "every connection got its own ID";

  const uint64_t rss_held = server.rss_bytes();
  const uint64_t bound = rss_before + held_connections * conn_rss_bytes_budget;
  std::printf("[load] server RSS %s before, %s holding %zu connections (%s each; bound %s)\n",
              kib(rss_before).c_str(), kib(rss_held).c_str(), held_connections,
              std::to_string((rss_held - std::min(rss_held, rss_before)) / held_connections).c_str(),
              kib(bound).c_str());
  RecordProperty("rss_before_kib", std::to_string(rss_before / 1024));
  RecordProperty("rss_held_kib", std::to_string(rss_held / 1024));
  EXPECT_LE(rss_held, bound);
  EXPECT_EQ(server.status_field("Threads"), threads_before) << "connections must not cost threads";
  expect_ids(server.address(), "load_beside");  // a newcomer is served beside the thousand
}

// A full node, as a deployment's would be at its limits: every sequence it may
// hold (sequences_max), each made by one of a thousand connections held open,
// on a durable data directory. Issue 12's bound on the whole process.
constexpr uint64_t full_node_rss_bytes_max = uint64_t{64} << 20;

TEST(Load, AFullNodeWithAThousandConnectionsStaysUnder64MiB) {
  ASSERT_GE(test::raise_own_open_files_limit(), held_connections + 100) << "this test needs that many open files";
  char tmpl[] = "/tmp/rrseq-load-data-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::filesystem::path data = tmpl;
  {
    ServerProcess server({}, "127.0.0.1:0", data.string());
    ASSERT_EQ(server.error(), "");
    std::vector<std::unique_ptr<RawClient>> conns;
    for (size_t i = 0; i < held_connections; ++i) {
      conns.push_back(std::make_unique<RawClient>(server.address()));
      ASSERT_TRUE(conns.back()->connected()) << "connection " << i;
      ASSERT_TRUE(conns.back()->hello()) << "connection " << i;
    }
    // Connection i makes sequences i, i + 1000, ...: at most 5 each, within
    // what one connection may pipeline.
    static_assert(sequences_max / held_connections + 1 <= conn_requests_in_flight_max);
    std::vector<size_t> asked(conns.size(), 0);
    for (size_t seq = 0; seq < sequences_max; ++seq) {
      RawClient& c = *conns[seq % conns.size()];
      ASSERT_TRUE(c.send_bytes(test::client_request_frame(c.client_id, ++c.last_request, "s" + std::to_string(seq), 1)));
      ++asked[seq % conns.size()];
    }
    for (size_t i = 0; i < conns.size(); ++i) {
      for (size_t k = 0; k < asked[i]; ++k) {
        auto r = conns[i]->read_reply();
        ASSERT_TRUE(r) << "connection " << i << " got no reply " << k;
        ASSERT_EQ(r->status, Status::ok) << "connection " << i << ": " << status_text(r->status);
      }
    }
    auto over = conns.front()->request("one_more", 1);
    ASSERT_TRUE(over);
    EXPECT_EQ(over->status, Status::too_many_sequences) << "the node holds exactly sequences_max";
    const uint64_t rss = server.rss_bytes();
    std::printf("[load] full node: %zu sequences, %zu connections, RSS %s (bound %s)\n", sequences_max,
                held_connections, kib(rss).c_str(), kib(full_node_rss_bytes_max).c_str());
    RecordProperty("full_node_rss_kib", std::to_string(rss / 1024));
    EXPECT_LE(rss, full_node_rss_bytes_max);
  }
  std::filesystem::remove_all(data);
}

TEST(Load, AClientThatStopsReadingIsClosedAndSlowsNobody) {
  ServerProcess server({});
  ASSERT_EQ(server.error(), "");
  expect_ids(server.address(), "calm");
  const uint64_t rss_before = server.rss_bytes();

  RawClient non_reader(server.address(), /*rcvbuf_bytes=*/4096);
  ASSERT_TRUE(non_reader.hello());
  std::string batch;
  for (size_t i = 0; i < 1024; ++i) batch += test::client_request_frame(non_reader.client_id, i + 1, "flood", 1);
  std::atomic<bool> stop{false}, flood_ended{false};
  std::atomic<uint64_t> sent{0};
  std::thread flood([&] {  // sends and sends, never reads a reply, until the server hangs up
    while (!stop && non_reader.send_bytes(batch)) sent += 1024;
    flood_ended = true;
  });

  for (int k = 0; k < 4; ++k) expect_ids(server.address(), "calm" + std::to_string(k), 100);
  EXPECT_TRUE(eventually([&] { return flood_ended.load(); }, wait_bound));
  stop = true;
  flood.join();
  EXPECT_TRUE(non_reader.closed_by_server(wait_bound));
  expect_logged(server, "closed " + non_reader.local_address() + ": write queue over " +
                            std::to_string(client_write_queue_bytes_max) + " bytes: peer is not reading");
  const uint64_t rss_after = server.rss_bytes();
  std::printf("[load] non-reader sent %llu requests before it was closed; server RSS %s before, %s after\n",
              static_cast<unsigned long long>(sent.load()), kib(rss_before).c_str(), kib(rss_after).c_str());
  EXPECT_LE(rss_after, rss_before + non_reader_rss_bytes_budget);
  expect_ids(server.address(), "calm_after");
}

TEST(Load, TricklersCostASlotNotAThreadAndSlowNobody) {
  constexpr size_t tricklers = 20;
  ServerProcess server({});
  ASSERT_EQ(server.error(), "");
  expect_ids(server.address(), "steady");
  const uint64_t threads_before = server.status_field("Threads");

  std::vector<std::unique_ptr<RawClient>> slow;
  for (size_t i = 0; i < tricklers; ++i) {
    slow.push_back(std::make_unique<RawClient>(server.address()));
    ASSERT_TRUE(slow.back()->hello());
  }
  const std::string frame = test::client_request_frame(1, 1, "trickle", 1);
  std::atomic<bool> stop{false};
  std::thread trickle([&] {  // one byte of the frame per second on every trickler
    for (size_t at = 0; at < frame.size() && !stop; ++at) {
      for (auto& s : slow) s->send_bytes(frame.substr(at, 1));
      for (int t = 0; t < 100 && !stop; ++t) std::this_thread::sleep_for(milliseconds(10));
    }
  });

  for (int k = 0; k < 4; ++k) expect_ids(server.address(), "steady" + std::to_string(k), 100);
  EXPECT_EQ(server.status_field("Threads"), threads_before) << "a slow client must not cost a thread";
  // Each is closed once its frame has taken frame_arrival_ms_max to arrive.
  for (auto& s : slow) EXPECT_TRUE(s->closed_by_server(milliseconds(frame_arrival_ms_max) + wait_bound));
  stop = true;
  trickle.join();
  EXPECT_TRUE(eventually(
      [&] {
        return server.log_count("a frame did not arrive whole within " + std::to_string(frame_arrival_ms_max) +
                                " ms (frame_arrival_ms_max)") == tricklers;
      },
      wait_bound))
      << server.log();
  expect_ids(server.address(), "steady_after");
}

}  // namespace
}  // namespace rrseq

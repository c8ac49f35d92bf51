// Every limit a client can reach, against a real rrseq-server process over
// loopback TCP: each one gives the offender a clear error (a refusal status
// the client library turns into a message naming the limit, or a closed
// connection with the reason in the server's log), and another, well-behaved
// client still gets IDs afterwards.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <filesystem>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/durable_state.h"
#include "core/limits.h"
#include "core/storage.h"
#include "rrseq/client.h"
#include "tests/metrics_scrape.h"
#include "tests/raw_client.h"
#include "tests/server_process.h"
#include "transport_net/net_limits.h"
#include "transport_net/posix_env.h"

namespace rrseq {
namespace {

using test::RawClient;
using test::ServerProcess;
using test::eventually;
using std::chrono::milliseconds;

constexpr milliseconds wait_bound{15'000};  // generous: a loaded CI machine, not a speed claim

std::unique_ptr<Client> library_client(const std::vector<std::string>& servers, const std::string& seq,
                                       milliseconds deadline = wait_bound, std::string* error = nullptr) {
  ClientOptions o;
  o.servers = servers;
  o.sequence = seq;
  o.deadline = deadline;
  std::string err;
  auto c = Client::connect(o, &err);
  if (error) *error = err;
  return c;
}

// A client of the library takes `n` IDs from `seq`: the node still serves.
void expect_ids(const std::vector<std::string>& servers, const std::string& seq, size_t n = 3) {
  std::string error;
  auto c = library_client(servers, seq, wait_bound, &error);
  ASSERT_TRUE(c) << error;
  for (size_t i = 0; i < n; ++i) {
    NextResult r = c->next();
    ASSERT_TRUE(r.ok()) << "well-behaved client, ID " << i << ": " << r.error;
  }
}

// The server's /metrics, parsed; it must have been started with --metrics.
std::map<std::string, double> scrape(const ServerProcess& server) {
  std::smatch m;
  const std::string log = server.log();
  if (!std::regex_search(log, m, std::regex("HTTP at http://(\\S+) "))) {
    ADD_FAILURE() << "no metrics address in the log:\n" << log;
    return {};
  }
  return parse_metrics(http_body(http_get(m[1], "/metrics")));
}

// Free loopback ports: all bound at once, then released.
std::vector<std::string> free_loopback_addresses(size_t n) {
  std::vector<int> fds;
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      break;
    fds.push_back(fd);
    out.push_back("127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  }
  for (int fd : fds) ::close(fd);
  return out;
}

class LimitsTest : public ::testing::Test {
 protected:
  void start(const std::vector<std::string>& options = {}, const std::string& data = "") {
    server_ = std::make_unique<ServerProcess>(options, "127.0.0.1:0", data);
    ASSERT_EQ(server_->error(), "");
    servers_ = {server_->address()};
  }

  void expect_logged(const std::string& needle) {
    EXPECT_TRUE(eventually([&] { return server_->log_has(needle); }, wait_bound))
        << "the server's log lacks \"" << needle << "\"; it holds:\n"
        << server_->log();
  }

  // A raw client sends `bytes` after its Hello; the server must close it, saying `why`.
  void expect_closed_for(const std::string& bytes, const std::string& why) {
    RawClient raw(server_->address());
    ASSERT_TRUE(raw.hello());
    ASSERT_TRUE(raw.send_bytes(bytes));
    EXPECT_TRUE(raw.closed_by_server(wait_bound));
    expect_logged("closed " + raw.local_address() + ": " + why);
  }

  std::unique_ptr<ServerProcess> server_;
  std::vector<std::string> servers_;
};

uint8_t client_request_type() { return static_cast<uint8_t>(Message(ClientRequest{}).index()); }

TEST_F(LimitsTest, OversizedFrameClosesThatConnectionOnly) {
  start();
  RawClient bystander(server_->address());
  ASSERT_TRUE(bystander.hello());
  // Only the header goes out: the server must refuse before reading (or allocating) the body.
  const size_t over_client = client_frame_bytes_max - frame_header_bytes + 1;
  expect_closed_for(test::sealed_frame(client_request_type(), std::string(over_client, 'x')).substr(0, frame_header_bytes),
                    "frame of " + std::to_string(client_frame_bytes_max + 1) +
                        " bytes over this connection's limit of " + std::to_string(client_frame_bytes_max));
  const size_t over_all = frame_bytes_max - frame_header_bytes + 1;
  expect_closed_for(test::sealed_frame(client_request_type(), std::string(over_all, 'x')).substr(0, frame_header_bytes),
                    "bad frame: header offset 2: body length " + std::to_string(over_all) + " over limit " +
                        std::to_string(frame_bytes_max - frame_header_bytes));
  auto r = bystander.request("bystander", 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, Status::ok);
  expect_ids(servers_, "after_oversized");
}

TEST_F(LimitsTest, BadCharacterInANameClosesTheConnectionAndTheLibraryRefusesIt) {
  start();
  expect_closed_for(test::client_request_frame(1, 1, "bad name!", 1),
                    "bad frame: body offset 16: sequence name has invalid byte 32 at 3");
  std::string error;
  EXPECT_FALSE(library_client(servers_, "bad name!", wait_bound, &error));
  EXPECT_NE(error.find("[A-Za-z0-9_.-]"), std::string::npos) << error;
  expect_ids(servers_, "after_bad_name");
}

TEST_F(LimitsTest, TooLongANameClosesTheConnectionAndTheLibraryRefusesIt) {
  start();
  const std::string name(seq_name_bytes_max + 1, 'a');
  expect_closed_for(test::client_request_frame(1, 1, name, 1),
                    "bad frame: body offset 16: sequence name too long (65 > 64)");
  std::string error;
  EXPECT_FALSE(library_client(servers_, name, wait_bound, &error));
  EXPECT_NE(error.find("1..64"), std::string::npos) << error;
  expect_ids(servers_, std::string(seq_name_bytes_max, 'b'));  // the longest name is fine
}

TEST_F(LimitsTest, RangeOverTheMaximumClosesTheConnectionAndTheLibraryRefusesIt) {
  start();
  expect_closed_for(test::client_request_frame(1, 1, "range", range_ids_max + 1),
                    "bad frame: body offset 23: count " + std::to_string(range_ids_max + 1) + " not in 0.." +
                        std::to_string(range_ids_max));
  RawClient raw(server_->address());
  ASSERT_TRUE(raw.hello());
  auto r = raw.request("range", range_ids_max);  // the largest range is granted whole
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, Status::ok);
  EXPECT_EQ(r->to - r->from, range_ids_max);
  ClientOptions o;
  o.servers = servers_;
  o.sequence = "range";
  o.buffer_size = range_ids_max + 1;
  std::string error;
  EXPECT_FALSE(Client::connect(o, &error));
  EXPECT_NE(error.find("range_ids_max"), std::string::npos) << error;
  expect_ids(servers_, "range");
}

TEST_F(LimitsTest, ASequencePastTheLimitIsRefusedByNameAndOldOnesServe) {
  start();
  RawClient raw(server_->address());
  ASSERT_TRUE(raw.hello());
  // Fill the node: batches as deep as one connection may pipeline.
  for (size_t made = 0; made < sequences_max;) {
    std::string batch;
    const size_t n = std::min(conn_requests_in_flight_max, sequences_max - made);
    for (size_t i = 0; i < n; ++i)
      batch += test::client_request_frame(raw.client_id, ++raw.last_request, "seq" + std::to_string(made + i), 1);
    ASSERT_TRUE(raw.send_bytes(batch));
    for (size_t i = 0; i < n; ++i) {
      auto r = raw.read_reply();
      ASSERT_TRUE(r) << "after " << made + i << " sequences";
      ASSERT_EQ(r->status, Status::ok) << status_text(r->status);
    }
    made += n;
  }
  auto r = raw.request("one_more", 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, Status::too_many_sequences);

  std::string error;
  auto c = library_client(servers_, "one_more_from_the_library", wait_bound, &error);
  ASSERT_TRUE(c) << error;
  NextResult refused = c->next();
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.kind, NextError::too_many_sequences);
  EXPECT_FALSE(refused.retryable());
  EXPECT_NE(refused.error.find("too_many_sequences"), std::string::npos) << refused.error;
  EXPECT_NE(refused.error.find("sequences_max, 4096"), std::string::npos) << refused.error;
  expect_ids(servers_, "seq7");
}

// Moving a sequence forward is an admin's: the native port has no token, so
// it refuses every Advance, and reading the bound (count 0) stays open.
TEST_F(LimitsTest, TheNativePortRefusesAnAdvanceAndServesACurrent) {
  start();
  RawClient raw(server_->address());
  ASSERT_TRUE(raw.hello());
  auto granted = raw.request("adv", 3);
  ASSERT_TRUE(granted);
  ASSERT_EQ(granted->status, Status::ok);
  auto advance = raw.request("adv", 0, 1'000'000);
  ASSERT_TRUE(advance);
  EXPECT_EQ(advance->status, Status::permission_denied);
  auto current = raw.request("adv", 0);
  ASSERT_TRUE(current);
  ASSERT_EQ(current->status, Status::ok);
  EXPECT_EQ(current->from, granted->to);
  EXPECT_EQ(current->to, granted->to);
}

TEST_F(LimitsTest, AClientPastTheConnectionLimitIsClosedAndLoggedOthersServe) {
  constexpr size_t limit = 8;
  start({"--max-connections", std::to_string(limit), "--metrics", "127.0.0.1:0"});
  std::vector<std::unique_ptr<RawClient>> held;
  for (size_t i = 0; i < limit; ++i) {
    held.push_back(std::make_unique<RawClient>(server_->address()));
    ASSERT_TRUE(held.back()->hello()) << "connection " << i;
  }
  RawClient extra(server_->address());
  ASSERT_TRUE(extra.connected());
  EXPECT_FALSE(extra.hello());
  EXPECT_TRUE(extra.closed_by_server(wait_bound));
  expect_logged("refusing " + extra.local_address() + ": 8 client connections already open (client_connections_max)");

  std::string error;
  auto refused = library_client(servers_, "conns", milliseconds(1'000), &error);
  ASSERT_TRUE(refused) << error;
  NextResult r = refused->next();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("connection limit"), std::string::npos) << r.error;
  refused.reset();

  for (auto& h : held) {
    auto reply = h->request("conns", 1);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, Status::ok);
  }
  EXPECT_GE(scrape(*server_)["rrseq_client_connections_refused_total"], 2);  // the raw one, the library's tries
  held.pop_back();  // a slot frees up, and a newcomer is served
  expect_ids(servers_, "conns");
}

// With both peers stopped no round can finish, so requests stay in flight
// until they time out: the node must refuse what one connection pipelines
// past conn_requests_in_flight_max at once, and serve again after.
TEST(LimitsCluster, PipeliningPastTheLimitIsRefusedPerRequest) {
  const auto addrs = free_loopback_addresses(3);
  ASSERT_EQ(addrs.size(), 3u);
  std::vector<std::unique_ptr<ServerProcess>> nodes;
  for (size_t i = 0; i < 3; ++i) {
    std::vector<std::string> peers;
    for (size_t j = 0; j < 3; ++j)
      if (j != i) peers.push_back(addrs[j]);
    std::vector<std::string> options;
    if (i == 0) options = {"--metrics", "127.0.0.1:0"};
    nodes.push_back(std::make_unique<ServerProcess>(options, addrs[i], "", peers));
    ASSERT_EQ(nodes.back()->error(), "");
  }
  expect_ids({addrs[0]}, "queued");  // the cluster is up

  RawClient raw(addrs[0]);
  ASSERT_TRUE(raw.hello());
  nodes[1]->signal(SIGSTOP);
  nodes[2]->signal(SIGSTOP);
  constexpr size_t extra = 16;
  std::string batch;
  for (size_t i = 0; i < conn_requests_in_flight_max + extra; ++i)
    batch += test::client_request_frame(raw.client_id, ++raw.last_request, "queued", 1);
  ASSERT_TRUE(raw.send_bytes(batch));
  std::set<uint64_t> refused, answered;
  for (size_t i = 0; i < conn_requests_in_flight_max + extra; ++i) {
    auto r = raw.read_reply();
    ASSERT_TRUE(r) << "reply " << i;
    answered.insert(r->request);
    if (r->status == Status::too_many_requests) refused.insert(r->request);
  }
  EXPECT_EQ(answered.size(), conn_requests_in_flight_max + extra);
  std::set<uint64_t> expected;
  for (uint64_t id = conn_requests_in_flight_max + 1; id <= conn_requests_in_flight_max + extra; ++id)
    expected.insert(id);
  EXPECT_EQ(refused, expected);
  EXPECT_EQ(scrape(*nodes[0])["rrseq_client_replies_total{status=\"too_many_requests\"}"], extra);

  nodes[1]->signal(SIGCONT);
  nodes[2]->signal(SIGCONT);
  expect_ids({addrs[0]}, "queued");
  auto again = raw.request("queued", 1);  // the same connection, its requests all answered
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, Status::ok) << status_text(again->status);
}

// A sequence whose next ID would pass id_max refuses with "sequence exhausted"
// and never wraps. The data directory is written beforehand with the node's
// own storage code: no client can move a sequence there.
TEST_F(LimitsTest, ASequenceAtTheTopIsExhaustedNeverWrapped) {
  char tmpl[] = "/tmp/rrseq-limits-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    std::unique_ptr<Storage> storage;
    OpenedStorage opened;
    ASSERT_TRUE(Storage::open(PosixEnv::default_env(), dir, &storage, &opened).is_ok());
    const Ballot b{1, 0, 0};
    ASSERT_TRUE(storage
                    ->append({encode_record(InitializedRecord{}),
                              encode_record(SeqRecord{SeqState{"top", b, b, id_max - 2}})})
                    .is_ok());
    ASSERT_TRUE(storage->sync().is_ok());
  }
  start({}, dir);
  auto c = library_client(servers_, "top");
  ASSERT_TRUE(c);
  for (uint64_t want : {id_max - 2, id_max - 1, id_max}) {
    NextResult r = c->next();
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.id, want);
  }
  NextResult r = c->next();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("sequence exhausted"), std::string::npos) << r.error;
  expect_ids(servers_, "not_top");
  server_.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rrseq

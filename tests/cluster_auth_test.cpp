// Peer authentication and the client/peer boundary on real servers over
// loopback TCP: a keyed cluster serves, a node with a wrong key or none is
// refused while the others keep serving, and neither an unproved peer nor a
// client connection can get a peer message (Prepare, Accept, ...) accepted.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "core/codec.h"
#include "core/limits.h"
#include "rrseq/client.h"
#include "transport_net/address.h"
#include "transport_net/handshake.h"
#include "transport_net/log.h"
#include "transport_net/server.h"

namespace rrseq {
namespace {

// Only a bound on waiting, so a broken build fails instead of hanging; healthy runs take milliseconds.
constexpr std::chrono::milliseconds wait_max{15'000};

const std::string key_a = "an example key of 32 bytes, ok.\n";
const std::string key_b = "another key, just as long: 32 B\n";

Address must_parse(const std::string& text) {
  std::string err;
  auto a = parse_address(text, &err);
  if (!a) throw std::runtime_error(err);
  return *a;
}

// Sends everything written to stderr (the servers' log) to a file the test
// reads; a failed test prints it.
class StderrCapture {
 public:
  StderrCapture() {
    char tmpl[] = "/tmp/rrseq-log-XXXXXX";
    fd_ = mkstemp(tmpl);
    path_ = tmpl;
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    dup2(fd_, STDERR_FILENO);
  }
  ~StderrCapture() {
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    if (::testing::Test::HasFailure()) std::fprintf(stderr, "---- the servers' log ----\n%s", text().c_str());
    ::close(saved_);
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  std::string text() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Waits (up to wait_max) until the log holds `part`.
  bool wait_for(const std::string& part) const {
    const auto until = std::chrono::steady_clock::now() + wait_max;
    while (text().find(part) == std::string::npos) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

 private:
  int fd_ = -1;
  int saved_ = -1;
  std::string path_;
};

// Memory-mode servers on 127.0.0.1, node i with keys[i] (nullopt: no key).
class KeyedCluster {
 public:
  explicit KeyedCluster(const std::vector<std::optional<std::string>>& keys) {
    set_log_level(LogLevel::warn);  // process-wide
    for (size_t i = 0; i < keys.size(); ++i) {
      servers_.push_back(make_server("127.0.0.1:0", keys[i]));
      addresses_.push_back(servers_.back()->bound_address());
    }
    for (size_t i = 0; i < keys.size(); ++i) start(i);
  }
  ~KeyedCluster() {
    for (size_t i = 0; i < servers_.size(); ++i) stop(i);
  }

  // Replaces node i, on the same address and without state, by one with `key`.
  void restart(size_t i, const std::optional<std::string>& key) {
    stop(i);
    servers_[i] = make_server(address(i), key);
    start(i);
  }

  const std::string& address(size_t i) const { return addresses_.at(i); }
  // Node i's index in the cluster: its place in the sorted address list.
  std::string name(size_t i) const {
    std::vector<std::string> sorted = addresses_;
    std::sort(sorted.begin(), sorted.end());
    return "n" + std::to_string(std::find(sorted.begin(), sorted.end(), addresses_.at(i)) - sorted.begin());
  }

  // A client that only talks to node i.
  std::unique_ptr<Client> client_of(size_t i, const std::string& seq,
                                    std::chrono::milliseconds deadline = wait_max) const {
    ClientOptions o;
    o.servers = {address(i)};
    o.sequence = seq;
    o.deadline = deadline;
    std::string error;
    auto c = Client::connect(o, &error);
    EXPECT_TRUE(c) << error;
    return c;
  }

 private:
  static std::unique_ptr<Server> make_server(const std::string& listen, const std::optional<std::string>& key) {
    ServerConfig cfg;
    cfg.listen = must_parse(listen);
    cfg.log_level = LogLevel::warn;
    cfg.cluster_key = key;
    auto s = std::make_unique<Server>(cfg);
    Result r = s->open();
    if (!r.is_ok()) throw std::runtime_error("open: " + r.message());
    return s;
  }

  void start(size_t i) {
    std::vector<Address> peers;
    for (size_t j = 0; j < addresses_.size(); ++j)
      if (j != i) peers.push_back(must_parse(addresses_[j]));
    Result r = servers_[i]->start(peers);
    if (!r.is_ok()) throw std::runtime_error("start: " + r.message());
    threads_.resize(servers_.size());
    threads_[i] = std::thread([s = servers_[i].get()] { EXPECT_EQ(s->run(), ""); });
  }

  void stop(size_t i) {
    servers_[i]->stop();
    if (threads_[i].joinable()) threads_[i].join();
  }

  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<std::string> addresses_;
  std::vector<std::thread> threads_;
};

// IDs taken one after another, from any node: each is above the last (G3).
// Exact values are not expected: a round that times out on a loaded machine
// may leave a gap, which the contract allows.
class Ids {
 public:
  void take(Client& c) {
    NextResult r = c.next();
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_GT(r.id, last_);
    last_ = r.id;
  }
  uint64_t last() const { return last_; }

 private:
  uint64_t last_ = 0;
};

// A hand-made TCP connection speaking frames, to send what no real node or client would.
class RawConn {
 public:
  explicit RawConn(const std::string& address) {
    const Address a = must_parse(address);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{static_cast<time_t>(wait_max.count() / 1000), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(a.port);
    ::inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~RawConn() { ::close(fd_); }
  bool connected() const { return connected_; }
  // "127.0.0.1:port" of this end, as the server's log names the connection.
  std::string local_address() const {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    return "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  }

  void send(const Message& m) {
    const std::string frame = encode_frame(m);
    (void)::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL);
  }

  // The next frame; nullopt with `why` "closed" once the server has closed the connection.
  std::optional<Message> read(std::string* why) {
    std::vector<uint8_t> frame(frame_header_bytes);
    if (!read_exactly(frame.data(), frame.size(), why)) return std::nullopt;
    auto len = decode_header(frame);
    if (auto* e = std::get_if<DecodeError>(&len)) return *why = e->reason, std::nullopt;
    frame.resize(frame_header_bytes + std::get<uint32_t>(len));
    if (!read_exactly(frame.data() + frame_header_bytes, frame.size() - frame_header_bytes, why)) return std::nullopt;
    auto m = decode_frame(frame);
    if (auto* e = std::get_if<DecodeError>(&m)) return *why = e->reason, std::nullopt;
    return std::get<Message>(m);
  }

  // Reads frames until the server closes; returns what ended the reading ("closed" when it did).
  std::string read_until_closed() {
    std::string why;
    while (read(&why)) {
    }
    return why;
  }

 private:
  bool read_exactly(uint8_t* p, size_t n, std::string* why) {
    while (n > 0) {
      const ssize_t got = ::recv(fd_, p, n, 0);
      if (got == 0 || (got < 0 && errno == ECONNRESET)) return *why = "closed", false;
      if (got < 0) return *why = std::string("recv: ") + std::strerror(errno), false;
      p += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
};

uint32_t index_of(const KeyedCluster& c, size_t i) { return static_cast<uint32_t>(std::stoul(c.name(i).substr(1))); }

// What an attacker would most like a node to accept: the sequence pushed to near its end.
Accept huge_accept(uint32_t as_node) { return Accept{"victim", Ballot{UINT64_MAX - 1, as_node, 0}, id_max - 5, {}, {}}; }

// ---- A keyed cluster ----

TEST(ClusterAuth, ThreeNodesWithTheSameKeyServeFromEveryNode) {
  StderrCapture log;
  KeyedCluster cluster({key_a, key_a, key_a});
  // A node answers only with a quorum, so each one proved itself to a peer both ways.
  Ids ids;
  for (size_t i = 0; i < 3; ++i) {
    auto c = cluster.client_of(i, "keyed");
    ASSERT_TRUE(c);
    ids.take(*c);
    ids.take(*c);
  }
  EXPECT_EQ(log.text().find("NOT authenticated"), std::string::npos) << log.text();
  EXPECT_EQ(log.text().find("refusing"), std::string::npos) << log.text();
}

TEST(ClusterAuth, WithoutAKeyTheServerSaysLoudlyThatPeersAreNotAuthenticated) {
  StderrCapture log;
  KeyedCluster cluster({std::nullopt});
  EXPECT_TRUE(log.wait_for("WARN  " + cluster.name(0) + ": peers are NOT authenticated: anyone who can reach " +
                           cluster.address(0) + " can act as a peer"))
      << log.text();
}

// ---- A node with another key, or none ----
//
// The odd node comes back, without state, in a cluster that already serves:
// it may not rejoin, and the others go on. (Started odd from the beginning,
// a fresh 3-node cluster may not bootstrap: with one node unreachable, a node
// that missed the bootstrap waits for both others to rejoin.)

// Nodes 0 and 1 serve "orders", then node 2 is restarted with `key`.
void restart_odd_node(KeyedCluster& cluster, const std::optional<std::string>& key, Ids& ids) {
  auto c0 = cluster.client_of(0, "orders");
  auto c1 = cluster.client_of(1, "orders");
  ASSERT_TRUE(c0 && c1);
  ids.take(*c0);
  ids.take(*c1);
  cluster.restart(2, key);
}

// Nodes 0 and 1 go on serving "orders"; node 2 cannot.
void expect_only_the_odd_node_is_left_out(const KeyedCluster& cluster, Ids& ids) {
  auto c0 = cluster.client_of(0, "orders");
  auto c1 = cluster.client_of(1, "orders");
  ASSERT_TRUE(c0 && c1);
  ids.take(*c0);
  ids.take(*c1);
  auto odd_client = cluster.client_of(2, "orders", std::chrono::milliseconds(500));
  ASSERT_TRUE(odd_client);
  const NextResult r = odd_client->next();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("not_ready"), std::string::npos) << r.error;
  ids.take(*c0);
}

TEST(ClusterAuth, NodeWithAWrongKeyIsRefusedWhileTheOthersServe) {
  StderrCapture log;
  KeyedCluster cluster({key_a, key_a, key_a});
  Ids ids;
  restart_odd_node(cluster, key_b, ids);
  const std::string odd = cluster.name(2);
  // Each keyed node dials the odd one and refuses its proof; the odd node, in
  // turn, refuses theirs, so it never sends a proof they could accept.
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(log.wait_for(cluster.name(i) + ": refusing " + cluster.address(2) + ": " + odd +
                             "'s proof does not match this node's cluster key"))
        << log.text();
    EXPECT_TRUE(log.wait_for(odd + ": refusing " + cluster.address(i) + ": " + cluster.name(i) +
                             "'s proof does not match"))
        << log.text();
  }
  expect_only_the_odd_node_is_left_out(cluster, ids);
}

TEST(ClusterAuth, NodeWithoutAKeyIsRefusedByKeyedNodes) {
  StderrCapture log;
  KeyedCluster cluster({key_a, key_a, key_a});
  Ids ids;
  restart_odd_node(cluster, std::nullopt, ids);
  const std::string keyless = cluster.name(2);
  EXPECT_TRUE(log.wait_for(keyless + ": peers are NOT authenticated")) << log.text();
  for (size_t i = 0; i < 2; ++i) {
    // The keyless node refuses to be challenged, and says why.
    EXPECT_TRUE(log.wait_for(keyless + ": refusing " + cluster.address(i) + ": " + cluster.name(i) +
                             " wants peers to prove a cluster key, but this node runs without --cluster-key"))
        << log.text();
    // The keyed node, dialling it, gets no proof.
    EXPECT_TRUE(log.wait_for(cluster.name(i) + ": handshake with peer " + keyless + " (" + cluster.address(2) +
                             ") ended before it proved the cluster key"))
        << log.text();
  }
  expect_only_the_odd_node_is_left_out(cluster, ids);
}

// ---- Unproved peers on a raw connection ----

TEST(ClusterAuth, PeerMessagesBeforeOrWithoutAValidProofAreNeverAccepted) {
  StderrCapture log;
  KeyedCluster cluster({key_a, key_a, key_a});
  auto c = cluster.client_of(0, "victim");
  ASSERT_TRUE(c);
  Ids ids;
  ids.take(*c);
  const uint32_t self = index_of(cluster, 0);
  const uint32_t claimed = index_of(cluster, 1);
  const Hello peer_hello{static_cast<uint32_t>(Role::peer), claimed, 3, cluster_id("rrseq")};
  {
    // No key at all: a Hello, then straight to business.
    RawConn raw(cluster.address(0));
    ASSERT_TRUE(raw.connected());
    raw.send(peer_hello);
    raw.send(huge_accept(claimed));
    EXPECT_EQ(raw.read_until_closed(), "closed");
    EXPECT_TRUE(log.wait_for("n" + std::to_string(self) + ": refusing " + raw.local_address() + ": n" +
                             std::to_string(claimed) +
                             " sent Accept before proving it holds the cluster key (does it run without --cluster-key?)"))
        << log.text();
  }
  {
    // A challenge, then a proof made up without the key.
    RawConn raw(cluster.address(0));
    ASSERT_TRUE(raw.connected());
    raw.send(peer_hello);
    raw.send(AuthChallenge{AuthBytes{1, 2, 3}});
    std::string why;
    std::vector<size_t> types;
    for (int i = 0; i < 3; ++i) {
      auto m = raw.read(&why);
      ASSERT_TRUE(m) << why;
      types.push_back(m->index());
    }
    EXPECT_EQ(types, (std::vector<size_t>{Message(Hello{}).index(), Message(AuthChallenge{}).index(),
                                          Message(AuthProof{}).index()}));
    raw.send(AuthProof{AuthBytes{4, 5, 6}});
    raw.send(huge_accept(claimed));
    EXPECT_EQ(raw.read_until_closed(), "closed");
    EXPECT_TRUE(log.wait_for("n" + std::to_string(self) + ": refusing " + raw.local_address() + ": n" +
                             std::to_string(claimed) + "'s proof does not match this node's cluster key"))
        << log.text();
  }
  // Had either Accept been taken, the next grant would start at its value, or fail.
  ids.take(*c);
  EXPECT_LT(ids.last(), huge_accept(claimed).value);
}

// ---- Client connections ----

TEST(ClusterAuth, ClientConnectionSendingPeerMessagesIsRefusedAndTheSequenceIsUnaffected) {
  StderrCapture log;
  KeyedCluster cluster({key_a, key_a, key_a});
  auto c = cluster.client_of(0, "victim");  // clients need no key
  ASSERT_TRUE(c);
  Ids ids;
  ids.take(*c);
  const uint32_t peer = index_of(cluster, 1);
  const std::vector<Message> attacks = {
      huge_accept(peer),
      Prepare{"victim", Ballot{UINT64_MAX - 1, peer, 0}},
      EpochRequest{1},
      FenceRequest{1, Ballot{UINT64_MAX - 1, peer, 0}},
      ClassicWrite{"victim", 1, id_max - 5},
      AuthChallenge{},
  };
  for (const Message& attack : attacks) {
    SCOPED_TRACE(describe(attack));
    RawConn raw(cluster.address(0));
    ASSERT_TRUE(raw.connected());
    raw.send(Hello{static_cast<uint32_t>(Role::client), 0, 0, cluster_id("rrseq")});
    std::string why;
    auto hello = raw.read(&why);
    ASSERT_TRUE(hello && std::holds_alternative<Hello>(*hello)) << why;
    raw.send(attack);
    EXPECT_EQ(raw.read_until_closed(), "closed");
    const std::string type = describe(attack).substr(0, describe(attack).find('{'));
    EXPECT_TRUE(log.wait_for(cluster.name(0) + ": refusing " + raw.local_address() +
                             ": a client connection may only send ClientRequest, not " + type))
        << log.text();
  }
  // Only the offending connections were closed: this client's goes on, and the sequence with it.
  ids.take(*c);
  ids.take(*c);
  EXPECT_LT(ids.last(), huge_accept(peer).value);
}

}  // namespace
}  // namespace rrseq

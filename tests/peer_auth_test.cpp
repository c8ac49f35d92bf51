// Peer authentication without sockets: two PeerAuth state machines passing
// frames by hand, the key file checks, and HMAC-SHA256 itself.
#include "transport_net/peer_auth.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <deque>
#include <filesystem>
#include <fstream>

#include "core/limits.h"
#include "transport_net/handshake.h"

namespace rrseq {
namespace {

const std::string key_a = "0123456789abcdef0123456789abcdef";
const std::string key_b = "fedcba9876543210fedcba9876543210";

PeerAuthConfig config(std::optional<std::string> key, uint32_t self, std::string cluster = "rrseq",
                      uint32_t nodes = 3) {
  return PeerAuthConfig{key ? std::make_shared<const std::string>(*key) : nullptr, std::move(cluster), nodes, self};
}

AuthBytes nonce() {
  auto n = random_nonce();
  EXPECT_TRUE(n);
  return n.value_or(AuthBytes{});
}

// Node 1 dials node 0 by default.
struct Link {
  PeerAuth connector;
  PeerAuth acceptor;
  std::string connector_error;
  std::string acceptor_error;
  std::vector<Message> to_acceptor_log;  // everything the connector sent
  std::vector<Message> to_connector_log;

  explicit Link(PeerAuthConfig c = config(key_a, 1), PeerAuthConfig a = config(key_a, 0), uint32_t c_dials = 0,
                uint32_t a_thinks = 1)
      : connector(std::move(c), AuthSide::connector, c_dials, nonce()),
        acceptor(std::move(a), AuthSide::acceptor, a_thinks, nonce()) {}

  // Both sides open, then frames flow both ways until they stop or one side refuses.
  void run() {
    std::deque<Message> to_acceptor, to_connector;
    for (auto& m : connector.opening()) to_acceptor.push_back(widen(m));
    for (auto& m : acceptor.opening()) to_connector.push_back(widen(m));
    while ((!to_acceptor.empty() || !to_connector.empty()) && connector_error.empty() && acceptor_error.empty()) {
      deliver(to_acceptor, acceptor, to_connector, acceptor_error, to_acceptor_log);
      if (!acceptor_error.empty()) break;
      deliver(to_connector, connector, to_acceptor, connector_error, to_connector_log);
    }
  }

 private:
  static void deliver(std::deque<Message>& in, PeerAuth& side, std::deque<Message>& out, std::string& error,
                      std::vector<Message>& log) {
    if (in.empty()) return;
    Message m = std::move(in.front());
    in.pop_front();
    log.push_back(m);
    PeerAuth::Step step = side.on_frame(m);
    error = step.error;
    for (auto& f : step.send) out.push_back(widen(f));
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// ---- Both sides prove themselves ----

TEST(PeerAuth, SameKeyAuthenticatesBothSidesWithTwoChallengesAndTwoProofs) {
  Link link;
  link.run();
  EXPECT_EQ(link.connector_error, "");
  EXPECT_EQ(link.acceptor_error, "");
  EXPECT_TRUE(link.connector.authenticated());
  EXPECT_TRUE(link.acceptor.authenticated());
  ASSERT_EQ(link.to_acceptor_log.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<AuthChallenge>(link.to_acceptor_log[0]));
  EXPECT_TRUE(std::holds_alternative<AuthProof>(link.to_acceptor_log[1]));
  ASSERT_EQ(link.to_connector_log.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<AuthChallenge>(link.to_connector_log[0]));
  EXPECT_TRUE(std::holds_alternative<AuthProof>(link.to_connector_log[1]));
}

TEST(PeerAuth, WithoutKeysBothSidesAreAuthenticatedAtOnceAndSendNothing) {
  Link link(config(std::nullopt, 1), config(std::nullopt, 0));
  EXPECT_TRUE(link.connector.opening().empty());
  EXPECT_TRUE(link.acceptor.opening().empty());
  EXPECT_TRUE(link.connector.authenticated());
  EXPECT_TRUE(link.acceptor.authenticated());
}

TEST(PeerAuth, ConnectorWithAnotherKeyRefusesTheAcceptorAndNeverProvesItself) {
  Link link(config(key_b, 1), config(key_a, 0));
  link.run();
  EXPECT_EQ(link.connector_error,
            "n0's proof does not match this node's cluster key (is the same key file given to every node?)");
  EXPECT_FALSE(link.connector.authenticated());
  EXPECT_FALSE(link.acceptor.authenticated());
  EXPECT_EQ(link.to_acceptor_log.size(), 1u) << "only the connector's challenge went out";
}

TEST(PeerAuth, AcceptorRefusesAProofMadeWithAnotherKey) {
  // A connector holding key_b that never checks the acceptor's proof: it gets
  // its own proof, over the very nonces of this connection, from a key_b acceptor.
  const AuthBytes nc = nonce(), na = nonce();
  PeerAuth acceptor(config(key_a, 0), AuthSide::acceptor, 1, na);
  ASSERT_EQ(acceptor.on_frame(AuthChallenge{nc}).error, "");
  PeerAuth forger(config(key_b, 1), AuthSide::connector, 0, nc);
  PeerAuth accomplice(config(key_b, 0), AuthSide::acceptor, 1, na);
  ASSERT_EQ(forger.on_frame(widen(accomplice.opening().at(0))).error, "");
  const PeerAuth::Step proof_b = forger.on_frame(widen(accomplice.on_frame(AuthChallenge{nc}).send.at(0)));
  ASSERT_EQ(proof_b.send.size(), 1u);

  EXPECT_EQ(acceptor.on_frame(widen(proof_b.send[0])).error,
            "n1's proof does not match this node's cluster key (is the same key file given to every node?)");
  EXPECT_FALSE(acceptor.authenticated());
}

// ---- Peer messages before the proof ----

TEST(PeerAuth, PeerMessageBeforeTheProofIsRefused) {
  PeerAuth acceptor(config(key_a, 0), AuthSide::acceptor, 2, nonce());
  const PeerAuth::Step step = acceptor.on_frame(Accept{"orders", Ballot{1, 2, 0}, id_max - 1, {}, {}});
  EXPECT_EQ(step.error, "n2 sent Accept before proving it holds the cluster key (does it run without --cluster-key?)");
  EXPECT_FALSE(acceptor.authenticated());
  EXPECT_NE(acceptor.on_frame(AuthChallenge{nonce()}).error, "") << "a refused handshake stays refused";
}

TEST(PeerAuth, PeerMessageBetweenChallengeAndProofIsRefused) {
  PeerAuth acceptor(config(key_a, 0), AuthSide::acceptor, 2, nonce());
  ASSERT_EQ(acceptor.on_frame(AuthChallenge{nonce()}).error, "");
  EXPECT_TRUE(contains(acceptor.on_frame(Prepare{"s", Ballot{1, 2, 0}}).error, "n2 sent Prepare before proving"));
}

TEST(PeerAuth, ProofBeforeChallengeOrASecondChallengeIsOutOfOrder) {
  PeerAuth a(config(key_a, 0), AuthSide::acceptor, 1, nonce());
  EXPECT_EQ(a.on_frame(AuthProof{}).error, "n1 sent AuthProof out of order in the handshake");
  PeerAuth b(config(key_a, 0), AuthSide::acceptor, 1, nonce());
  ASSERT_EQ(b.on_frame(AuthChallenge{nonce()}).error, "");
  EXPECT_EQ(b.on_frame(AuthChallenge{nonce()}).error, "n1 sent AuthChallenge out of order in the handshake");
}

TEST(PeerAuth, HandshakeFramesAfterTheHandshakeAreRefused) {
  Link link;
  link.run();
  ASSERT_TRUE(link.acceptor.authenticated());
  EXPECT_EQ(link.acceptor.on_frame(AuthChallenge{nonce()}).error, "n1 sent AuthChallenge after the handshake had finished");
}

// ---- Keys on one side only ----

TEST(PeerAuth, KeylessConnectorRefusesAKeyedAcceptorsChallenge) {
  Link link(config(std::nullopt, 1), config(key_a, 0));
  link.run();
  EXPECT_EQ(link.connector_error,
            "n0 wants peers to prove a cluster key, but this node runs without --cluster-key; give every node the "
            "same key file");
  EXPECT_FALSE(link.acceptor.authenticated());
}

TEST(PeerAuth, KeyedAcceptorRefusesAKeylessPeersProtocolFrames) {
  PeerAuth acceptor(config(key_a, 0), AuthSide::acceptor, 1, nonce());
  EXPECT_TRUE(contains(acceptor.on_frame(EpochRequest{1}).error, "n1 sent EpochRequest before proving"));
}

TEST(PeerAuth, KeylessAcceptorRefusesAKeyedConnector) {
  Link link(config(key_a, 1), config(std::nullopt, 0));
  link.run();
  EXPECT_TRUE(contains(link.acceptor_error, "n1 wants peers to prove a cluster key, but this node runs without"));
  EXPECT_FALSE(link.connector.authenticated());
}

// ---- A proof is good for one connection, one direction, one pair of nodes ----

TEST(PeerAuth, ProofReplayedOnAnotherConnectionIsRefused) {
  Link seen;  // an eavesdropper records a whole handshake
  seen.run();
  ASSERT_TRUE(seen.acceptor.authenticated());
  const Message old_challenge = seen.to_acceptor_log[0];
  const Message old_proof = seen.to_acceptor_log[1];

  PeerAuth acceptor(config(key_a, 0), AuthSide::acceptor, 1, nonce());  // a fresh nonce
  ASSERT_EQ(acceptor.on_frame(old_challenge).error, "");
  EXPECT_TRUE(contains(acceptor.on_frame(old_proof).error, "n1's proof does not match"));
  EXPECT_FALSE(acceptor.authenticated());
}

TEST(PeerAuth, AcceptorsOwnProofReflectedBackIsRefused) {
  // Without the key, challenge the acceptor with its own nonce so both nonces
  // match, and hand its proof back as ours: only the role tells them apart.
  PeerAuth acceptor(config(key_a, 0), AuthSide::acceptor, 1, nonce());
  const auto opening = acceptor.opening();
  ASSERT_EQ(opening.size(), 1u);
  const AuthBytes na = std::get<AuthChallenge>(opening[0]).nonce;
  PeerAuth::Step step = acceptor.on_frame(AuthChallenge{na});
  ASSERT_EQ(step.send.size(), 1u);
  EXPECT_TRUE(contains(acceptor.on_frame(widen(step.send[0])).error, "n1's proof does not match"));
}

TEST(PeerAuth, ProofIsBoundToTheNodeIndexes) {
  // Node 1 dials node 0, but the acceptor took the Hello as node 2's.
  Link link(config(key_a, 1), config(key_a, 0), 0, 2);
  link.run();
  EXPECT_TRUE(contains(link.connector_error, "n0's proof does not match"));
  // Node 1 believes it dialled node 2, but node 0 answered.
  Link other(config(key_a, 1), config(key_a, 0), 2, 1);
  other.run();
  EXPECT_TRUE(contains(other.connector_error, "n2's proof does not match"));
}

TEST(PeerAuth, ProofIsBoundToTheClusterNameAndSize) {
  Link name(config(key_a, 1, "alpha"), config(key_a, 0, "beta"));
  name.run();
  EXPECT_TRUE(contains(name.connector_error, "proof does not match"));
  Link size(config(key_a, 1, "rrseq", 3), config(key_a, 0, "rrseq", 5));
  size.run();
  EXPECT_TRUE(contains(size.connector_error, "proof does not match"));
}

TEST(PeerAuth, EveryConnectionUsesAFreshNonce) {
  EXPECT_NE(random_nonce(), random_nonce());
}

// ---- The node sees no handshake frame ----

TEST(Handshake, AuthFramesAreHandshakeFramesNotPeerMessages) {
  static_assert(is_alternative_v<AuthChallenge, HandshakeMessage> && is_alternative_v<AuthProof, HandshakeMessage> &&
                is_alternative_v<Hello, HandshakeMessage>);
  static_assert(!is_alternative_v<AuthChallenge, PeerMessage> && !is_alternative_v<AuthProof, PeerMessage> &&
                !is_alternative_v<ClientRequest, PeerMessage> && !is_alternative_v<Accept, HandshakeMessage>);
  EXPECT_TRUE(in_plane<HandshakeMessage>(AuthProof{}));
  EXPECT_FALSE(in_plane<PeerMessage>(AuthChallenge{}));
  EXPECT_FALSE(in_plane<PeerMessage>(ClientRequest{}));
  EXPECT_TRUE(in_plane<PeerMessage>(Accept{}));
  EXPECT_FALSE(narrow<PeerMessage>(Message{Hello{}}));
  Accept accept;
  accept.seq = "s";
  EXPECT_TRUE(narrow<PeerMessage>(Message{accept}) == PeerMessage{accept});
}

// ---- HMAC-SHA256 ----

std::string hex(const AuthBytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s += digits[x >> 4];
    s += digits[x & 0xf];
  }
  return s;
}

TEST(HmacSha256, MatchesRfc4231TestCase2) {
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// ---- Key files ----

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rrseq-key-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& bytes, mode_t mode = 0600) {
    const std::string path = dir_ + "/key";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    return path;
  }

  std::string dir_;
  std::string key_;
  std::vector<std::string> warnings_;
};

TEST_F(KeyFileTest, EveryByteIsKeyATrailingNewlineIncluded) {
  const std::string bytes = std::string("\0\xff", 2) + "sixteen-bytes!\n";
  const Result r = load_cluster_key(write(bytes), &key_, &warnings_);
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(key_, bytes);
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(KeyFileTest, SizesAtTheLimitsAreAccepted) {
  EXPECT_TRUE(load_cluster_key(write(std::string(cluster_key_bytes_min, 'k')), &key_, &warnings_).is_ok());
  EXPECT_EQ(key_.size(), cluster_key_bytes_min);
  EXPECT_TRUE(load_cluster_key(write(std::string(cluster_key_bytes_max, 'k')), &key_, &warnings_).is_ok());
  EXPECT_EQ(key_.size(), cluster_key_bytes_max);
}

TEST_F(KeyFileTest, TooShortOrTooLongIsRefusedWithThePathAndTheLimits) {
  const std::string path = write(std::string(cluster_key_bytes_min - 1, 'k'));
  Result r = load_cluster_key(path, &key_, &warnings_);
  EXPECT_EQ(r.message(), "cluster key file '" + path +
                             "' holds 15 bytes; a cluster key has 16 to 4096 (make one with: head -c 32 /dev/urandom > FILE)");
  r = load_cluster_key(write(std::string(cluster_key_bytes_max + 1, 'k')), &key_, &warnings_);
  EXPECT_TRUE(contains(r.message(), "holds 4097 bytes; a cluster key has 16 to 4096")) << r.message();
  EXPECT_FALSE(load_cluster_key(write(""), &key_, &warnings_).is_ok());
}

TEST_F(KeyFileTest, MissingFileDirectoryAndEmptyPathAreRefused) {
  Result r = load_cluster_key(dir_ + "/nope", &key_, &warnings_);
  EXPECT_EQ(r.message(), "cluster key file '" + dir_ + "/nope': No such file or directory");
  r = load_cluster_key(dir_, &key_, &warnings_);
  EXPECT_EQ(r.message(), "cluster key file '" + dir_ + "': not a regular file");
  EXPECT_EQ(load_cluster_key("", &key_, &warnings_).message(), "cluster key file: the path is empty");
}

TEST_F(KeyFileTest, FileReadableByGroupOrOthersGivesAWarning) {
  const std::string path = write(std::string(32, 'k'), 0644);
  ASSERT_TRUE(load_cluster_key(path, &key_, &warnings_).is_ok());
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0], "cluster key file '" + path +
                              "' is readable by its group or by others (mode 0644); anyone who reads it holds the "
                              "cluster key: chmod 600 it");
  warnings_.clear();
  ASSERT_TRUE(load_cluster_key(write(std::string(32, 'k'), 0640), &key_, &warnings_).is_ok());
  EXPECT_EQ(warnings_.size(), 1u);
  warnings_.clear();
  ASSERT_TRUE(load_cluster_key(write(std::string(32, 'k'), 0400), &key_, &warnings_).is_ok());
  EXPECT_TRUE(warnings_.empty());
}

}  // namespace
}  // namespace rrseq

// The one handshake of every connection, dialled and accepted, without sockets.
#include "transport_net/handshake.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>

namespace rrseq {
namespace {

PeerAuthConfig config(uint32_t self, bool keyed, const std::string& cluster = "c") {
  return PeerAuthConfig{keyed ? std::make_shared<const std::string>("0123456789abcdef0123") : nullptr, cluster, 3,
                        self};
}
AuthBytes nonce(uint8_t b) {
  AuthBytes n{};
  n.fill(b);
  return n;
}
Hello peer_hello(uint32_t node, const std::string& cluster = "c", uint32_t nodes = 3) {
  return Hello{static_cast<uint32_t>(Role::peer), node, nodes, cluster_id(cluster)};
}
Hello client_hello(const std::string& cluster = "c") {
  return Hello{static_cast<uint32_t>(Role::client), 0, 0, cluster_id(cluster)};
}

// Node 0 dials node 1; frames go both ways until neither side has one to send.
struct Link {
  explicit Link(bool keyed)
      : dialler(Handshake::dialled(config(0, keyed), 1, nonce(1))),
        acceptor(Handshake::accepted(config(1, keyed), nonce(2))) {
    for (const auto& f : dialler.opening().send) to_acceptor.push_back(widen(f));
    while (!to_acceptor.empty() || !to_dialler.empty()) {
      deliver(to_acceptor, acceptor, to_dialler, acceptor_error);
      deliver(to_dialler, dialler, to_acceptor, dialler_error);
    }
  }
  static void deliver(std::deque<Message>& in, Handshake& side, std::deque<Message>& out, std::string& error) {
    if (in.empty()) return;
    Handshake::Step step = side.on_frame(in.front());
    in.pop_front();
    if (error.empty()) error = step.error;
    for (const auto& f : step.send) out.push_back(widen(f));
  }
  Handshake dialler, acceptor;
  std::deque<Message> to_acceptor, to_dialler;
  std::string dialler_error, acceptor_error;
};

TEST(Handshake, PeersWithoutAKeyAreDoneAfterTheHellos) {
  Link link(false);
  EXPECT_EQ(link.dialler_error, "");
  EXPECT_EQ(link.acceptor_error, "");
  EXPECT_TRUE(link.dialler.done());
  EXPECT_TRUE(link.acceptor.done());
  EXPECT_EQ(link.acceptor.role(), Role::peer);
  EXPECT_EQ(link.acceptor.peer(), 0u);
  EXPECT_TRUE(link.dialler.dialled());
  EXPECT_FALSE(link.acceptor.dialled());
}

TEST(Handshake, PeersWithAKeyAreDoneOnceBothProved) {
  Link link(true);
  EXPECT_EQ(link.dialler_error, "");
  EXPECT_EQ(link.acceptor_error, "");
  EXPECT_TRUE(link.dialler.done());
  EXPECT_TRUE(link.acceptor.done());
  EXPECT_FALSE(link.dialler.awaiting_proof());
}

TEST(Handshake, AKeyedPeerIsNotDoneBeforeItsProof) {
  Handshake acceptor = Handshake::accepted(config(1, true), nonce(2));
  const Handshake::Step s = acceptor.on_frame(peer_hello(0));
  EXPECT_EQ(s.error, "");
  ASSERT_EQ(s.send.size(), 2u);  // its Hello and its challenge
  EXPECT_TRUE(std::holds_alternative<Hello>(s.send[0]));
  EXPECT_TRUE(std::holds_alternative<AuthChallenge>(s.send[1]));
  EXPECT_FALSE(acceptor.done());
  EXPECT_TRUE(acceptor.awaiting_proof());
  EXPECT_EQ(acceptor.on_frame(Prepare{"s", Ballot{1, 0, 0}}).error,
            "n0 sent Prepare before proving it holds the cluster key (does it run without --cluster-key?)");
}

TEST(Handshake, AClientIsDoneAtItsHelloAndAnsweredWithOurs) {
  Handshake acceptor = Handshake::accepted(config(2, true), nonce(2));
  const Handshake::Step s = acceptor.on_frame(client_hello());
  EXPECT_EQ(s.error, "");
  EXPECT_TRUE(acceptor.done());
  EXPECT_EQ(acceptor.role(), Role::client);
  ASSERT_EQ(s.send.size(), 1u);
  EXPECT_TRUE(std::get<Hello>(s.send[0]) == peer_hello(2));
}

TEST(Handshake, AnAcceptedConnectionMustOpenWithAHelloThatFits) {
  auto first = [](const Message& m) { return Handshake::accepted(config(1, false), nonce(2)).on_frame(m).error; };
  EXPECT_EQ(first(Prepare{"s", {}}), "first frame is Prepare, not a Hello");
  EXPECT_EQ(first(AuthChallenge{}), "first frame is AuthChallenge, not a Hello");
  EXPECT_EQ(first(client_hello("other")), "Hello from another cluster (is --cluster the same on every node?)");
  EXPECT_EQ(first(Hello{7, 0, 3, cluster_id("c")}), "Hello with unknown role 7");
  const std::string claims = ", but this cluster has 3 nodes and this is node 1";
  EXPECT_EQ(first(peer_hello(1)), "peer Hello claims node 1 of 3" + claims);  // its own index
  EXPECT_EQ(first(peer_hello(3)), "peer Hello claims node 3 of 3" + claims);
  EXPECT_EQ(first(peer_hello(0, "c", 5)), "peer Hello claims node 0 of 5" + claims);
}

TEST(Handshake, ADialledNodeMustAnswerAsTheNodeDialled) {
  auto answer = [](const Message& m) { return Handshake::dialled(config(0, false), 1, nonce(1)).on_frame(m).error; };
  EXPECT_EQ(answer(peer_hello(2)), "answers as node 2, not n1; check every node's address list");
  EXPECT_EQ(answer(client_hello()), "answers as node 0, not n1; check every node's address list");
  EXPECT_EQ(answer(peer_hello(1, "other")), "answers from another cluster (is --cluster the same on every node?)");
  EXPECT_EQ(answer(Accepted{"s", {}, false, {}, 0, {}}), "first frame is Accepted, not a Hello");
  Handshake ok = Handshake::dialled(config(0, false), 1, nonce(1));
  EXPECT_EQ(ok.on_frame(peer_hello(1)).error, "");
  EXPECT_TRUE(ok.done());
}

TEST(Handshake, AHandshakeFrameAfterTheHandshakeIsRefused) {
  Link link(true);
  EXPECT_EQ(link.acceptor.on_frame(AuthChallenge{nonce(3)}).error, "n0 sent AuthChallenge after the handshake had finished");
  EXPECT_EQ(link.dialler.on_frame(peer_hello(1)).error, "n1 sent Hello after the handshake had finished");
}

TEST(Handshake, AFailedHandshakeIsNoLongerAwaitingAProof) {
  Handshake dialler = Handshake::dialled(config(0, true), 1, nonce(1));
  EXPECT_TRUE(dialler.awaiting_proof());
  EXPECT_NE(dialler.on_frame(peer_hello(2)).error, "");
  EXPECT_FALSE(dialler.awaiting_proof());  // its close is not blamed on the key
}

}  // namespace
}  // namespace rrseq

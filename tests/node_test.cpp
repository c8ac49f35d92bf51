// A node as a pure state machine, driven by a tiny in-memory harness that
// delivers every message at once, in order.
#include "core/node.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "core/durable_state.h"
#include "core/limits.h"

namespace rrseq {
namespace {

DurableState initialized_state() {
  DurableState s;
  s.initialized = true;
  s.nonce = 1;  // made at the directory's first start
  return s;
}

struct Cluster {
  explicit Cluster(uint32_t n, bool durable = false, DurableState initial = initialized_state()) {
    for (uint32_t i = 0; i < n; ++i) {
      NodeConfig cfg;
      cfg.self = i;
      cfg.nodes = n;
      cfg.durable = durable;
      nodes.push_back(std::make_unique<Node>(cfg, initial, 100 + i, 0));
    }
  }

  // Delivers messages until every node is quiet; syncs complete at once unless held.
  void settle() {
    for (bool busy = true; busy;) {
      busy = false;
      for (uint32_t i = 0; i < nodes.size(); ++i) {
        if (!nodes[i]) continue;
        NodeOutput out = nodes[i]->take_output();
        busy |= !out.empty();
        for (auto& r : out.client_sends) replies.push_back(r.reply);
        for (auto& p : out.peer_sends) queue.push_back({i, p.to, std::move(p.msg)});
        if (out.sync) {
          if (hold_syncs) {
            held.push_back({i, *out.sync});
          } else {
            nodes[i]->on_synced(*out.sync, now);
          }
        }
      }
      while (!queue.empty()) {
        busy = true;
        auto [from, to, msg] = std::move(queue.front());
        queue.pop_front();
        if (nodes[to]) nodes[to]->on_peer_message(from, msg, now);
      }
    }
  }

  // Fires every timer, a few round timeouts apart, until `n` replies are in.
  void tick_until(size_t n, int ticks_max = 5) {
    settle();
    for (int i = 0; i < ticks_max && replies.size() < n; ++i) {
      now += NodeConfig{}.round_timeout_us * 4;
      for (auto& node : nodes) {
        if (node) node->on_timer(now);
      }
      settle();
    }
  }

  // From a client that cannot follow a redirect: the node it asks serves it.
  void request(uint32_t node, uint64_t req, uint64_t count, const std::string& seq = "s") {
    nodes[node]->on_client_request(req, ClientRequest{1, req, seq, count}, now);
  }
  void request_following(uint32_t node, uint64_t req, uint64_t count) {
    nodes[node]->on_client_request(req, ClientRequest{1, req, "s", count, true}, now);
  }

  struct InFlight {
    uint32_t from, to;
    PeerMessage msg;
  };
  std::vector<std::unique_ptr<Node>> nodes;
  std::deque<InFlight> queue;
  std::vector<ClientReply> replies;
  bool hold_syncs = false;
  std::vector<std::pair<uint32_t, uint64_t>> held;
  TimeUs now = 0;
};

TEST(Node, FirstGrantOfAFreshSequenceStartsAtOne) {
  Cluster c(3);
  c.request(0, 1, 10);
  c.settle();
  ASSERT_EQ(c.replies.size(), 1u);
  EXPECT_EQ(c.replies[0].status, Status::ok);
  EXPECT_EQ(c.replies[0].from, 1u);
  EXPECT_EQ(c.replies[0].to, 11u);
}

TEST(Node, CombinedRequestsSplitOneRangeInArrivalOrder) {
  Cluster c(3);
  c.request(0, 1, 5);
  c.request(0, 2, 3);  // queued behind the round in flight
  c.request(0, 3, 2);
  c.settle();
  ASSERT_EQ(c.replies.size(), 3u);
  EXPECT_EQ(c.replies[0].from, 1u);
  EXPECT_EQ(c.replies[1].from, 6u);
  EXPECT_EQ(c.replies[1].to, 9u);
  EXPECT_EQ(c.replies[2].from, 9u);
  EXPECT_EQ(c.replies[2].to, 11u);
}

TEST(Node, NodesTakeTurnsWithoutOverlap) {
  Cluster c(3);
  c.request(0, 1, 4);
  c.settle();
  c.request(1, 2, 4);
  c.settle();
  c.request(2, 3, 4);
  c.settle();
  ASSERT_EQ(c.replies.size(), 3u);
  EXPECT_EQ(c.replies[1].from, 5u);
  EXPECT_EQ(c.replies[2].from, 9u);
}

TEST(Node, InvalidRequestsAreRefusedWithAReason) {
  Cluster c(3);
  c.nodes[0]->on_client_request(1, ClientRequest{1, 1, "s", 0, false, id_max + 1}, c.now);
  c.request(0, 2, range_ids_max + 1);
  c.request(0, 3, 1, "bad name!");
  c.settle();
  ASSERT_EQ(c.replies.size(), 3u);
  EXPECT_EQ(c.replies[0].status, Status::exhausted);  // no ID could ever follow such an Advance
  EXPECT_EQ(c.replies[1].status, Status::invalid_count);
  EXPECT_EQ(c.replies[2].status, Status::invalid_name);
}

// Current is a count-0 request and Advance a count-0 request with at_least:
// both ride the same rounds as grants, so both see what a quorum accepted.
TEST(Node, CurrentReadsTheQuorumBoundAndAdvanceOnlyMovesForward) {
  Cluster c(3);
  auto ask = [&](uint32_t node, uint64_t req, uint64_t count, uint64_t at_least) {
    c.nodes[node]->on_client_request(req, ClientRequest{1, req, "s", count, false, at_least}, c.now);
    c.settle();
    EXPECT_EQ(c.replies.back().request, req);
    EXPECT_EQ(c.replies.back().status, Status::ok);
    return std::pair{c.replies.back().from, c.replies.back().to};
  };
  EXPECT_EQ(ask(0, 1, 0, 0), std::pair(uint64_t{1}, uint64_t{1}));  // a fresh sequence: nothing below 1
  EXPECT_EQ(ask(0, 2, 5, 0), std::pair(uint64_t{1}, uint64_t{6}));
  EXPECT_EQ(ask(1, 3, 0, 0), std::pair(uint64_t{6}, uint64_t{6}));  // another node reads the quorum's bound
  EXPECT_EQ(ask(2, 4, 0, 100), std::pair(uint64_t{100}, uint64_t{100}));
  EXPECT_EQ(ask(0, 5, 1, 0), std::pair(uint64_t{100}, uint64_t{101}));
  EXPECT_EQ(ask(1, 6, 0, 50), std::pair(uint64_t{101}, uint64_t{101}));  // never backwards
  EXPECT_EQ(ask(2, 7, 2, 0), std::pair(uint64_t{101}, uint64_t{103}));
}

TEST(Node, AnAdvanceInACombinedBatchRaisesOnlyTheRequestsAfterIt) {
  Cluster c(3);
  c.request(0, 1, 1);  // starts a round; the next three wait and ride the next one together
  c.request(0, 2, 2);
  c.nodes[0]->on_client_request(3, ClientRequest{1, 3, "s", 0, false, 1000}, c.now);
  c.request(0, 4, 3);
  c.settle();
  ASSERT_EQ(c.replies.size(), 4u);
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> got;
  for (const auto& r : c.replies) {
    EXPECT_EQ(r.status, Status::ok);
    got[r.request] = {r.from, r.to};
  }
  EXPECT_EQ(got[1], std::pair(uint64_t{1}, uint64_t{2}));
  EXPECT_EQ(got[2], std::pair(uint64_t{2}, uint64_t{4}));
  EXPECT_EQ(got[3], std::pair(uint64_t{1000}, uint64_t{1000}));
  EXPECT_EQ(got[4], std::pair(uint64_t{1000}, uint64_t{1003}));
}

TEST(Node, SequenceNearTheTopIsExhaustedNeverWrapped) {
  DurableState s = initialized_state();
  const Ballot b{1, 0, 0};
  s.sequences["s"] = SeqState{"s", b, b, id_max - 2};  // IDs id_max-2 .. id_max remain
  Cluster c(3, false, s);
  c.request(0, 1, 3);
  c.settle();
  ASSERT_EQ(c.replies.size(), 1u);
  EXPECT_EQ(c.replies[0].status, Status::ok);
  EXPECT_EQ(c.replies[0].to, id_max + 1);
  c.request(0, 2, 1);
  c.settle();
  ASSERT_EQ(c.replies.size(), 2u);
  EXPECT_EQ(c.replies[1].status, Status::exhausted);
}

TEST(Node, ANewSequencePastTheLimitIsRefusedOldOnesServe) {
  DurableState s = initialized_state();
  for (size_t i = 0; i < sequences_max; ++i) {
    const std::string name = "s" + std::to_string(i);
    s.sequences[name] = SeqState{name, Ballot{}, Ballot{}, 0};
  }
  Cluster c(3, false, s);
  c.request(0, 1, 1, "one_more");
  c.request(0, 2, 1, "s7");
  c.settle();
  ASSERT_EQ(c.replies.size(), 2u);
  EXPECT_EQ(c.replies[0].status, Status::too_many_sequences);
  EXPECT_EQ(c.replies[1].status, Status::ok);
}

TEST(Node, DurableNodeAnswersOnlyAfterItsRecordsAreSynced) {
  Cluster c(3, true);
  c.settle();  // the incarnation records of the three restarts are synced
  c.hold_syncs = true;
  c.request(0, 1, 1);
  c.settle();
  EXPECT_TRUE(c.replies.empty());  // promises wait for their records
  ASSERT_FALSE(c.held.empty());
  while (c.replies.empty() && !c.held.empty()) {
    auto held = std::move(c.held);
    c.held.clear();
    for (auto [node, id] : held) c.nodes[node]->on_synced(id, c.now);
    c.settle();
  }
  ASSERT_EQ(c.replies.size(), 1u);
  EXPECT_EQ(c.replies[0].from, 1u);
}

// Three promises written while one sync runs: with group commit the next sync
// covers both that wait; without it each record gets its own sync.
size_t syncs_to_answer_three_prepares(bool group_commit) {
  NodeConfig cfg;
  cfg.durable = true;
  cfg.speedups.group_commit = group_commit;
  Node n(cfg, initialized_state(), 1, 0);
  n.on_synced(*n.take_output().sync, 0);  // the new incarnation is on disk: serving
  for (const char* seq : {"a", "b", "c"}) n.on_peer_message(1, Prepare{seq, Ballot{5, 1, 1}}, 0);
  size_t syncs = 0, promises = 0;
  for (NodeOutput out = n.take_output(); out.sync; ++syncs) {
    n.on_synced(*out.sync, 0);
    out = n.take_output();
    promises += out.peer_sends.size();
  }
  EXPECT_EQ(promises, 3u);
  return syncs;
}

TEST(Node, GroupCommitCoversEveryRecordWrittenDuringASync) {
  EXPECT_EQ(syncs_to_answer_three_prepares(true), 2u);
  EXPECT_EQ(syncs_to_answer_three_prepares(false), 3u);
}

TEST(Node, RestartedDurableNodeUsesANewIncarnation) {
  DurableState s = initialized_state();
  s.incarnation = make_incarnation(3, 7);
  NodeConfig cfg;
  cfg.durable = true;
  Node n(cfg, s, 1, 0);
  EXPECT_EQ(n.incarnation(), make_incarnation(3, 8));
  EXPECT_FALSE(n.serving());  // not before the new incarnation is on disk
  NodeOutput out = n.take_output();
  ASSERT_TRUE(out.sync);
  n.on_synced(*out.sync, 0);
  EXPECT_TRUE(n.serving());
}

TEST(Node, NodeWithoutStateRefusesClientsAndQuorumsUntilItRejoins) {
  Cluster c(3);
  c.request(0, 1, 10);
  c.settle();
  NodeConfig cfg;
  cfg.self = 2;
  cfg.nodes = 3;
  c.nodes[2] = std::make_unique<Node>(cfg, DurableState{}, 7, 0);  // amnesia
  // Until its rejoin finishes, it answers no client and no prepare.
  c.nodes[2]->on_client_request(9, ClientRequest{1, 9, "s", 1}, 0);
  c.nodes[2]->on_peer_message(0, Prepare{"s", Ballot{50, 0, 0}}, 0);
  NodeOutput out = c.nodes[2]->take_output();
  ASSERT_EQ(out.client_sends.size(), 1u);
  EXPECT_EQ(out.client_sends[0].reply.status, Status::not_ready);
  for (auto& p : out.peer_sends) {
    EXPECT_FALSE(std::holds_alternative<Promise>(p.msg));
    c.queue.push_back({2, p.to, std::move(p.msg)});
  }
  c.settle();
  EXPECT_TRUE(c.nodes[2]->serving());
  EXPECT_EQ(c.nodes[2]->acceptor().state().sequences.at("s").value, 11u);
  EXPECT_EQ(incarnation_epoch(c.nodes[2]->incarnation()), 1u);
  c.replies.clear();
  c.request(2, 2, 1);
  c.settle();
  ASSERT_EQ(c.replies.size(), 1u);
  EXPECT_EQ(c.replies[0].from, 11u);
}

TEST(Node, DurableNodeWithAnEmptyDirectoryRejoinsAnExistingClusterInsteadOfBootstrapping) {
  Cluster c(3, /*durable=*/true);
  c.settle();
  c.request(0, 1, 10);
  c.settle();
  NodeConfig cfg;
  cfg.self = 2;
  cfg.nodes = 3;
  cfg.durable = true;
  c.nodes[2] = std::make_unique<Node>(cfg, DurableState{}, 7, 0);  // its data directory is gone
  c.settle();
  ASSERT_TRUE(c.nodes[2]->serving());
  EXPECT_EQ(c.nodes[2]->acceptor().state().sequences.at("s").value, 11u);  // adopted, not empty
  EXPECT_EQ(incarnation_epoch(c.nodes[2]->incarnation()), 1u);             // a fresh epoch
  c.replies.clear();
  c.request(2, 2, 1);
  c.settle();
  ASSERT_EQ(c.replies.size(), 1u);
  EXPECT_EQ(c.replies[0].from, 11u);
}

// The one answer from a peer that never had state either: enough for a node
// that may be new to bootstrap (3 nodes: 2 of 3 empty), never for one that
// knows it lost state.
bool bootstraps_on_one_empty_answer(bool lost_state) {
  NodeConfig cfg;
  cfg.self = 2;
  cfg.nodes = 3;
  cfg.lost_state = lost_state;
  Node n(cfg, DurableState{}, 7, 0);
  NodeOutput out = n.take_output();
  const auto* ask = out.peer_sends.empty() ? nullptr : std::get_if<EpochRequest>(&out.peer_sends[0].msg);
  if (!ask) throw std::runtime_error("no EpochRequest sent");
  n.on_peer_message(1, EpochReply{ask->attempt, false, 0, Ballot{}}, 0);
  return n.serving();
}

TEST(Node, NodeThatLostItsStateNeverBootstraps) {
  EXPECT_TRUE(bootstraps_on_one_empty_answer(false));
  EXPECT_FALSE(bootstraps_on_one_empty_answer(true));
}

TEST(Node, FreshClusterBootstrapsFromEmpty) {
  Cluster c(3, false, DurableState{});
  c.settle();
  for (auto& n : c.nodes) EXPECT_TRUE(n->serving());
  c.request(1, 1, 2);
  c.settle();
  ASSERT_EQ(c.replies.size(), 1u);
  EXPECT_EQ(c.replies[0].from, 1u);
}

TEST(Node, StaleAnswersToAnOlderRoundAreNotCounted) {
  Cluster c(3);
  c.request(0, 1, 1);
  // Deliver only the prepares, and answer them with a forged promise for another ballot.
  NodeOutput out = c.nodes[0]->take_output();
  c.nodes[0]->on_peer_message(1, Promise{"s", Ballot{99, 0, 0}, true, Ballot{99, 0, 0}, Ballot{}, 0, 0, {}}, 0);
  c.nodes[0]->on_peer_message(2, Promise{"s", Ballot{99, 0, 0}, true, Ballot{99, 0, 0}, Ballot{}, 0, 0, {}}, 0);
  EXPECT_TRUE(c.nodes[0]->take_output().peer_sends.empty());  // no accept went out
  for (auto& p : out.peer_sends) c.queue.push_back({0, p.to, std::move(p.msg)});
  c.settle();
  ASSERT_EQ(c.replies.size(), 1u);
  EXPECT_EQ(c.replies[0].from, 1u);
}

}  // namespace
}  // namespace rrseq

namespace rrseq {
namespace {

// rejoin.h, step 4 (7 nodes, seed 15287 in the simulator): a rejoin of node 0
// that died after fencing only nodes 1 and 2 left them holding its life at
// epoch 3, above the epoch 1 its serving life has. With nodes 3 and 4 down,
// every quorum needs node 0, whose answers 1 and 2 count as a forgotten
// life's: it must move above epoch 3 to serve again.
TEST(Node, ANodeThatHearsOfALaterLifeOfItsOwnMovesAboveItAndServes) {
  Cluster c(5);
  DurableState mine = initialized_state();
  mine.incarnation = make_incarnation(1, 0);
  c.nodes[0] = std::make_unique<Node>(c.nodes[0]->config(), mine, 100, 0);
  for (uint32_t n : {1u, 2u}) {
    DurableState st = initialized_state();
    st.epoch_seen[0] = 3;
    st.live_epoch[0] = 3;
    c.nodes[n] = std::make_unique<Node>(c.nodes[n]->config(), st, 100 + n, 0);
  }
  c.nodes[3].reset();
  c.nodes[4].reset();
  c.request(0, 1, 5);
  c.tick_until(1);
  ASSERT_EQ(c.replies.size(), 1u);
  EXPECT_EQ(c.replies[0].status, Status::ok);
  EXPECT_EQ(incarnation_epoch(c.nodes[0]->incarnation()), 4u);
  for (uint32_t n : {1u, 2u}) {
    EXPECT_EQ(c.nodes[n]->acceptor().state().live_epoch.at(0), 4u);
    EXPECT_EQ(c.nodes[n]->acceptor().state().epoch_seen.at(0), 4u);  // a next life gets 5 or more
  }
}

// Its own fence's epoch, reported back by a peer while the fence still runs,
// starts nothing new; a still later life does.
TEST(Node, ANodeMovingToALaterEpochIsNotSetOffAgainByItsOwnFence) {
  Cluster c(3);
  auto fence_epochs = [&] {
    std::vector<uint32_t> epochs;
    for (const auto& p : c.nodes[0]->take_output().peer_sends) {
      if (const auto* f = std::get_if<FenceRequest>(&p.msg)) epochs.push_back(incarnation_epoch(f->ballot.incarnation));
    }
    return epochs;
  };
  auto promise_knowing = [](uint32_t epoch) {
    return Promise{"s", Ballot{9, 1, 0}, true, Ballot{9, 1, 0}, Ballot{}, 0, 0, {Voter{0, epoch}}};
  };
  c.nodes[0]->on_peer_message(1, promise_knowing(2), 0);
  EXPECT_EQ(fence_epochs(), (std::vector<uint32_t>{3, 3}));
  c.nodes[0]->on_peer_message(1, promise_knowing(3), 0);
  EXPECT_TRUE(fence_epochs().empty());
  c.nodes[0]->on_peer_message(2, promise_knowing(5), 0);
  EXPECT_EQ(fence_epochs(), (std::vector<uint32_t>{6, 6}));
  EXPECT_EQ(incarnation_epoch(c.nodes[0]->incarnation()), 0u);  // no fence answered yet
}

TEST(Node, SingleNodeClusterBootstrapsAtOnceAndServes) {
  Cluster c(1, false, DurableState{});
  EXPECT_TRUE(c.nodes[0]->serving());
  c.request(0, 1, 3);
  c.settle();
  ASSERT_EQ(c.replies.size(), 1u);
  EXPECT_EQ(c.replies[0].from, 1u);
}

}  // namespace
}  // namespace rrseq

// ---- NodeStats: the counters rrseq-server exposes at /metrics ----
namespace rrseq {
namespace {

// 7 nodes, seeds 4059, 8507, 18094: clients wandered from node to node and
// each node they left kept proposing, so several dueled for one sequence. A
// node that just accepted another's round sends new requests there instead.
TEST(Node, ARequestGoesToTheNodeThatIsGrantingItsSequence) {
  Cluster c(3);
  c.request(1, 1, 4);
  c.settle();
  ASSERT_EQ(c.replies.size(), 1u);
  c.request_following(0, 2, 4);
  c.settle();
  ASSERT_EQ(c.replies.size(), 2u);
  EXPECT_EQ(c.replies[1].status, Status::redirect);
  EXPECT_EQ(c.replies[1].redirect_to, 1u);
  // A request that already followed a redirect is served where it lands, and
  // that node's own round then passes the hint: it keeps serving.
  c.request(0, 3, 4);
  c.settle();
  ASSERT_EQ(c.replies.size(), 3u);
  EXPECT_EQ(c.replies[2].status, Status::ok);
  EXPECT_EQ(c.replies[2].from, 5u);
  c.request_following(0, 4, 4);
  c.settle();
  ASSERT_EQ(c.replies.size(), 4u);
  EXPECT_EQ(c.replies[3].status, Status::ok);
  // Node 1 accepted node 0's round: it now redirects to node 0; once the hint is old it serves.
  c.request_following(1, 5, 1);
  c.settle();
  ASSERT_EQ(c.replies.size(), 5u);
  EXPECT_EQ(c.replies[4].status, Status::redirect);
  EXPECT_EQ(c.replies[4].redirect_to, 0u);
  c.now += NodeConfig{}.leader_hint_us + 1;
  c.request_following(1, 6, 1);
  c.settle();
  ASSERT_EQ(c.replies.size(), 6u);
  EXPECT_EQ(c.replies[5].status, Status::ok);
}

// 7 nodes, seed 16544: the granting node prepared again after its fast path
// broke; a hint that ended there sent clients elsewhere and the duels came back.
TEST(Node, TheHintOutlivesALaterPrepareOfTheSameNodeOnly) {
  Cluster c(3);
  c.request(1, 1, 4);
  c.settle();
  ASSERT_EQ(c.replies.size(), 1u);
  c.nodes[0]->on_peer_message(1, Prepare{"s", Ballot{10, 1, 1}}, c.now);
  c.settle();
  c.request_following(0, 2, 1);
  c.settle();
  ASSERT_EQ(c.replies.size(), 2u);
  EXPECT_EQ(c.replies[1].status, Status::redirect);
  EXPECT_EQ(c.replies[1].redirect_to, 1u);
  // A prepare of another node: node 1 may no longer be granting, node 0 serves.
  c.nodes[0]->on_peer_message(2, Prepare{"s", Ballot{11, 2, 1}}, c.now);
  c.settle();
  c.request_following(0, 3, 1);
  c.settle();
  ASSERT_EQ(c.replies.size(), 3u);
  EXPECT_EQ(c.replies[2].status, Status::ok);
}

// 7 nodes, seed 2688: a node that loses its round to another proposer sends
// the requests queued behind it there, rather than preempt it for them later.
TEST(Node, AProposerThatLosesItsRoundRedirectsWhatIsQueuedToTheWinner) {
  Cluster c(3);
  c.request_following(0, 1, 1);  // node 0's prepare goes out first ...
  c.request_following(0, 2, 1);  // ... this one queues behind its round
  c.request(1, 3, 1);            // node 1 prepares the same round, a higher ballot
  c.settle();
  const ClientReply* second = nullptr;
  for (const auto& r : c.replies) {
    if (r.request == 2) second = &r;
  }
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->status, Status::redirect);
  EXPECT_EQ(second->redirect_to, 1u);
  c.tick_until(3);  // the first request's round was cut in its accept phase: it is retried here
  ASSERT_EQ(c.replies.size(), 3u);
  for (const auto& r : c.replies) {
    if (r.request != 2) {
      EXPECT_EQ(r.status, Status::ok) << "request " << r.request;
    }
  }
}

TEST(NodeStats, GrantsIdsAndPhasesAreCounted) {
  Cluster c(3);
  EXPECT_STREQ(c.nodes[0]->phase_name(), "serving");
  c.request(0, 1, 10);
  c.settle();
  c.request(0, 2, 5);  // rides the fast path: an accept without a prepare
  c.settle();
  const NodeStats& st = c.nodes[0]->stats();
  EXPECT_EQ(st.grants, 2u);
  EXPECT_EQ(st.ids_granted, 15u);
  EXPECT_EQ(st.replies[static_cast<size_t>(Status::ok)], 2u);
  EXPECT_EQ(st.prepare_phases, 1u);
  EXPECT_EQ(st.accept_phases, 2u);
  EXPECT_EQ(st.fast_path_accepts, 1u);
  EXPECT_EQ(st.ballot_conflicts + st.retries + st.round_timeouts + st.nacks_sent, 0u);
  EXPECT_EQ(c.nodes[1]->stats().grants, 0u);  // only the proposer counts a grant
}

TEST(NodeStats, RefusedRequestsAreCountedByStatusNotAsGrants) {
  Cluster c(3);
  c.request(0, 1, range_ids_max + 1);
  c.request(0, 2, 1, "bad name!");
  c.settle();
  const NodeStats& st = c.nodes[0]->stats();
  EXPECT_EQ(st.grants, 0u);
  EXPECT_EQ(st.replies[static_cast<size_t>(Status::invalid_count)], 1u);
  EXPECT_EQ(st.replies[static_cast<size_t>(Status::invalid_name)], 1u);
}

TEST(NodeStats, ALostFastPathCountsAConflictNacksAndARetry) {
  Cluster c(3);
  c.request(0, 1, 1);
  c.settle();  // node 0 now holds a fast path
  // Node 1 prepares a higher ballot on nodes 1 and 2 only; node 0 does not see it.
  c.request(1, 2, 1);
  for (auto& p : c.nodes[1]->take_output().peer_sends)
    if (p.to != 0) c.queue.push_back({1, p.to, std::move(p.msg)});
  c.request(0, 3, 1);  // node 0's fast accept is refused by nodes 1 and 2
  c.settle();
  EXPECT_EQ(c.nodes[0]->stats().ballot_conflicts, 1u);
  EXPECT_EQ(c.nodes[0]->stats().retries, 0u);
  EXPECT_GE(c.nodes[1]->stats().nacks_sent + c.nodes[2]->stats().nacks_sent, 1u);
  c.now += NodeConfig{}.backoff_max_us;  // past any backoff
  c.nodes[0]->on_timer(c.now);
  c.settle();
  EXPECT_EQ(c.nodes[0]->stats().retries, 1u);
  EXPECT_EQ(c.nodes[0]->stats().grants, 2u);
  EXPECT_EQ(c.nodes[1]->stats().grants, 1u);
}

TEST(NodeStats, ARoundWithoutAQuorumCountsATimeout) {
  Cluster c(3);
  c.request(0, 1, 1);
  c.nodes[0]->take_output();  // every prepare is lost
  c.now += NodeConfig{}.round_timeout_us;
  c.nodes[0]->on_timer(c.now);
  EXPECT_EQ(c.nodes[0]->stats().round_timeouts, 1u);
  EXPECT_EQ(c.nodes[0]->stats().ballot_conflicts, 0u);
}

}  // namespace
}  // namespace rrseq

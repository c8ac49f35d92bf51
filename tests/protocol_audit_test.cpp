// The simulator's message-level checks, fed known violations and clean runs.
#include "transport_sim/protocol_audit.h"

#include <gtest/gtest.h>

namespace rrseq {
namespace {

const Ballot b1{1, 0, 1};
const Ballot b2{2, 1, 1};
const Ballot b3{3, 2, 1};

Accept accept(const Ballot& b, uint64_t value) { return Accept{"s", b, value, {}, {}}; }
Promise promise(const Ballot& b) {
  Promise p;
  p.seq = "s";
  p.ballot = b;
  p.promised = b;
  p.ok = true;
  return p;
}
Accepted accepted(const Ballot& b) {
  Accepted a;
  a.seq = "s";
  a.ballot = b;
  a.promised = b;
  a.ok = true;
  return a;
}

TEST(ProtocolAudit, CleanExchangePasses) {
  ProtocolAudit audit(3);
  audit.on_send(0, accept(b1, 10));
  audit.on_send(0, accept(b1, 10));  // a resend of the same proposal
  audit.on_send(1, promise(b1));
  audit.on_send(1, accepted(b1));
  audit.on_send(1, promise(b2));
  audit.on_send(0, accept(b2, 20));
  audit.on_send(1, accepted(b2));
  EXPECT_TRUE(audit.failures().empty());
}

TEST(ProtocolAudit, TwoValuesUnderOneBallotIsReportedOnce) {
  ProtocolAudit audit(3);
  audit.on_send(0, accept(b1, 10));
  audit.on_send(0, accept(b1, 11));
  audit.on_send(0, accept(b1, 12));
  ASSERT_EQ(audit.failures().size(), 1u);
  EXPECT_EQ(audit.failures()[0].rfind("ballot: n0 proposed value 11", 0), 0u) << audit.failures()[0];
}

TEST(ProtocolAudit, SameValueUnderOneBallotOnAnotherSequenceIsIndependent) {
  ProtocolAudit audit(3);
  audit.on_send(0, accept(b1, 10));
  Accept other = accept(b1, 99);
  other.seq = "t";
  audit.on_send(0, other);
  EXPECT_TRUE(audit.failures().empty());
}

TEST(ProtocolAudit, OkBelowAnEarlierPromiseIsReported) {
  ProtocolAudit audit(3);
  audit.on_send(2, promise(b3));
  audit.on_send(2, accepted(b2));
  ASSERT_EQ(audit.failures().size(), 1u);
  EXPECT_EQ(audit.failures()[0].rfind("promise: n2 sent an accept for s", 0), 0u) << audit.failures()[0];
}

TEST(ProtocolAudit, OkBelowAGrantedFenceIsReported) {
  ProtocolAudit audit(3);
  FenceReply f;
  f.ok = true;
  f.max_promised = b3;
  audit.on_send(1, f);
  audit.on_send(1, promise(b2));  // a sequence it never promised before
  ASSERT_EQ(audit.failures().size(), 1u);
  EXPECT_EQ(audit.failures()[0].rfind("promise: n1 sent a promise", 0), 0u) << audit.failures()[0];
}

TEST(ProtocolAudit, RefusalsAndOtherNodesDoNotCount) {
  ProtocolAudit audit(3);
  audit.on_send(0, promise(b3));
  Promise refused = promise(b1);
  refused.ok = false;
  audit.on_send(0, refused);    // a refusal below the promise is right
  audit.on_send(1, promise(b1));  // another node's promises are its own
  EXPECT_TRUE(audit.failures().empty());
}

// A node that lost its state answers in its new life (a new epoch) above
// what it promised before: fine.
TEST(ProtocolAudit, ANewLifeAboveItsEarlierPromisesPasses) {
  ProtocolAudit audit(5);
  audit.on_send(2, promise(b2));
  audit.forget(2);
  Promise p = promise(b3);
  p.epoch = 1;
  Accepted a = accepted(b3);
  a.epoch = 1;
  audit.on_send(2, p);
  audit.on_send(2, a);
  EXPECT_TRUE(audit.failures().empty());
}

Promise promise_in(const Ballot& b, uint32_t epoch) {
  Promise p = promise(b);
  p.epoch = epoch;
  return p;
}
Accept counting(const Ballot& b, std::vector<Voter> voters) {
  Accept a = accept(b, 10);
  a.voters = std::move(voters);
  return a;
}

// Issue 9's hole at message level: node 2 promised ballot 5 to node 4, node
// 4's accept counted that promise, node 2 lost its state, rejoined with a
// lower fence (epoch 1), and promised node 3's ballot 4.
TEST(ProtocolAudit, AnswerBelowAnAcceptCountingAnEarlierLifeIsReported) {
  ProtocolAudit audit(5);
  const Ballot far{5, 4, 1};
  const Ballot near{4, 3, 1};
  audit.on_send(2, promise_in(far, 0));
  audit.on_send(4, counting(far, {{2, 0}, {4, 0}, {0, 0}}));
  audit.forget(2);
  audit.on_send(2, promise_in(near, 1));
  ASSERT_EQ(audit.failures().size(), 1u);
  EXPECT_EQ(audit.failures()[0].rfind("amnesia: n2 sent a promise for s at ballot 4.3.1 in epoch 1, below an accept "
                                      "at 5.4.1 that counted its promise from epoch 0", 0),
            0u)
      << audit.failures()[0];
}

// The same contradiction the other way round: the accept is sent after the
// new life answered below it (a delayed proposer).
TEST(ProtocolAudit, AcceptCountingAnEarlierLifeAboveItsNewAnswersIsReported) {
  ProtocolAudit audit(5);
  const Ballot far{5, 4, 1};
  const Ballot near{4, 3, 1};
  audit.on_send(2, promise_in(far, 0));
  audit.forget(2);
  audit.on_send(2, promise_in(near, 1));
  EXPECT_TRUE(audit.failures().empty());  // nobody counted the forgotten promise yet
  audit.on_send(4, counting(far, {{2, 0}, {4, 0}, {0, 0}}));
  ASSERT_EQ(audit.failures().size(), 1u);
  EXPECT_EQ(audit.failures()[0].rfind("amnesia: an accept for s at ballot 5.4.1 counted n2's promise from epoch 0, "
                                      "but in epoch 1 it answered ok at 4.3.1", 0),
            0u)
      << audit.failures()[0];
}

// A forgotten promise that no accept counts binds nobody; nor does an accept
// counting the new life, or one below what the new life answered.
TEST(ProtocolAudit, AForgottenPromiseNoAcceptCountsIsNotHeldAgainstTheNextLife) {
  ProtocolAudit audit(5);
  const Ballot far{5, 4, 1};
  const Ballot near{4, 3, 1};
  const Ballot low{3, 3, 1};
  audit.on_send(2, promise_in(far, 0));
  audit.on_send(4, counting(low, {{2, 0}, {4, 0}, {0, 0}}));
  audit.forget(2);
  audit.on_send(2, promise_in(near, 1));
  audit.on_send(3, counting(near, {{2, 1}, {3, 0}, {1, 0}}));
  audit.on_send(4, counting(Ballot{6, 4, 1}, {{2, 1}, {4, 0}, {0, 0}}));
  EXPECT_TRUE(audit.failures().empty()) << audit.failures()[0];
}

// A node that lost its state answers in its new life in the epoch of an
// earlier one (an epoch handed out twice, or a node that founded again).
TEST(ProtocolAudit, AnEpochOfAnEarlierLifeIsReported) {
  ProtocolAudit audit(5);
  audit.on_send(2, promise_in(b1, 0));
  audit.forget(2);
  audit.on_send(2, promise_in(b2, 1));
  EXPECT_TRUE(audit.failures().empty());
  audit.forget(2);
  audit.on_send(2, promise_in(b3, 0));
  ASSERT_EQ(audit.failures().size(), 1u);
  EXPECT_NE(audit.failures()[0].find("in epoch 0 after losing its state (2 times)"), std::string::npos)
      << audit.failures()[0];
}

FenceReply fence_ok(const Ballot& f) {
  FenceReply r;
  r.ok = true;
  r.ballot = f;
  r.max_promised = f;
  return r;
}

// Node 3 rejoins with fence b3, granted by node 1, and serves (it answers
// ok): node 1's later lives must stay above b3, however often it is wiped.
TEST(ProtocolAudit, AFenceGrantedInAnEarlierLifeIsRemembered) {
  ProtocolAudit audit(5);
  audit.on_send(3, FenceRequest{1, b3});
  audit.on_send(1, fence_ok(b3));
  audit.on_send(3, promise_in(Ballot{4, 0, 1}, 1));  // the rejoin completed with b3
  audit.forget(1);
  audit.forget(1);  // wiped twice: the first life still counts
  audit.on_send(1, accepted(b2));
  ASSERT_EQ(audit.failures().size(), 1u);
  EXPECT_NE(audit.failures()[0].find("(2 times)"), std::string::npos) << audit.failures()[0];
  EXPECT_NE(audit.failures()[0].find("granted the fence " + b3.str()), std::string::npos) << audit.failures()[0];
}

// The other order: node 1's new life answers below the fence first, then the
// rejoin it granted completes.
TEST(ProtocolAudit, AFenceCompletedAfterItsGranterForgotIsReported) {
  ProtocolAudit audit(5);
  audit.on_send(3, FenceRequest{1, b3});
  audit.on_send(1, fence_ok(b3));
  audit.forget(1);
  audit.on_send(1, accepted(b2));
  EXPECT_TRUE(audit.failures().empty());
  audit.on_send(3, promise_in(Ballot{4, 0, 1}, 1));
  ASSERT_EQ(audit.failures().size(), 1u);
  EXPECT_EQ(audit.failures()[0].rfind("amnesia: n1 sent an ok answer at ballot " + b2.str(), 0), 0u)
      << audit.failures()[0];
}

// A fence whose rejoin was cut short (node 3 crashed, or moved on to a higher
// fence before serving) was relied on by nobody.
TEST(ProtocolAudit, AFenceOfARejoinCutShortBindsNobody) {
  ProtocolAudit audit(5);
  const Ballot higher{9, 3, 1};
  audit.on_send(3, FenceRequest{1, b3});
  audit.on_send(1, fence_ok(b3));
  audit.on_send(3, FenceRequest{2, higher});  // completes with `higher`, which node 1 never granted
  audit.on_send(3, promise_in(Ballot{10, 0, 1}, 1));
  audit.forget(1);
  audit.on_send(1, accepted(b2));
  audit.on_send(0, FenceRequest{3, Ballot{12, 0, 1}});
  audit.on_send(1, fence_ok(Ballot{12, 0, 1}));
  audit.forget(0);  // node 0 crashed mid-rejoin
  audit.on_send(0, promise_in(Ballot{4, 0, 1}, 2));
  EXPECT_TRUE(audit.failures().empty()) << audit.failures()[0];
}

}  // namespace
}  // namespace rrseq

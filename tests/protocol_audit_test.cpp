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

// A node that lost its state answers in its new life: above what it promised
// before is fine, below it contradicts a promise a proposer may still count.
TEST(ProtocolAudit, ANewLifeAboveItsEarlierPromisesPasses) {
  ProtocolAudit audit(5);
  audit.on_send(2, promise(b2));
  audit.forget(2);
  audit.on_send(2, promise(b3));
  audit.on_send(2, accepted(b3));
  EXPECT_TRUE(audit.failures().empty());
}

// Issue 9's hole at message level: node 2 promised ballot 5 to node 4, lost its
// state, rejoined with a lower fence, and accepted node 3's ballot 4.
TEST(ProtocolAudit, AcceptBelowAPromiseOfAnEarlierLifeIsReported) {
  ProtocolAudit audit(5);
  const Ballot far{5, 4, 1};
  const Ballot near{4, 3, 1};
  audit.on_send(2, promise(far));
  audit.forget(2);
  audit.on_send(2, promise(near));  // the new life promises below: already reported
  audit.on_send(2, accepted(near));
  ASSERT_EQ(audit.failures().size(), 1u);
  EXPECT_EQ(audit.failures()[0].rfind("amnesia: n2 sent a promise for s at ballot 4.3.1 after losing its state", 0),
            0u)
      << audit.failures()[0];
}

// The proposer a node promised itself died with that life: nobody can count it.
TEST(ProtocolAudit, APromiseAnEarlierLifeGaveItselfIsNotHeldAgainstTheNext) {
  ProtocolAudit audit(5);
  audit.on_send(1, promise(b2), 0);
  audit.on_send(1, promise(b3), 1);
  audit.forget(1);
  audit.on_send(1, accepted(b2), 0);  // below its promise to itself, not to node 0
  EXPECT_TRUE(audit.failures().empty());
}

TEST(ProtocolAudit, AFenceGrantedInAnEarlierLifeIsRemembered) {
  ProtocolAudit audit(5);
  FenceReply f;
  f.ok = true;
  f.max_promised = b3;
  audit.on_send(1, f);
  audit.forget(1);
  audit.forget(1);  // wiped twice: the first life still counts
  audit.on_send(1, accepted(b2));
  ASSERT_EQ(audit.failures().size(), 1u);
  EXPECT_NE(audit.failures()[0].find("(2 times)"), std::string::npos) << audit.failures()[0];
}

}  // namespace
}  // namespace rrseq

// The acceptor's promise/accept rules, the rejoin floor and the classic register.
#include "core/acceptor.h"

#include <gtest/gtest.h>

namespace rrseq {
namespace {

Ballot B(uint64_t round, uint32_t node = 0, uint64_t inc = 0) { return Ballot{round, node, inc}; }

DurableState initialized() {
  DurableState s;
  s.initialized = true;
  return s;
}

TEST(Acceptor, FreshSequencePromisesAndReportsNothingAccepted) {
  Acceptor a(initialized(), 0);
  Promise p;
  std::vector<StorageRecord> records;
  a.on_prepare(Prepare{"s", B(1)}, p, records);
  EXPECT_TRUE(p.ok);
  EXPECT_TRUE(p.accepted.is_zero());
  EXPECT_EQ(p.value, 0u);
  ASSERT_EQ(records.size(), 1u);  // the promise must be persisted before the answer
  EXPECT_EQ(std::get<SeqRecord>(records[0]).state.promised, B(1));
}

TEST(Acceptor, LowerBallotIsRefusedWithTheBindingPromise) {
  Acceptor a(initialized(), 0);
  Promise p;
  std::vector<StorageRecord> records;
  a.on_prepare(Prepare{"s", B(5, 1)}, p, records);
  records.clear();
  a.on_prepare(Prepare{"s", B(4, 2)}, p, records);
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.promised, B(5, 1));
  EXPECT_TRUE(records.empty());
  Accepted acc;
  a.on_accept(Accept{"s", B(4, 2), 10, {}, {}}, acc, records);
  EXPECT_FALSE(acc.ok);
  EXPECT_EQ(acc.promised, B(5, 1));
}

TEST(Acceptor, DuplicatePrepareIsAnsweredAlikeWithoutNewRecords) {
  Acceptor a(initialized(), 0);
  Promise p1, p2;
  std::vector<StorageRecord> records;
  a.on_prepare(Prepare{"s", B(3)}, p1, records);
  records.clear();
  a.on_prepare(Prepare{"s", B(3)}, p2, records);
  EXPECT_TRUE(p2.ok);
  EXPECT_TRUE(records.empty());
}

TEST(Acceptor, AcceptedValueIsReportedToTheNextPrepare) {
  Acceptor a(initialized(), 0);
  Promise p;
  Accepted acc;
  std::vector<StorageRecord> records;
  a.on_prepare(Prepare{"s", B(1)}, p, records);
  a.on_accept(Accept{"s", B(1), 11, {}, {}}, acc, records);
  EXPECT_TRUE(acc.ok);
  a.on_prepare(Prepare{"s", B(2, 1)}, p, records);
  EXPECT_TRUE(p.ok);
  EXPECT_EQ(p.accepted, B(1));
  EXPECT_EQ(p.value, 11u);
}

TEST(Acceptor, AcceptWithoutPrepareAtHigherBallotIsTaken) {
  Acceptor a(initialized(), 0);
  Accepted acc;
  std::vector<StorageRecord> records;
  a.on_accept(Accept{"s", B(7), 3, {}, {}}, acc, records);
  EXPECT_TRUE(acc.ok);
  EXPECT_EQ(a.state().sequences.at("s").value, 3u);
}

TEST(Acceptor, FenceFloorsEverySequenceIncludingUnknownOnes) {
  Acceptor a(initialized(), 0);
  Promise p;
  Accepted acc;
  std::vector<StorageRecord> records;
  a.on_prepare(Prepare{"known", B(2)}, p, records);
  FenceReply fr;
  a.on_fence_request(2, FenceRequest{9, B(10, 2, uint64_t{3} << 32)}, fr, records);
  ASSERT_TRUE(fr.ok);
  EXPECT_EQ(fr.states.size(), 1u);
  EXPECT_EQ(a.state().epoch_seen.at(2), 3u);  // the rejoiner's epoch is remembered
  // An in-flight accept below the fence is refused, on a known and an unknown sequence.
  a.on_accept(Accept{"known", B(2), 5, {}, {}}, acc, records);
  EXPECT_FALSE(acc.ok);
  a.on_accept(Accept{"unknown", B(9, 1), 5, {}, {}}, acc, records);
  EXPECT_FALSE(acc.ok);
  a.on_prepare(Prepare{"unknown", B(11, 1)}, p, records);
  EXPECT_TRUE(p.ok);
}

TEST(Acceptor, FenceBelowAnExistingPromiseIsRefused) {
  Acceptor a(initialized(), 0);
  Promise p;
  std::vector<StorageRecord> records;
  a.on_prepare(Prepare{"s", B(20, 1)}, p, records);
  FenceReply fr;
  a.on_fence_request(2, FenceRequest{1, B(10, 2)}, fr, records);
  EXPECT_FALSE(fr.ok);
  EXPECT_EQ(fr.max_promised, B(20, 1));
  EXPECT_TRUE(fr.states.empty());
}

TEST(Acceptor, FenceBelowAnotherRejoinsFloorIsAnsweredAndKeepsTheHigherFloor) {
  // Two rejoins at once (7 nodes, seed 1368): the lower fence asks nothing
  // this node does not refuse already, so it is answered, and the floor stays.
  Acceptor a(initialized(), 0);
  Accepted acc;
  std::vector<StorageRecord> records;
  FenceReply high;
  a.on_fence_request(3, FenceRequest{1, B(2000, 3, uint64_t{2} << 32)}, high, records);
  ASSERT_TRUE(high.ok);
  records.clear();
  FenceReply low;
  a.on_fence_request(2, FenceRequest{1, B(1000, 2, uint64_t{4} << 32)}, low, records);
  EXPECT_TRUE(low.ok);
  EXPECT_EQ(a.state().floor, B(2000, 3, uint64_t{2} << 32));
  EXPECT_EQ(low.max_promised, B(2000, 3, uint64_t{2} << 32));
  for (const auto& r : records) EXPECT_FALSE(std::holds_alternative<FloorRecord>(r));  // nothing lower to persist
  a.on_accept(Accept{"s", B(1500, 1), 5, {}, {}}, acc, records);
  EXPECT_FALSE(acc.ok);  // still below the higher floor
}

TEST(Acceptor, NodeWithoutStateOffersNoEpochAndNoFence) {
  Acceptor a{DurableState{}, 0};
  EpochReply er;
  FenceReply fr;
  std::vector<StorageRecord> records;
  a.on_epoch_request(1, EpochRequest{4}, er, records);
  EXPECT_FALSE(er.initialized);
  a.on_fence_request(1, FenceRequest{4, B(3, 1)}, fr, records);
  EXPECT_FALSE(fr.ok);
  EXPECT_TRUE(records.empty());
}

TEST(Acceptor, EpochCounterGrowsOnEveryRequest) {
  Acceptor a(initialized(), 0);
  EpochReply r1, r2;
  std::vector<StorageRecord> records;
  a.on_epoch_request(1, EpochRequest{1}, r1, records);
  a.on_epoch_request(1, EpochRequest{2}, r2, records);
  EXPECT_LT(r1.epoch, r2.epoch);
  EXPECT_EQ(records.size(), 2u);
}

TEST(Acceptor, ClassicWriteOnlyRaisesTheValue) {
  Acceptor a(initialized(), 0);
  ClassicWriteReply w;
  ClassicReadReply r;
  std::vector<StorageRecord> records;
  a.on_classic_write(ClassicWrite{"s", 1, 11}, w, records);
  a.on_classic_write(ClassicWrite{"s", 2, 6}, w, records);
  a.on_classic_read(ClassicRead{"s", 3}, r);
  EXPECT_EQ(r.value, 11u);
}

TEST(Acceptor, AdoptTakesLearnedStateAndMarksInitialized) {
  Acceptor a{DurableState{}, 0};
  std::map<std::string, SeqState> learned;
  learned["s"] = SeqState{"s", B(4), B(4), 40};
  std::vector<StorageRecord> records;
  a.adopt(learned, B(9, 2), {}, records);
  EXPECT_TRUE(a.state().initialized);
  EXPECT_EQ(a.state().sequences.at("s").value, 40u);
  EXPECT_EQ(a.promised("s"), B(9, 2));
  EXPECT_EQ(a.max_promised(), B(9, 2));
}

}  // namespace
}  // namespace rrseq

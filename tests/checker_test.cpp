// The checker must catch each kind of violation, name the IDs, and stay quiet on
// correct histories (including the edge cases the contract allows).
#include "harness/checker.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace rrseq {
namespace {

GrantRecord grant(uint32_t client, uint64_t request, TimeUs sent, TimeUs received, uint64_t from,
                  uint64_t to) {
  return GrantRecord{client, request, sent, received, from, to};
}

// Reader 0's Current (at_least 0) or Advance, answered with `bound`.
BoundRecord bound(uint64_t request, TimeUs sent, TimeUs received, uint64_t value, uint64_t at_least = 0) {
  return BoundRecord{0, request, sent, received, at_least, value};
}

std::set<std::string> properties(const CheckReport& r) {
  std::set<std::string> out;
  for (const Violation& v : r.violations) out.insert(v.property);
  return out;
}

const Violation* find(const CheckReport& r, const std::string& property) {
  for (const Violation& v : r.violations) {
    if (v.property == property) return &v;
  }
  return nullptr;
}

bool names_id(const Violation& v, uint64_t id) {
  return std::find(v.ids.begin(), v.ids.end(), id) != v.ids.end();
}

std::string dump(const CheckReport& r) {
  std::string s;
  for (const Violation& v : r.violations) s += v.property + ": " + v.detail + "\n";
  return s;
}

// One client takes 1..8 from two sequential grants.
History clean_history() {
  History h;
  h.grants = {grant(0, 1, 100, 200, 1, 5), grant(0, 2, 300, 400, 5, 9)};
  for (uint64_t id = 1; id <= 8; ++id) h.consumed.push_back({0, 200 + id * 10, id});
  return h;
}

TEST(Checker, CleanHistoryPasses) {
  History h = clean_history();
  h.calm = true;
  h.live_clients = {0};
  h.heal_us = 250;
  h.liveness_bound_us = 1000;
  CheckReport r = check_history(h);
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.grants, 2u);
  EXPECT_EQ(r.ids_granted, 8u);
  EXPECT_EQ(r.ids_consumed, 8u);
  EXPECT_EQ(r.id_high, 8u);
  EXPECT_EQ(r.ids_skipped, 0u);
}

TEST(Checker, EmptyHistoryPasses) {
  History h;
  h.calm = true;
  CheckReport r = check_history(h);
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.id_high, 0u);
  EXPECT_EQ(r.ids_skipped, 0u);
}

TEST(Checker, AdjacentGrantsAreNotDuplicates) {
  History h;
  h.grants = {grant(1, 1, 0, 10, 5, 9), grant(0, 1, 0, 10, 1, 5)};
  CheckReport r = check_history(h);
  EXPECT_TRUE(r.ok()) << dump(r);
}

TEST(Checker, OverlappingGrantsAreG1) {
  History h;
  h.grants = {grant(2, 5, 1000, 1234, 10, 20), grant(0, 9, 1000, 1250, 15, 18)};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G1"}) << dump(r);
  const Violation* v = find(r, "G1");
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(names_id(*v, 15)) << dump(r);
  EXPECT_TRUE(names_id(*v, 16)) << dump(r);
  EXPECT_FALSE(names_id(*v, 14)) << dump(r);
  EXPECT_FALSE(names_id(*v, 18)) << dump(r);
  EXPECT_NE(v->detail.find("id 15 granted twice"), std::string::npos) << v->detail;
  EXPECT_NE(v->detail.find("client 2 request 5 [10,20)"), std::string::npos) << v->detail;
  EXPECT_NE(v->detail.find("client 0 request 9 [15,18)"), std::string::npos) << v->detail;
  EXPECT_EQ(r.id_high, 19u);
  EXPECT_EQ(r.ids_skipped, 9u);  // 1..9; 10..19 granted (some twice)
}

TEST(Checker, IdenticalGrantsAreG1) {
  History h;
  h.grants = {grant(0, 1, 0, 10, 1, 3), grant(1, 1, 0, 10, 1, 3)};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G1"}) << dump(r);
  EXPECT_TRUE(names_id(*find(r, "G1"), 1));
  EXPECT_EQ(r.ids_skipped, 0u);  // duplicates do not make ids_skipped negative
}

TEST(Checker, InvalidRangesAreG1) {
  for (const GrantRecord& bad : {grant(0, 1, 0, 10, 0, 5), grant(0, 1, 0, 10, 7, 7),
                                 grant(0, 1, 0, 10, 9, 3)}) {
    History h;
    h.grants = {bad};
    CheckReport r = check_history(h);
    EXPECT_EQ(properties(r), std::set<std::string>{"G1"}) << dump(r);
    EXPECT_EQ(find(r, "G1")->detail.rfind("invalid range", 0), 0u) << dump(r);
  }
}

TEST(Checker, ViolationsAreCappedPerProperty) {
  History h;
  for (uint64_t i = 0; i < 100; ++i) h.grants.push_back(grant(0, i, 0, 10, 1, 2));
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G1"}) << dump(r);
  EXPECT_LE(r.violations.size(), 5u);
  EXPECT_NE(r.violations.back().detail.find("more G1 violations"), std::string::npos);
}

TEST(Checker, ConsumedOutOfOrderIsG2) {
  History h;
  h.grants = {grant(3, 1, 0, 10, 1, 10)};
  h.consumed = {{3, 20, 2}, {3, 21, 7}, {3, 22, 5}};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G2"}) << dump(r);
  const Violation* v = find(r, "G2");
  EXPECT_TRUE(names_id(*v, 7));
  EXPECT_TRUE(names_id(*v, 5));
  EXPECT_NE(v->detail.find("client 3"), std::string::npos) << v->detail;
}

TEST(Checker, ConsumedTwiceIsG2) {
  History h;
  h.grants = {grant(0, 1, 0, 10, 1, 10)};
  h.consumed = {{0, 20, 4}, {0, 21, 4}};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G2"}) << dump(r);
  EXPECT_TRUE(names_id(*find(r, "G2"), 4));
}

TEST(Checker, OrderIsPerClient) {
  History h;
  h.grants = {grant(0, 1, 0, 10, 1, 5), grant(1, 1, 0, 10, 5, 9)};
  h.consumed = {{1, 20, 5}, {0, 21, 1}, {1, 22, 6}, {0, 23, 2}};
  CheckReport r = check_history(h);
  EXPECT_TRUE(r.ok()) << dump(r);
}

TEST(Checker, ConsumingAnotherClientsIdIsG2) {
  History h;
  h.grants = {grant(0, 1, 0, 10, 1, 5), grant(1, 1, 0, 10, 5, 9)};
  h.consumed = {{0, 20, 1}, {0, 21, 6}};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G2"}) << dump(r);
  const Violation* v = find(r, "G2");
  EXPECT_TRUE(names_id(*v, 6));
  EXPECT_NE(v->detail.find("consumed ID never granted to this client"), std::string::npos);
}

TEST(Checker, ConsumedIdBetweenGrantsIsG2) {
  History h;
  h.grants = {grant(0, 1, 0, 10, 1, 5), grant(0, 2, 20, 30, 10, 12)};
  h.consumed = {{0, 40, 7}, {0, 41, 12}};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G2"}) << dump(r);
  EXPECT_EQ(r.violations.size(), 2u) << dump(r);
}

TEST(Checker, LaterRequestBelowEarlierGrantIsG3) {
  History h;
  // Client 0's grant completed at 200; client 1 asked at 300 and got lower IDs.
  h.grants = {grant(0, 1, 100, 200, 10, 20), grant(1, 4, 300, 400, 1, 10)};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G3"}) << dump(r);
  const Violation* v = find(r, "G3");
  EXPECT_TRUE(names_id(*v, 1));
  EXPECT_NE(v->detail.find("client 0 request 1 [10,20)"), std::string::npos) << v->detail;
  EXPECT_NE(v->detail.find("client 1 request 4 [1,10)"), std::string::npos) << v->detail;
}

TEST(Checker, G3FindsTheHighestEarlierGrant) {
  History h;
  h.grants = {grant(0, 1, 0, 10, 50, 60), grant(1, 1, 20, 30, 1, 5),
              grant(1, 2, 40, 50, 60, 65), grant(2, 1, 100, 110, 5, 9)};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G3"}) << dump(r);
  // [1,5) was sent after [50,60) completed; [5,9) after [60,65).
  EXPECT_EQ(r.violations.size(), 2u) << dump(r);
}

TEST(Checker, ConcurrentRequestsMayBeOutOfOrder) {
  History h;
  // B was sent before A completed, so they are concurrent: any order is fine.
  h.grants = {grant(0, 1, 100, 200, 10, 20), grant(1, 1, 150, 400, 1, 10)};
  CheckReport r = check_history(h);
  EXPECT_TRUE(r.ok()) << dump(r);
}

TEST(Checker, G3IsStrictAtEqualTimes) {
  History h;
  // A.received_us == B.sent_us: A did not complete strictly before B was sent.
  h.grants = {grant(0, 1, 100, 200, 10, 20), grant(1, 1, 200, 300, 1, 10)};
  CheckReport r = check_history(h);
  EXPECT_TRUE(r.ok()) << dump(r);
}

TEST(Checker, CurrentAndAdvanceConsistentWithGrantsPass) {
  History h = clean_history();  // [1,5) received at 200, [5,9) sent at 300
  h.bounds = {bound(1, 210, 250, 5), bound(2, 260, 290, 5), bound(3, 410, 450, 9),
              bound(4, 300, 500, 9),                 // concurrent with [5,9): either bound is fine
              bound(5, 460, 470, 20, 20), bound(6, 480, 490, 20)};
  h.grants.push_back(grant(0, 3, 480, 500, 20, 25));  // after the Advance: from 20 up
  CheckReport r = check_history(h);
  EXPECT_TRUE(r.ok()) << dump(r);
}

TEST(Checker, CurrentBelowAnEarlierGrantIsG3) {
  History h = clean_history();
  h.bounds = {bound(1, 250, 260, 4)};  // [1,5) was received at 200: the bound is at least 5
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G3"}) << dump(r);
  const Violation* v = find(r, "G3");
  EXPECT_TRUE(names_id(*v, 4));
  EXPECT_NE(v->detail.find("client 0 request 1 [1,5) received at 200us but later reader 0 request 1 Current bound 4"),
            std::string::npos)
      << v->detail;
}

TEST(Checker, GrantBelowAnEarlierCurrentIsG3) {
  History h = clean_history();
  h.bounds = {bound(1, 210, 250, 7)};  // read 7 before [5,9) was sent at 300
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G3"}) << dump(r);
  const Violation* v = find(r, "G3");
  EXPECT_TRUE(names_id(*v, 5));
  EXPECT_NE(v->detail.find("has ids below 7"), std::string::npos) << v->detail;
}

TEST(Checker, CurrentGoingBackwardsIsG3) {
  History h;
  h.bounds = {bound(1, 10, 20, 30), bound(2, 30, 40, 29)};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G3"}) << dump(r);
  EXPECT_NE(find(r, "G3")->detail.find("request 2 Current bound 29"), std::string::npos) << dump(r);
}

TEST(Checker, AdvanceBelowItsValueIsReported) {
  History h;
  h.bounds = {bound(1, 10, 20, 15, 16)};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"advance"}) << dump(r);
  const Violation* v = find(r, "advance");
  EXPECT_TRUE(names_id(*v, 15));
  EXPECT_TRUE(names_id(*v, 16));
  EXPECT_NE(v->detail.find("Advance to 16 bound 15"), std::string::npos) << v->detail;
}

TEST(Checker, GrantBelowAnEarlierAdvanceIsG3) {
  History h;
  h.bounds = {bound(1, 10, 20, 100, 100)};
  h.grants = {grant(0, 1, 30, 40, 50, 60)};  // asked after the Advance to 100 was answered
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G3"}) << dump(r);
  EXPECT_TRUE(names_id(*find(r, "G3"), 50));
}

TEST(Checker, CalmHistoryWithGapIsG5) {
  History h = clean_history();
  h.calm = true;
  h.grants[1] = grant(0, 2, 300, 400, 7, 11);
  h.consumed = {{0, 210, 1}, {0, 220, 2}};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G5"}) << dump(r);
  const Violation* v = find(r, "G5");
  EXPECT_EQ(v->ids.front(), 5u) << dump(r);
  EXPECT_TRUE(names_id(*v, 6));
  EXPECT_EQ(r.ids_skipped, 2u);
}

TEST(Checker, CalmHistoryNotStartingAtOneIsG5) {
  History h;
  h.calm = true;
  h.grants = {grant(0, 1, 0, 10, 3, 6)};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G5"}) << dump(r);
  EXPECT_EQ(find(r, "G5")->ids.front(), 1u);
}

TEST(Checker, CalmConsumptionMustBeOneTwoThree) {
  History h = clean_history();
  h.calm = true;
  h.consumed = {{0, 210, 1}, {0, 220, 3}, {0, 230, 4}};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"G5"}) << dump(r);
  EXPECT_TRUE(names_id(*find(r, "G5"), 2));
}

TEST(Checker, GapWithoutCalmIsCountedNotReported) {
  History h = clean_history();
  h.grants[1] = grant(0, 2, 300, 400, 7, 11);
  h.consumed = {{0, 210, 1}, {0, 220, 7}};
  CheckReport r = check_history(h);
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.id_high, 10u);
  EXPECT_EQ(r.ids_granted, 8u);
  EXPECT_EQ(r.ids_skipped, 2u);
}

TEST(Checker, LiveClientWithOnlyPreHealGrantsIsLive) {
  History h = clean_history();
  h.heal_us = 1000;
  h.liveness_bound_us = 500;
  h.live_clients = {0};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"live"}) << dump(r);
  EXPECT_NE(find(r, "live")->detail.find("client 0"), std::string::npos);
}

TEST(Checker, GrantAfterTheBoundIsLive) {
  History h = clean_history();
  h.grants.push_back(grant(0, 3, 1100, 1600, 9, 12));
  h.heal_us = 1000;
  h.liveness_bound_us = 500;  // deadline 1500
  h.live_clients = {0};
  CheckReport r = check_history(h);
  EXPECT_EQ(properties(r), std::set<std::string>{"live"}) << dump(r);
  EXPECT_TRUE(names_id(*find(r, "live"), 9));

  h.grants.back().received_us = 1500;  // exactly at the deadline: fine
  EXPECT_TRUE(check_history(h).ok());
}

TEST(Checker, LivenessNamesOnlyTheStuckClient) {
  History h;
  h.grants = {grant(0, 1, 1000, 1100, 1, 5), grant(1, 1, 900, 1100, 5, 9)};
  h.heal_us = 1000;
  h.liveness_bound_us = 500;
  h.live_clients = {0, 1, 0};
  CheckReport r = check_history(h);
  ASSERT_EQ(r.violations.size(), 1u) << dump(r);
  EXPECT_EQ(r.violations[0].property, "live");
  EXPECT_NE(r.violations[0].detail.find("client 1 "), std::string::npos);
}

// A correct sequential allocator: each request is sent after the previous reply.
History sequential_history() {
  const auto clients = *rc::gen::inRange<uint32_t>(1, 6);
  const auto count = *rc::gen::inRange<size_t>(1, 40);
  History h;
  uint64_t next = 1;
  TimeUs now = 0;
  std::vector<uint64_t> requests(clients, 0);
  for (size_t i = 0; i < count; ++i) {
    const auto client = *rc::gen::inRange<uint32_t>(0, clients);
    const auto size = *rc::gen::inRange<uint64_t>(1, 20);
    const TimeUs sent = now + *rc::gen::inRange<TimeUs>(0, 10);
    const TimeUs received = sent + *rc::gen::inRange<TimeUs>(0, 10);
    now = received;
    h.grants.push_back(grant(client, ++requests[client], sent, received, next, next + size));
    // The client takes some prefix of its new range.
    const auto taken = *rc::gen::inRange<uint64_t>(0, size + 1);
    for (uint64_t id = next; id < next + taken; ++id) h.consumed.push_back({client, now, id});
    next += size;
  }
  return h;
}

RC_GTEST_PROP(CheckerProperty, SequentialAllocatorPasses, ()) {
  const History h = sequential_history();
  const CheckReport r = check_history(h);
  RC_ASSERT(r.ok());
  RC_ASSERT(r.ids_skipped == 0u);
  RC_ASSERT(r.id_high == h.grants.back().to - 1);
}

RC_GTEST_PROP(CheckerProperty, InjectedDuplicateIsG1, ()) {
  History h = sequential_history();
  const auto victim = *rc::gen::inRange<size_t>(0, h.grants.size());
  GrantRecord copy = h.grants[victim];
  const TimeUs last = h.grants.back().received_us;
  copy.client = copy.client + 1 + *rc::gen::inRange<uint32_t>(0, 5);
  copy.request = 1000;
  copy.sent_us = last + 1 + *rc::gen::inRange<TimeUs>(0, 10);
  copy.received_us = copy.sent_us + *rc::gen::inRange<TimeUs>(0, 10);
  h.grants.push_back(copy);
  const CheckReport r = check_history(h);
  const Violation* v = find(r, "G1");
  RC_ASSERT(v != nullptr);
  RC_ASSERT(names_id(*v, copy.from));
}

// A partial heal: five nodes, and the ones up and connected with their state.
// Liveness is owed once they are a majority, to the clients that reach them.
TEST(Checker, LivenessIsOwedOnlyOnceAMajorityWithStateIsConnected) {
  History h;
  h.nodes = 5;
  h.heal_us = 1000;
  h.liveness_bound_us = 500;
  h.live_clients = {0};
  h.grants = {grant(0, 1, 100, 200, 1, 5)};  // before the heal only
  h.heal_nodes = {0, 1};
  EXPECT_TRUE(check_history(h).ok()) << dump(check_history(h));
  h.heal_nodes = {0, 1, 3};
  const CheckReport r = check_history(h);
  const Violation* v = find(r, "live");
  ASSERT_NE(v, nullptr) << dump(r);
  EXPECT_NE(v->detail.find("with n0 n1 n3 up and connected"), std::string::npos) << v->detail;
  h.grants.push_back(grant(0, 2, 1000, 1400, 5, 9));
  EXPECT_TRUE(check_history(h).ok()) << dump(check_history(h));
}

}  // namespace
}  // namespace rrseq

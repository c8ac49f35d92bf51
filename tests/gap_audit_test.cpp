// G5 under faults: the gap audit, fed histories with a known violation and legitimate ones.
#include "transport_sim/gap_audit.h"

#include <gtest/gtest.h>

namespace rrseq {
namespace {

// Client 1 asks for `count` IDs of "s" as request `request`.
ClientRequest request(uint64_t request, uint64_t count) { return ClientRequest{1, request, "s", count}; }
// ... after lifting the sequence to at least `at_least` (an Advance).
ClientRequest advance(uint64_t request, uint64_t at_least, uint64_t count = 0) {
  return ClientRequest{1, request, "s", count, false, at_least};
}
ClientReply grant(uint64_t request, uint64_t from, uint64_t to) { return ClientReply{1, request, Status::ok, from, to}; }
Accept accept(uint64_t value) { return Accept{"s", Ballot{value, 0, 1}, value, {}, {}}; }

TEST(GapAudit, GapFreeGrantsPass) {
  GapAudit gaps;
  gaps.on_request(request(1, 3));
  gaps.on_request(request(2, 2));
  gaps.on_send(PeerMessage{accept(6)});
  gaps.on_reply(grant(1, 1, 4));  // one batch tiling [1, 6)
  gaps.on_reply(grant(2, 4, 6));
  EXPECT_EQ(gaps.check(), "");
}

TEST(GapAudit, AWholeLostProposalIsALegitimateGap) {
  GapAudit gaps;
  for (uint64_t r = 1; r <= 3; ++r) gaps.on_request(request(r, 2));
  gaps.on_send(PeerMessage{accept(3)});
  gaps.on_reply(grant(1, 1, 3));
  gaps.on_send(PeerMessage{accept(5)});  // its round failed: [3, 5) is lost
  gaps.on_send(PeerMessage{ClassicWrite{"s", 1, 7}});
  gaps.on_reply(grant(3, 5, 7));    // the next round read 5
  gaps.on_reply(grant(2, 1, 3));    // a retry answered twice, overlapping: no gap
  EXPECT_EQ(gaps.check(), "");
}

TEST(GapAudit, AFreshSequenceMayStartAboveOneOnlyAtAProposedValue) {
  GapAudit gaps;
  gaps.on_request(request(1, 2));
  gaps.on_send(PeerMessage{accept(4)});
  gaps.on_send(PeerMessage{accept(6)});
  gaps.on_reply(grant(1, 4, 6));  // the round proposing 4 was lost
  EXPECT_EQ(gaps.check(), "");
}

TEST(GapAudit, AGrantOneIdLateIsReported) {
  // Mutant 29's shape: a proposal [5, 9) found again is granted from 6.
  GapAudit gaps;
  gaps.on_request(request(1, 4));
  gaps.on_request(request(2, 4));
  gaps.on_send(PeerMessage{accept(5)});
  gaps.on_reply(grant(1, 1, 5));
  gaps.on_send(PeerMessage{accept(9)});
  gaps.on_send(PeerMessage{accept(10)});
  gaps.on_reply(grant(2, 6, 10));
  EXPECT_EQ(gaps.check(),
            "gap: IDs 5..5 of s were skipped, but no Accept proposed the value 6 at its end, nor did an Advance "
            "ask for it (a failed round loses its whole range, never a part)");
}

TEST(GapAudit, APartOfABatchMissingIsReported) {
  GapAudit gaps;
  for (uint64_t r = 1; r <= 3; ++r) gaps.on_request(request(r, 2));
  gaps.on_send(PeerMessage{accept(7)});
  gaps.on_reply(grant(1, 1, 3));  // the batch [1, 7) without its middle grant
  gaps.on_reply(grant(3, 5, 7));
  EXPECT_NE(gaps.check().find("no Accept proposed the value 3 at its start"), std::string::npos);
}

TEST(GapAudit, AnAdvanceExplainsTheGapBeforeIt) {
  // One batch: [1, 3), an Advance to 10, then [10, 12).
  GapAudit gaps;
  gaps.on_request(request(1, 2));
  gaps.on_request(advance(2, 10));
  gaps.on_request(request(3, 2));
  gaps.on_send(PeerMessage{accept(12)});
  gaps.on_reply(grant(1, 1, 3));
  gaps.on_reply(ClientReply{1, 2, Status::ok, 10, 10});
  gaps.on_reply(grant(3, 10, 12));
  EXPECT_EQ(gaps.check(), "");
}

TEST(GapAudit, AnAdvanceThenALostRoundIsOneLegitimateGap) {
  // Seed 161's shape: [1, 8) and an Advance to 13 in one round, then the round
  // proposing 229 from 13 is lost: [8, 13) and [13, 229) are one gap.
  GapAudit gaps;
  gaps.on_request(request(1, 7));
  gaps.on_request(advance(2, 13));
  gaps.on_request(request(3, 2));
  gaps.on_send(PeerMessage{accept(13)});
  gaps.on_reply(grant(1, 1, 8));
  gaps.on_send(PeerMessage{accept(229)});
  gaps.on_send(PeerMessage{accept(231)});
  gaps.on_reply(grant(3, 229, 231));
  EXPECT_EQ(gaps.check(), "");
}

TEST(GapAudit, AnAdvanceDoesNotExplainAGrantStartingAnywhere) {
  // After the Advance to 10 the batch tiles [10, 12); a grant from 20 is not explained.
  GapAudit gaps;
  gaps.on_request(request(1, 2));
  gaps.on_request(advance(2, 10, 2));
  gaps.on_request(request(3, 2));
  gaps.on_send(PeerMessage{accept(12)});
  gaps.on_send(PeerMessage{accept(22)});
  gaps.on_reply(grant(1, 1, 3));
  gaps.on_reply(grant(3, 20, 22));
  EXPECT_NE(gaps.check().find("no Accept proposed the value 20 at its end"), std::string::npos) << gaps.check();
}

TEST(GapAudit, RefusalsAndUnknownRequestsGrantNothing) {
  GapAudit gaps;
  gaps.on_request(request(1, 2));
  gaps.on_reply(ClientReply{1, 1, Status::timeout, 0, 0});
  gaps.on_reply(ClientReply{9, 9, Status::ok, 40, 42});  // no node received request 9 of client 9
  EXPECT_EQ(gaps.check(), "");
}

}  // namespace
}  // namespace rrseq

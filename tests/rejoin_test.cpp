// The rejoin's fence step on its own: which answers complete it, which move it higher.
#include "core/rejoin.h"

#include <gtest/gtest.h>

namespace rrseq {
namespace {

// A rejoin of node 6 of 7 past its epoch step: every peer answered with state.
struct Fencing {
  NodeConfig cfg;
  Rng rng{7};
  std::vector<PeerSend> out;
  std::unique_ptr<Rejoin> rejoin;
  Ballot fence;
  uint64_t attempt = 0;

  Fencing() {
    cfg.self = 6;
    cfg.nodes = 7;
    rejoin = std::make_unique<Rejoin>(cfg, 1, rng, 0, out);
    const uint64_t asked = std::get<EpochRequest>(out.at(0).msg).attempt;
    out.clear();
    for (uint32_t n = 0; n < 6 && !has_fence(); ++n) {
      EpochReply r;
      r.attempt = asked;
      r.initialized = true;
      r.epoch = 2;
      r.max_promised = Ballot{40, 1, 1};
      EXPECT_FALSE(rejoin->on_epoch_reply(n, r, out));
    }
  }
  bool has_fence() {
    for (const auto& s : out) {
      if (const auto* f = std::get_if<FenceRequest>(&s.msg)) {
        fence = f->ballot;
        attempt = f->attempt;
        return true;
      }
    }
    return false;
  }
  std::optional<RejoinOutcome> answer(uint32_t from, bool ok, Ballot promised = {}) {
    FenceReply r;
    r.attempt = attempt;
    r.ballot = fence;
    r.ok = ok;
    r.max_promised = ok ? fence : promised;
    out.clear();
    return rejoin->on_fence_reply(from, r, out);
  }
};

TEST(Rejoin, TheFenceLiesAboveEveryPromiseReported) {
  Fencing f;
  ASSERT_FALSE(f.fence.is_zero());
  EXPECT_EQ(f.fence.round, 40 + fence_round_margin);
  EXPECT_EQ(f.fence.incarnation, uint64_t{2} << 32);
}

TEST(Rejoin, ARefusalDoesNotRestartTheFenceWhileAMajorityCanStillAnswerOk) {
  Fencing f;
  const Ballot first = f.fence;
  EXPECT_FALSE(f.answer(0, false, Ballot{5000, 0, 1}));
  EXPECT_TRUE(f.out.empty());  // no new fence
  EXPECT_FALSE(f.answer(1, true));
  EXPECT_FALSE(f.answer(2, true));
  EXPECT_FALSE(f.answer(3, true));
  auto done = f.answer(4, true);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->floor, first);
}

TEST(Rejoin, ALaterRefusalFromAPeerThatAnsweredOkIsIgnored) {
  Fencing f;
  EXPECT_FALSE(f.answer(0, true));
  EXPECT_FALSE(f.answer(0, false, Ballot{5000, 0, 1}));  // a resend, answered after a higher promise
  EXPECT_FALSE(f.answer(1, false, Ballot{5000, 1, 1}));
  EXPECT_FALSE(f.answer(2, false, Ballot{5000, 2, 1}));
  EXPECT_TRUE(f.out.empty());  // 0, 3, 4, 5 can still make the majority of the others
  EXPECT_FALSE(f.answer(3, true));
  EXPECT_FALSE(f.answer(4, true));
  EXPECT_TRUE(f.answer(5, true));
}

TEST(Rejoin, OnceAMajorityCannotAnswerOkTheFenceMovesAboveWhatTheyReported) {
  Fencing f;
  EXPECT_FALSE(f.answer(0, false, Ballot{3000, 0, 1}));
  EXPECT_FALSE(f.answer(1, false, Ballot{5000, 1, 1}));
  EXPECT_FALSE(f.answer(2, false, Ballot{4000, 2, 1}));  // only 3 of the 4 needed remain
  ASSERT_TRUE(f.has_fence());
  EXPECT_EQ(f.fence.round, 5000 + fence_round_margin);
}

// Seed 3536 on 7 nodes: the peers still silent may never answer, so a
// refusal that outlasts a resend moves the fence up anyway.
TEST(Rejoin, ARefusalStillStandingAtTheNextResendMovesTheFenceUp) {
  Fencing f;
  EXPECT_FALSE(f.answer(0, true));
  EXPECT_FALSE(f.answer(1, true));
  EXPECT_FALSE(f.answer(2, false, Ballot{5000, 2, 1}));
  EXPECT_TRUE(f.out.empty());
  f.rejoin->on_timer(f.cfg.rejoin_retry_us, f.out);
  ASSERT_TRUE(f.has_fence());
  EXPECT_EQ(f.fence.round, 5000 + fence_round_margin);
}

TEST(Rejoin, WithoutRefusalsAResendAsksForTheSameFence) {
  Fencing f;
  const Ballot first = f.fence;
  EXPECT_FALSE(f.answer(0, true));
  f.rejoin->on_timer(f.cfg.rejoin_retry_us, f.out);
  ASSERT_TRUE(f.has_fence());
  EXPECT_EQ(f.fence, first);
}

// Step 4: a serving node needs only enough oks to meet every majority of the
// others (3 of 6 on 7 nodes), and keeps the epoch it was given.
TEST(Rejoin, AReepochCompletesWithThreeOfSixOthers) {
  NodeConfig cfg;
  cfg.self = 6;
  cfg.nodes = 7;
  Rng rng{7};
  std::vector<PeerSend> out;
  Rejoin r(cfg, 1, rng, 0, Reepoch{5, 900}, out);
  ASSERT_EQ(out.size(), 6u);
  const auto& req = std::get<FenceRequest>(out[0].msg);
  EXPECT_EQ(req.ballot, (Ballot{900, 6, uint64_t{5} << 32}));
  EXPECT_EQ(r.fencing_epoch(), 5u);
  FenceReply ok;
  ok.attempt = req.attempt;
  ok.ballot = req.ballot;
  ok.ok = true;
  EXPECT_FALSE(r.on_fence_reply(0, ok, out));
  EXPECT_FALSE(r.on_fence_reply(1, ok, out));
  const auto done = r.on_fence_reply(2, ok, out);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->epoch, 5u);
  EXPECT_FALSE(done->bootstrap);
}

}  // namespace
}  // namespace rrseq

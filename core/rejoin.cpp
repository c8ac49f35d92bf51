#include "core/rejoin.h"

#include <algorithm>

namespace rrseq {
namespace {
// Attempt ids start at a random point below 2^48, so the ++attempt_ of a
// rejoin never wraps, and answers meant for an earlier life of this node are
// not mistaken for answers to this one.
constexpr unsigned attempt_start_drop_bits = 16;
uint64_t first_attempt_id(Rng& rng) { return rng.next() >> attempt_start_drop_bits; }
}  // namespace

Rejoin::Rejoin(const NodeConfig& cfg, uint64_t nonce, Rng& rng, TimeUs now, std::vector<PeerSend>& out)
    : cfg_(cfg), nonce_(nonce), oks_needed_(others_majority()) {
  first_attempt_ = attempt_ = first_attempt_id(rng);
  resend_at_us_ = now + cfg_.rejoin_retry_us;
  send_step(out);
}

Rejoin::Rejoin(const NodeConfig& cfg, uint64_t nonce, Rng& rng, TimeUs now, const Reepoch& to,
               std::vector<PeerSend>& out)
    : cfg_(cfg), nonce_(nonce), oks_needed_(cfg.nodes - others_majority()), aware_(true), epoch_(to.epoch) {
  first_attempt_ = attempt_ = first_attempt_id(rng);
  resend_at_us_ = now + cfg_.rejoin_retry_us;
  start_fence(to.round, out);
}

void Rejoin::send_step(std::vector<PeerSend>& out) {
  for (uint32_t n = 0; n < cfg_.nodes; ++n) {
    if (n == cfg_.self) continue;
    if (step_ == Step::epoch) {
      out.push_back(PeerSend{n, EpochRequest{attempt_, nonce_}});
    } else {
      out.push_back(PeerSend{n, FenceRequest{attempt_, fence_}});
    }
  }
}

void Rejoin::on_timer(TimeUs now, std::vector<PeerSend>& out) {
  if (now < resend_at_us_) return;
  resend_at_us_ = now + cfg_.rejoin_retry_us;
  // Refusals that outlast a resend move the fence up even while the peers
  // still silent could complete it: they may never answer (seed 3536 on 7
  // nodes: two oks, two refusals, the rest down or cut off, for good).
  if (step_ == Step::fence && !fence_nacks_.empty()) {
    start_fence(std::max(fence_.round, refused_round_) + fence_round_margin, out);
    return;
  }
  ++attempt_;
  send_step(out);  // fence answers already in stay valid: they answer the same ballot
}

std::optional<RejoinOutcome> Rejoin::on_epoch_reply(uint32_t from, const EpochReply& m,
                                                    std::vector<PeerSend>& out) {
  if (step_ != Step::epoch || m.attempt < first_attempt_ || m.attempt > attempt_ ||
      from == cfg_.self || from >= cfg_.nodes) {
    return std::nullopt;
  }
  aware_ |= m.initialized;
  // A peer's counter only grows, so its latest answer is the one to keep.
  auto& kept = epoch_replies_[from];
  if (!m.initialized || m.epoch >= kept.epoch) kept = m;
  return decide(out);
}

std::optional<RejoinOutcome> Rejoin::decide(std::vector<PeerSend>& out) {
  uint32_t initialized = 0;
  bool founder = false;
  uint32_t epoch = 0;
  uint64_t round = 0;
  std::map<uint32_t, uint64_t> empty;  // peer -> nonce
  for (const auto& [peer, r] : epoch_replies_) {
    if (r.initialized) {
      ++initialized;
      founder |= r.founder;
      epoch = std::max(epoch, r.epoch);
      round = std::max(round, r.max_promised.round);
    } else if (!r.lost_state) {
      empty[peer] = r.nonce;
    }
  }
  // A node that knows it lost state must not count itself as empty: what it lost
  // may have been part of the quorum behind IDs already granted.
  if (!cfg_.lost_state && (founder || (!aware_ && empty.size() + 1 >= majority(cfg_.nodes)))) {
    RejoinOutcome o;
    o.bootstrap = true;
    o.founder = founder;
    if (!founder) o.founders = std::move(empty);
    return o;
  }
  if (initialized >= others_majority()) {
    epoch_ = epoch;
    start_fence(round + fence_round_margin, out);
  }
  return std::nullopt;
}

void Rejoin::start_fence(uint64_t round, std::vector<PeerSend>& out) {
  step_ = Step::fence;
  ++attempt_;
  fence_ = Ballot{round, cfg_.self, make_incarnation(epoch_, 0)};  // the new epoch, boot 0
  fence_oks_.clear();
  fence_nacks_.clear();
  refused_round_ = 0;
  send_step(out);
}

std::optional<RejoinOutcome> Rejoin::on_fence_reply(uint32_t from, const FenceReply& m,
                                                    std::vector<PeerSend>& out) {
  if (step_ != Step::fence || m.ballot != fence_ || m.attempt < first_attempt_ ||
      m.attempt > attempt_ || from == cfg_.self || from >= cfg_.nodes) {
    return std::nullopt;
  }
  if (!m.ok) {  // a peer promised a higher ballot meanwhile
    // An ok from it still stands: its floor holds. Fence higher only once a
    // majority of the others can no longer answer ok (seed 1368 on 7 nodes:
    // restarting at the first refusal, three rejoins never finished).
    if (fence_oks_.count(from)) return std::nullopt;
    fence_nacks_.insert(from);
    refused_round_ = std::max(refused_round_, m.max_promised.round);
    if (cfg_.nodes - 1 - fence_nacks_.size() < others_majority()) {
      start_fence(std::max(fence_.round, refused_round_) + fence_round_margin, out);
    }
    return std::nullopt;
  }
  fence_nacks_.erase(from);
  fence_oks_[from] = m;
  if (fence_oks_.size() < oks_needed_) return std::nullopt;

  RejoinOutcome o;
  o.epoch = epoch_;
  o.floor = fence_;
  for (const auto& [peer, reply] : fence_oks_) {
    for (const auto& e : reply.epochs) {
      if (e.node >= cfg_.nodes) continue;
      PeerEpoch& kept = o.epochs.try_emplace(e.node, PeerEpoch{e.node, 0, 0}).first->second;
      kept.seen = std::max(kept.seen, e.seen);
      kept.live = std::max(kept.live, e.live);
    }
    for (const auto& st : reply.states) {
      auto [it, inserted] = o.states.try_emplace(st.seq, st);
      if (!inserted && std::tie(st.accepted, st.value) > std::tie(it->second.accepted, it->second.value)) {
        it->second = st;
      }
    }
  }
  return o;
}

}  // namespace rrseq

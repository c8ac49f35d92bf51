#pragma once
// How a node without state (memory mode, first start, or a wiped data
// directory) joins: it takes part in no quorum until this finishes.
//
// 1. Epoch. EpochRequest to every other node. Each initialized peer increments
//    its counter for this node and answers it. With answers from a majority of
//    the *other* nodes, the new incarnation's epoch is the highest answer: above
//    every epoch this node used before, since each of those was recorded by a
//    majority of the others (step 2) and any two such majorities intersect.
//    If instead a majority of the whole cluster (this node included) reports no
//    state, the cluster is new: the node bootstraps empty with epoch 0 and
//    records which peers, by their nonce, it counted as empty. Such a peer,
//    asking later in the same life (same nonce), is told it is a founder and
//    bootstraps too: it has answered no quorum since, so its empty state is
//    true (without this, two of three fresh nodes never serve). A node that
//    knows it lost its state (NodeConfig::lost_state), or that has heard in
//    this life from a peer with state (aware(): a cluster exists, so it is
//    an amnesiac, not new), never bootstraps on its own and is never counted
//    as empty; otherwise amnesiacs at different times could add up to a
//    "majority without state" that never existed at once.
// 2. Fence. A node-wide prepare with a fresh ballot F on a majority of the other
//    nodes: each peer records F as a floor under every sequence's promise (known
//    or not) and answers with all its sequences. An accept this node
//    acknowledged before it lost its state, still in flight, is now refused
//    below F; one already accepted shows up in the answers. The node adopts, per
//    sequence, the value with the highest accepted ballot. F lies well above
//    every promise the peers reported (fence_round_margin), so proposers that
//    raise their rounds meanwhile do not push it back into a loop; answers to
//    any attempt of the current F count, so a slow peer (round trip plus
//    fsync above the resend interval) still completes it. A peer refuses F
//    only below one of its sequences' own promises, not below another
//    rejoin's floor, so rejoins running at once do not push each other up
//    for ever. F is set above what the refusing peers reported once a
//    majority of the others can no longer answer ok, or at the next resend
//    while any refusal stands (the silent peers may never answer); an ok
//    already given stands.
// 3. Epochs of lives. Each fenced peer records this node's new epoch (live):
//    from then on it refuses any accept whose promise quorum counted this node
//    in an earlier epoch (Accept::voters). The fence covers only ballots below
//    F, and a proposer outside the fenced majority may hold a higher promise
//    this node forgot; but any accept quorum meets the fenced majority or this
//    node, and both refuse it. Fence answers carry each peer's epoch knowledge,
//    which the node adopts, so a peer that restarts in memory mode never hands
//    out an epoch twice.
// 4. A stray life. A rejoin that fenced only a minority before it died can
//    leave a live epoch there above the epoch a later life of the node gets
//    from another majority (each resent EpochRequest raises one peer's
//    counter): that minority then drops every answer of the node, and with it
//    every quorum the node is needed for (7 nodes, seed 15287). The stray life
//    never served, so its epoch was never in a quorum: a serving node that
//    hears of a live epoch of its own above its own fences above it again,
//    keeping its state and serving meanwhile (Reepoch). It moves to the new
//    epoch once enough of the others recorded it that every majority of the
//    others meets them (nodes - 1 - others_majority + 1: 3 of 6 others on 7
//    nodes), so its next life's epoch step still sees it; it forgot nothing,
//    so no fenced majority is needed.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/node_config.h"
#include "core/rng.h"

namespace rrseq {

// Fence rounds above the highest promise a peer reported (see step 2).
inline constexpr uint64_t fence_round_margin = 1024;

struct RejoinOutcome {
  bool bootstrap = false;  // the cluster is new: start empty
  bool founder = false;    // bootstrap because a peer founded it counting this node
  uint32_t epoch = 0;
  Ballot floor;            // the fence ballot (zero for bootstrap)
  std::map<std::string, SeqState> states;
  std::map<uint32_t, PeerEpoch> epochs;      // highest per node over the fence answers
  std::map<uint32_t, uint64_t> founders;     // bootstrap: peers counted as empty, by nonce
};

// Step 4: the epoch to move to and the round to fence at.
struct Reepoch {
  uint32_t epoch = 0;
  uint64_t round = 0;
};

class Rejoin {
 public:
  // `nonce` is this node's DurableState::nonce.
  Rejoin(const NodeConfig& cfg, uint64_t nonce, Rng& rng, TimeUs now, std::vector<PeerSend>& out);
  // Step 4 only: a serving node fences at `to` (it keeps its state, and
  // takes the outcome's floor and epochs but not its states).
  Rejoin(const NodeConfig& cfg, uint64_t nonce, Rng& rng, TimeUs now, const Reepoch& to,
         std::vector<PeerSend>& out);

  std::optional<RejoinOutcome> on_epoch_reply(uint32_t from, const EpochReply& m,
                                              std::vector<PeerSend>& out);
  std::optional<RejoinOutcome> on_fence_reply(uint32_t from, const FenceReply& m,
                                              std::vector<PeerSend>& out);
  void on_timer(TimeUs now, std::vector<PeerSend>& out);
  // Decides from the epoch answers so far; a one-node cluster bootstraps at once.
  std::optional<RejoinOutcome> decide(std::vector<PeerSend>& out);
  TimeUs next_timer() const { return resend_at_us_; }
  // This node has heard from a peer with state (a cluster exists).
  bool aware() const { return aware_; }
  void note_cluster_exists() { aware_ = true; }
  // The epoch being fenced (zero while still asking for one).
  uint32_t fencing_epoch() const { return step_ == Step::fence ? epoch_ : 0; }

 private:
  enum class Step { epoch, fence };
  void send_step(std::vector<PeerSend>& out);
  void start_fence(uint64_t round, std::vector<PeerSend>& out);
  uint32_t others_majority() const { return majority(cfg_.nodes - 1); }

  const NodeConfig& cfg_;
  uint64_t nonce_ = 0;
  uint32_t oks_needed_ = 0;  // fence answers that complete the fence (step 2, or step 4's fewer)
  bool aware_ = false;
  Step step_ = Step::epoch;
  uint64_t first_attempt_ = 0;  // attempts of this rejoin are first_attempt_..attempt_
  uint64_t attempt_ = 0;
  TimeUs resend_at_us_ = 0;

  std::map<uint32_t, EpochReply> epoch_replies_;  // latest per peer
  uint32_t epoch_ = 0;
  Ballot fence_;
  std::map<uint32_t, FenceReply> fence_oks_;  // for the current fence ballot
  std::set<uint32_t> fence_nacks_;            // peers that refused it
  uint64_t refused_round_ = 0;                // the highest promise they reported
};

}  // namespace rrseq

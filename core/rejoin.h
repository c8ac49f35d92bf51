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
//    state, the cluster is new: the node bootstraps empty with epoch 0. A node
//    that knows it lost its state (NodeConfig::lost_state) never bootstraps.
// 2. Fence. A node-wide prepare with a fresh ballot F on a majority of the other
//    nodes: each peer records F as a floor under every sequence's promise (known
//    or not) and answers with all its sequences. An accept this node
//    acknowledged before it lost its state, still in flight, is now refused
//    below F; one already accepted shows up in the answers. The node adopts, per
//    sequence, the value with the highest accepted ballot.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/node_config.h"
#include "core/rng.h"

namespace rrseq {

struct RejoinOutcome {
  bool bootstrap = false;  // the cluster is new: start empty
  uint32_t epoch = 0;
  Ballot floor;            // the fence ballot (zero for bootstrap)
  std::map<std::string, SeqState> states;
};

class Rejoin {
 public:
  Rejoin(const NodeConfig& cfg, Rng& rng, TimeUs now, std::vector<PeerSend>& out);

  std::optional<RejoinOutcome> on_epoch_reply(uint32_t from, const EpochReply& m,
                                              std::vector<PeerSend>& out);
  std::optional<RejoinOutcome> on_fence_reply(uint32_t from, const FenceReply& m,
                                              std::vector<PeerSend>& out);
  void on_timer(TimeUs now, std::vector<PeerSend>& out);
  // Decides from the epoch answers so far; a one-node cluster bootstraps at once.
  std::optional<RejoinOutcome> decide(std::vector<PeerSend>& out);
  TimeUs next_timer() const { return resend_at_us_; }
  std::string describe() const;

 private:
  enum class Step { epoch, fence };
  void send_step(std::vector<PeerSend>& out);
  void start_fence(uint64_t round, std::vector<PeerSend>& out);
  uint32_t others_majority() const { return majority(cfg_.nodes - 1); }

  const NodeConfig& cfg_;
  Step step_ = Step::epoch;
  uint64_t first_attempt_ = 0;  // attempts of this rejoin are first_attempt_..attempt_
  uint64_t attempt_ = 0;
  TimeUs resend_at_us_ = 0;

  std::map<uint32_t, EpochReply> epoch_replies_;  // latest per peer
  uint32_t epoch_ = 0;
  Ballot fence_;
  std::map<uint32_t, FenceReply> fence_oks_;  // for the current fence ballot
};

}  // namespace rrseq

#pragma once
// Checks on the protocol messages nodes send, before any client could see a
// duplicate: the simulator hands every peer message to on_send(). Each check
// reports its first violation only (the rest are usually its echoes).
//   "ballot:"  two Accepts under one (sequence, ballot) carry different values
//              (Paxos needs one value per ballot; a ballot reused after a restart).
//   "promise:" a node answers ok below a ballot it promised for that sequence,
//              or below a fence it granted a rejoining peer (promises leave a
//              node only once durable, so it must keep them across restarts).
//   "amnesia:" a node that lost its state answers ok, in a later life, below
//              a fence it granted in an earlier one to a rejoin that completed
//              with it (the rejoining node answered ok after sending it; a
//              fence of a rejoin cut short binds nobody); or an Accept at ballot B
//              counts the promise of a node's earlier life (Accept::voters)
//              while a later life of that node answers ok below B, in either
//              order: the quorum behind B and the new life contradict each
//              other (issue 9's five-node duplicate). A forgotten promise that
//              no accept counts binds nobody (proposer.cpp, learn_life). Nor
//              may a node answer, after losing its state, in an epoch one of
//              its earlier lives answered in: its new life must be told apart.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/ballot.h"
#include "core/messages.h"

namespace rrseq {

class ProtocolAudit {
 public:
  explicit ProtocolAudit(uint32_t nodes)
      : nodes_(nodes), fence_sent_(nodes), lives_lost_(nodes, 0), epochs_now_(nodes), epochs_before_(nodes) {}

  // Node `from` sent `m` (to a peer or to itself).
  void on_send(uint32_t from, const PeerMessage& m);
  // Node `n` lost its state (memory mode restart, wiped disk).
  void forget(uint32_t n);
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  struct Kept {
    std::map<std::string, Ballot> promised;  // per sequence, the highest promise sent
    Ballot fence;                            // the highest fence granted
  };
  // Per (node, sequence), keyed by the node's epoch (the life's Voter::epoch).
  using ByEpoch = std::map<uint32_t, Ballot>;
  using NodeSeq = std::pair<uint32_t, std::string>;
  void one_value_per_ballot(uint32_t from, const Accept& a);
  void check_kept(uint32_t from, const std::string& seq, const Ballot& b, const char* what);
  using NodeLife = std::pair<uint32_t, uint32_t>;  // node, lives it had lost then
  void complete_fence(const Ballot& fence);
  void check_earlier_fences(uint32_t from, const Ballot& b, const char* what);
  void report_fence(const NodeLife& granter, const Ballot& fence, const Ballot& b, const char* what);
  void on_answer(uint32_t from, uint32_t epoch, const std::string& seq, const Ballot& b, const char* what);
  void on_counted(const Accept& a, const Voter& v);
  void report_amnesia(const std::string& text);
  static Ballot highest(const Kept& k, const std::string& seq);

  std::vector<Kept> nodes_;
  std::vector<Ballot> fence_sent_;     // per node, its current life's latest fence while rejoining
  std::vector<uint32_t> lives_lost_;   // per node
  std::map<Ballot, std::vector<NodeLife>> granted_;  // fence -> who answered it ok, in which life
  std::set<Ballot> completed_;                       // fences whose rejoin completed with them
  std::map<NodeLife, Ballot> lowest_in_life_;        // lowest ballot answered ok in that life
  std::vector<std::set<uint32_t>> epochs_now_;     // per node, epochs its current life answered in
  std::vector<std::set<uint32_t>> epochs_before_;  // per node, epochs its lost lives answered in
  std::map<NodeSeq, ByEpoch> counted_;    // highest Accept ballot counting that life's promise
  std::map<NodeSeq, ByEpoch> lowest_ok_;  // lowest ballot that life answered ok
  bool amnesia_reported_ = false;
  std::map<std::pair<std::string, Ballot>, uint64_t> proposed_;  // (sequence, ballot) -> value
  bool ballot_reported_ = false;
  bool promise_reported_ = false;
  std::vector<std::string> failures_;
};

}  // namespace rrseq

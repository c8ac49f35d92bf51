#pragma once
// Checks on the protocol messages nodes send, before any client could see a
// duplicate: the simulator hands every peer message to on_send(). Each check
// reports its first violation only (the rest are usually its echoes).
//   "ballot:"  two Accepts under one (sequence, ballot) carry different values
//              (Paxos needs one value per ballot; a ballot reused after a restart).
//   "promise:" a node answers ok below a ballot it promised for that sequence,
//              or below a fence it granted a rejoining peer (promises leave a
//              node only once durable, so it must keep them across restarts).
//   "amnesia:" a node that lost its state answers ok, in a later life, below a
//              ballot it promised (or a fence it granted) in an earlier one: a
//              proposer that still holds the old promise can count it, so the
//              new life must not contradict it (issue 9's five-node duplicate).
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/ballot.h"
#include "core/messages.h"

namespace rrseq {

class ProtocolAudit {
 public:
  explicit ProtocolAudit(uint32_t nodes) : nodes_(nodes), earlier_(nodes), lives_lost_(nodes, 0) {}

  // Node `from` sent `m` to node `to` (itself included; unknown_node: some peer).
  static constexpr uint32_t unknown_node = std::numeric_limits<uint32_t>::max();
  void on_send(uint32_t from, const Message& m, uint32_t to = unknown_node);
  // Node `n` lost its state (memory mode restart, wiped disk). Its current life's
  // promises are kept as its earlier lives' ones, which its next lives must honour.
  void forget(uint32_t n);
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  struct Kept {
    std::map<std::string, Ballot> promised;  // per sequence, the highest promise sent
    Ballot fence;                            // the highest fence granted
    // What an earlier life must answer for: promises to other nodes only, since
    // the proposer a node promised itself died with that life.
    std::map<std::string, Ballot> promised_to_peers;
  };
  void one_value_per_ballot(uint32_t from, const Accept& a);
  void check_kept(uint32_t from, const std::string& seq, const Ballot& b, const char* what);
  void check_earlier_lives(uint32_t from, const std::string& seq, const Ballot& b, const char* what);
  static Ballot highest(const Kept& k, const std::string& seq);

  std::vector<Kept> nodes_;
  std::vector<Kept> earlier_;          // per node, merged over the lives it lost
  std::vector<uint32_t> lives_lost_;   // per node
  bool amnesia_reported_ = false;
  std::map<std::pair<std::string, Ballot>, uint64_t> proposed_;  // (sequence, ballot) -> value
  bool ballot_reported_ = false;
  bool promise_reported_ = false;
  std::vector<std::string> failures_;
};

}  // namespace rrseq

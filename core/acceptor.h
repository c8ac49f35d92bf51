#pragma once
// The acceptor half of a node: per-sequence promise/accept rules of a
// CASPaxos register, the node-wide floor given to a rejoining peer, and the
// classic protocol's "set if larger" register. Pure: it returns the records
// that must be durable before its answer may leave the node.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/durable_state.h"
#include "core/messages.h"

namespace rrseq {

class Acceptor {
 public:
  Acceptor(DurableState state, uint32_t self) : state_(std::move(state)), self_(self) {
    recompute_max_promised();
  }

  // Each handler fills `reply` and appends the records to persist to `records`.
  void on_prepare(const Prepare& m, Promise& reply, std::vector<StorageRecord>& records);
  void on_accept(const Accept& m, Accepted& reply, std::vector<StorageRecord>& records);
  void on_classic_read(const ClassicRead& m, ClassicReadReply& reply);
  void on_classic_write(const ClassicWrite& m, ClassicWriteReply& reply,
                        std::vector<StorageRecord>& records);
  // A peer rejoining without state asks for a fresh epoch.
  void on_epoch_request(uint32_t from, const EpochRequest& m, EpochReply& reply,
                        std::vector<StorageRecord>& records);
  // A peer rejoining without state fences every ballot below m.ballot, on all sequences.
  void on_fence_request(uint32_t from, const FenceRequest& m, FenceReply& reply,
                        std::vector<StorageRecord>& records);

  // Adopts what a rejoin learned from a majority of peers (rejoin.h).
  void adopt(const std::map<std::string, SeqState>& states, const Ballot& floor,
             const std::map<uint32_t, PeerEpoch>& epochs, std::vector<StorageRecord>& records);

  // The epoch of this node's current life.
  uint32_t epoch() const { return incarnation_epoch(state_.incarnation); }
  // A voter from a life of its node that has since lost its state, as far as
  // this node knows: its promise may be forgotten and must not be counted.
  bool stale_voter(const Voter& v) const;
  // The latest life of every other node this node knows of (Promise::lives).
  std::vector<Voter> lives() const;

  const DurableState& state() const { return state_; }
  DurableState& mutable_state() { return state_; }
  const Ballot& max_promised() const { return max_promised_; }
  // Promise currently binding for `seq`: its own promise or the node-wide floor.
  Ballot promised(const std::string& seq) const;
  bool can_add_sequence(const std::string& seq) const;

 private:
  SeqState& seq_state(const std::string& seq);
  void note_promise(const Ballot& b);
  // The highest promise of any sequence, the node-wide floor left out.
  Ballot max_sequence_promise() const;
  void recompute_max_promised();

  DurableState state_;
  uint32_t self_ = 0;
  Ballot max_promised_;  // highest ballot promised for any sequence, floor included
};

}  // namespace rrseq

#include "core/acceptor.h"

#include <algorithm>

#include "core/invariant.h"
#include "core/limits.h"

namespace rrseq {

Ballot Acceptor::promised(const std::string& seq) const {
  auto it = state_.sequences.find(seq);
  Ballot own = it == state_.sequences.end() ? Ballot{} : it->second.promised;
  return std::max(own, state_.floor);
}

bool Acceptor::can_add_sequence(const std::string& seq) const {
  return state_.sequences.count(seq) > 0 || state_.sequences.size() < sequences_max;
}

SeqState& Acceptor::seq_state(const std::string& seq) {
  auto [it, inserted] = state_.sequences.try_emplace(seq);
  if (inserted) it->second.seq = seq;
  return it->second;
}

bool Acceptor::stale_voter(const Voter& v) const {
  if (v.node == self_) return v.epoch < epoch();
  auto it = state_.live_epoch.find(v.node);
  return it != state_.live_epoch.end() && v.epoch < it->second;
}

std::vector<Voter> Acceptor::lives() const {
  std::vector<Voter> v;
  for (const auto& [node, epoch] : state_.live_epoch) {
    if (node != self_ && epoch > 0) v.push_back(Voter{node, epoch});
  }
  return v;
}

void Acceptor::note_promise(const Ballot& b) { max_promised_ = std::max(max_promised_, b); }

Ballot Acceptor::max_sequence_promise() const {
  Ballot high;
  for (const auto& [name, s] : state_.sequences) high = std::max(high, s.promised);
  return high;
}

void Acceptor::recompute_max_promised() {
  max_promised_ = state_.floor;
  for (const auto& [name, s] : state_.sequences) note_promise(s.promised);
}

void Acceptor::on_prepare(const Prepare& m, Promise& reply, std::vector<StorageRecord>& records) {
  reply.seq = m.seq;
  reply.ballot = m.ballot;
  const Ballot binding = promised(m.seq);
  // Equal ballots come from the same proposer round (a duplicate): answer alike.
  if (m.ballot < binding || !can_add_sequence(m.seq)) {
    reply.ok = false;
    reply.promised = binding;
    return;
  }
  SeqState& s = seq_state(m.seq);
  if (s.promised != m.ballot) {
    s.promised = m.ballot;
    note_promise(m.ballot);
    records.push_back(SeqRecord{s});
  }
  RRSEQ_INVARIANT(s.accepted <= s.promised, "an acceptor accepts at most what it promised");
  reply.ok = true;
  reply.promised = s.promised;
  reply.accepted = s.accepted;
  reply.value = s.value;
  reply.epoch = epoch();
  reply.lives = lives();
}

void Acceptor::on_accept(const Accept& m, Accepted& reply, std::vector<StorageRecord>& records) {
  reply.seq = m.seq;
  reply.ballot = m.ballot;
  reply.epoch = epoch();
  const Ballot binding = promised(m.seq);
  // A quorum that counted a forgotten promise proves nothing: refuse, and the
  // proposer prepares again (issue 9's five-node duplicate).
  const bool stale = std::any_of(m.voters.begin(), m.voters.end(),
                                 [this](const Voter& v) { return stale_voter(v); });
  if (m.ballot < binding || stale || !can_add_sequence(m.seq)) {
    reply.ok = false;
    reply.promised = binding;
    return;
  }
  SeqState& s = seq_state(m.seq);
  // With a fast-path `next`, accepting is also a promise of the proposer's next ballot.
  const Ballot promise = std::max(m.ballot, m.next);
  if (s.promised < promise || s.accepted != m.ballot || s.value != m.value) {
    s.promised = std::max(s.promised, promise);
    s.accepted = m.ballot;
    s.value = m.value;
    note_promise(s.promised);
    records.push_back(SeqRecord{s});
  }
  RRSEQ_INVARIANT(s.accepted <= s.promised && m.ballot >= binding, "an acceptor accepts at most what it promised");
  reply.ok = true;
  reply.promised = s.promised;
  reply.lives = lives();
}

void Acceptor::on_classic_read(const ClassicRead& m, ClassicReadReply& reply) {
  reply.seq = m.seq;
  reply.op = m.op;
  auto it = state_.sequences.find(m.seq);
  reply.value = it == state_.sequences.end() ? 0 : it->second.value;
}

void Acceptor::on_classic_write(const ClassicWrite& m, ClassicWriteReply& reply,
                                std::vector<StorageRecord>& records) {
  reply.seq = m.seq;
  reply.op = m.op;
  if (!can_add_sequence(m.seq)) return;
  SeqState& s = seq_state(m.seq);
  if (m.value > s.value) {  // the seed's "set if larger"
    s.value = m.value;
    records.push_back(SeqRecord{s});
  }
}

void Acceptor::on_epoch_request(uint32_t from, const EpochRequest& m, EpochReply& reply,
                                std::vector<StorageRecord>& records) {
  reply.attempt = m.attempt;
  reply.initialized = state_.initialized;
  if (!state_.initialized) return;
  // Incremented on every request, so two rejoins of one node never share an epoch:
  // any two majorities of the other nodes intersect.
  uint32_t& epoch = state_.epoch_seen[from];
  epoch += 1;
  records.push_back(EpochSeenRecord{from, epoch});
  reply.epoch = epoch;
  reply.max_promised = max_promised_;
  reply.founder = m.nonce != 0 && state_.founders.count(from) && state_.founders.at(from) == m.nonce;
}

void Acceptor::on_fence_request(uint32_t from, const FenceRequest& m, FenceReply& reply,
                                std::vector<StorageRecord>& records) {
  reply.attempt = m.attempt;
  reply.ballot = m.ballot;
  reply.max_promised = max_promised_;
  if (!state_.initialized) return;
  const uint32_t fence_epoch = incarnation_epoch(m.ballot.incarnation);
  // Record the epoch the rejoining node will use, so its next rejoin gets a higher one.
  uint32_t& epoch = state_.epoch_seen[from];
  if (fence_epoch > epoch) {
    epoch = fence_epoch;
    records.push_back(EpochSeenRecord{from, epoch});
  }
  // From now on, promises of its earlier lives are void here, fence or not.
  uint32_t& live = state_.live_epoch[from];
  if (fence_epoch > live) {
    live = fence_epoch;
    records.push_back(LiveEpochRecord{from, live});
  }
  // The fence must lie above every sequence's own promise here: an accept its
  // node's earlier life acknowledged may rest on one of them (rejoin.h, step 2).
  // Not above another rejoin's floor: this node refuses below that floor
  // already, so a lower fence asks nothing more of it, and rejoins running at
  // once would otherwise push each other's fences up for ever (7 nodes, seed
  // 1368: three rejoins after a power loss). Equal: the same fence sent again.
  if (m.ballot < max_sequence_promise()) {
    reply.ok = false;
    return;
  }
  if (state_.floor < m.ballot) {
    state_.floor = m.ballot;
    note_promise(m.ballot);
    records.push_back(FloorRecord{m.ballot});
  }
  RRSEQ_INVARIANT(max_promised_ >= m.ballot, "a fence answered ok binds below the highest promise");
  reply.ok = true;
  reply.max_promised = max_promised_;
  reply.states.reserve(state_.sequences.size());
  for (const auto& [name, s] : state_.sequences) reply.states.push_back(s);
  std::map<uint32_t, PeerEpoch> epochs;
  for (const auto& [node, e] : state_.epoch_seen) epochs[node] = PeerEpoch{node, e, 0};
  for (const auto& [node, e] : state_.live_epoch) {
    epochs.try_emplace(node, PeerEpoch{node, 0, 0}).first->second.live = e;
  }
  epochs.try_emplace(self_, PeerEpoch{self_, 0, 0}).first->second.live = this->epoch();
  for (const auto& [node, e] : epochs) reply.epochs.push_back(e);
}

void Acceptor::adopt(const std::map<std::string, SeqState>& states, const Ballot& floor,
                     const std::map<uint32_t, PeerEpoch>& epochs, std::vector<StorageRecord>& records) {
  state_.floor = std::max(state_.floor, floor);
  records.push_back(FloorRecord{state_.floor});
  for (const auto& [node, e] : epochs) {
    if (node == self_) continue;
    // A live epoch was handed out too: a peer reports its own life only as live.
    uint32_t& seen = state_.epoch_seen[node];
    if (std::max(e.seen, e.live) > seen) records.push_back(EpochSeenRecord{node, seen = std::max(e.seen, e.live)});
    uint32_t& live = state_.live_epoch[node];
    if (e.live > live) records.push_back(LiveEpochRecord{node, live = e.live});
  }
  for (const auto& [name, learned] : states) {
    SeqState& s = seq_state(name);
    s.promised = std::max(s.promised, learned.promised);
    s.accepted = learned.accepted;
    s.value = learned.value;
    records.push_back(SeqRecord{s});
  }
  state_.initialized = true;
  records.push_back(InitializedRecord{});
  recompute_max_promised();
}

}  // namespace rrseq

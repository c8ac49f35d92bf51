#pragma once
// The proposer half of a node. Per sequence it runs one round at a time:
//
// ballot:  Prepare(b) on all nodes; a majority of promises gives the value with
//          the highest accepted ballot (the read-repair); Accept(b, v + n) on all
//          nodes; a majority of acks grants [v, v + n). A nack or a timeout ends
//          the round; it is retried after a randomized backoff (G4).
// classic: the 2016 algorithm: read a majority, keep the highest, then "set if
//          larger" to v + n on a majority. The two phases are not tied together,
//          so concurrent proposers can both win: the negative control.
//
// With `combine`, all requests queued for a sequence ride one round and split
// its range in arrival order. With `fast_path`, each accept also carries the
// proposer's next ballot as a prepare, so a node that keeps a sequence needs
// one round trip per grant.
#include <cstdint>
#include <array>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/acceptor.h"
#include "core/limits.h"
#include "core/messages.h"
#include "core/node_config.h"
#include "core/node_stats.h"
#include "core/rng.h"

namespace rrseq {

struct ClientAnswer {
  PendingRequest request;
  Status status = Status::ok;
  uint64_t from = 0;
  uint64_t to = 0;
  uint32_t redirect_to = 0;  // when redirect
};

struct ProposerOutput {
  std::vector<PeerSend> sends;
  std::vector<ClientAnswer> answers;
};

// Where a batch of requests starting at `base` ends: each request first raises
// the position to its at_least (an Advance), then takes its count (zero for a
// Current or an Advance). Empty when the end would pass id_max + 1.
std::optional<uint64_t> batch_end(uint64_t base, const std::vector<PendingRequest>& batch);

class Proposer {
 public:
  Proposer(const NodeConfig& cfg, const Acceptor& local, Rng& rng, NodeStats& stats)
      : cfg_(cfg), local_(local), rng_(rng), stats_(stats) {}

  void set_incarnation(uint64_t inc) { incarnation_ = inc; }
  size_t queued() const { return queued_; }
  TimeUs phase_timeout_us() const { return round_timeout_us(); }

  void enqueue(const PendingRequest& p, TimeUs now, ProposerOutput& out);
  // The local acceptor took an accept of another node for `seq`.
  void note_rival_accept(const std::string& seq, TimeUs now);
  // The node a request should go to instead (NodeConfig::leader_hint_us), if any.
  std::optional<uint32_t> redirect_target(const ClientRequest& req, TimeUs now) const;
  void on_promise(uint32_t from, const Promise& m, TimeUs now, ProposerOutput& out);
  void on_accepted(uint32_t from, const Accepted& m, TimeUs now, ProposerOutput& out);
  void on_classic_read_reply(uint32_t from, const ClassicReadReply& m, TimeUs now, ProposerOutput& out);
  void on_classic_write_reply(uint32_t from, const ClassicWriteReply& m, TimeUs now, ProposerOutput& out);
  void on_timer(TimeUs now, ProposerOutput& out);
  std::optional<TimeUs> next_timer() const;

 private:
  enum class Phase { read, write };  // ballot: prepare/accept; classic: read/write
  struct Round {
    Phase phase = Phase::read;
    Ballot ballot;      // ballot protocol
    uint64_t op = 0;    // classic protocol
    uint32_t acks = 0;  // bit per node that answered this phase
    std::array<uint32_t, cluster_nodes_max> epochs{};  // of each counted answer (Voter::epoch)
    // Each node's latest life known to this round, from the local acceptor and
    // the answers (Promise::lives): an answer from an earlier life never counts.
    std::array<uint32_t, cluster_nodes_max> lives{};
    Ballot best_accepted;
    uint64_t best_value = 0;
    uint64_t base = 0;  // first ID of the range being written
    uint64_t end = 0;   // one past the range being written (batch_end), in the write phase
    std::vector<PendingRequest> batch;
    std::vector<Voter> voters;  // the promise quorum behind the accept phase
    TimeUs phase_started_us = 0;
    TimeUs deadline_us = 0;
    // The first `own_count` requests of the batch are those of a proposal of
    // ours that failed in its accept phase (see Orphan).
    std::optional<Ballot> own_ballot;
    uint64_t own_base = 0;
    uint64_t own_value = 0;
    size_t own_count = 0;
  };
  // A proposal that failed after its accepts went out may still have been
  // accepted by some acceptors and may be chosen later. If the next prepare
  // finds it (same ballot, same value) as the highest accepted, the range
  // [base, value) is ours alone (ballots are unique per proposer), so the next
  // round extends it and, once its accept wins a majority, grants it to these
  // same requests instead of leaving a gap (issue 9, the gap under load).
  struct Orphan {
    Ballot ballot;
    uint64_t base = 0;
    uint64_t value = 0;
    std::vector<PendingRequest> batch;
  };
  // After a round whose accepts also promised `ballot` on a majority, that
  // majority's highest accepted value is known (`value`): the next round may
  // skip its prepare and start with Accept(ballot).
  struct FastPath {
    Ballot ballot;
    uint64_t value = 0;
    std::vector<Voter> voters;  // whose acks promised `ballot`
  };
  struct Seq {
    std::deque<PendingRequest> queue;
    std::optional<Round> round;
    std::optional<FastPath> fast;
    std::optional<Orphan> orphan;
    Ballot last_write_ballot;  // the last accept sent, for the one-value-per-ballot invariant
    uint64_t last_write_value = 0;
    uint64_t round_seen = 0;  // highest ballot round heard of for this sequence
    uint32_t conflicts = 0;   // consecutive failed rounds, for the backoff window
    TimeUs not_before_us = 0;
    // The local promise right after the latest accept of another proposer
    // taken here, and when: while the promise is still that proposer's, it is
    // the one granting (redirect_target).
    Ballot rival;
    std::optional<TimeUs> rival_us;
  };

  void maybe_start(const std::string& name, Seq& s, TimeUs now, ProposerOutput& out);
  void broadcast(const PeerMessage& m, ProposerOutput& out);
  // Counts `from` once; true when this answer completes a majority. What the
  // answer knows of later lives first uncounts answers from earlier ones.
  bool count_ack(Round& r, uint32_t from, uint32_t epoch = 0, const std::vector<Voter>& lives = {});
  void learn_life(Round& r, const Voter& life);
  void learn_local_lives(Round& r);
  static std::vector<Voter> voters(const Round& r);
  void start_write(const std::string& name, Seq& s, TimeUs now, ProposerOutput& out);
  void finish(const std::string& name, Seq& s, TimeUs now, ProposerOutput& out);
  void fail_round(Seq& s, TimeUs now);
  // A nack: an acceptor promised `promised`, above this round's ballot.
  void lose_round(Seq& s, const Ballot& promised, TimeUs now, ProposerOutput& out);
  // After losing to `winner`'s ballot: the queued requests that may follow a
  // redirect go to its proposer rather than wait here for a round that would
  // preempt it (7 nodes, seed 2688: nodes their clients had left kept
  // proposing and took turns breaking each other's fast path).
  void redirect_queue(Seq& s, const Ballot& winner, ProposerOutput& out);
  // The adaptive phase timeout (NodeConfig::round_timeout_us).
  void note_phase_done(const Round& r, TimeUs now);
  TimeUs round_timeout_us() const { return rto_us_ ? rto_us_ : cfg_.round_timeout_us; }
  Seq* active_round(const std::string& name, Phase phase);

  const NodeConfig& cfg_;
  const Acceptor& local_;
  Rng& rng_;
  NodeStats& stats_;
  uint64_t incarnation_ = 0;
  uint64_t next_op_ = 1;
  TimeUs srtt_us_ = 0;  // smoothed duration of a completed phase
  TimeUs rto_us_ = 0;   // current phase timeout; 0 until the first sample
  size_t queued_ = 0;
  std::map<std::string, Seq> seqs_;
  std::set<std::string> active_;  // sequences with queued requests or a round in flight
};

}  // namespace rrseq

#include "core/proposer.h"

#include <algorithm>

#include "core/invariant.h"
#include "core/limits.h"

namespace rrseq {
namespace {
// The conflict backoff window doubles with each failed round in a row, this
// many times at most (the window's maximum caps it first).
constexpr uint32_t conflict_backoff_doublings_max = 16;
}  // namespace

void Proposer::broadcast(const PeerMessage& m, ProposerOutput& out) {
  for (uint32_t n = 0; n < cfg_.nodes; ++n) out.sends.push_back(PeerSend{n, m});
}

// Why a promise from an earlier life must not count even where no acceptor
// has refused it yet: any accept quorum we form meets the final fence majority
// of that node's next life (a majority of the other nodes) in some voter r. If
// r promised before that fence reached it, the fence had to climb above our
// ballot, which the new life then refuses below; if after, r knew the new life
// and told us here. So an accept resting on a forgotten promise is either
// below the new life's fence (which keeps the promise for it) or never sent;
// none is ever accepted to outrank a chosen value in a later read-repair
// (issue 9, the stray-fence duplicate).
void Proposer::learn_life(Round& r, const Voter& life) {
  if (life.node >= cfg_.nodes || life.epoch <= r.lives[life.node]) return;
  r.lives[life.node] = life.epoch;
  const uint32_t bit = 1u << life.node;
  if ((r.acks & bit) && r.epochs[life.node] < life.epoch) {
    r.acks &= ~bit;
    ++stats_.stale_answers_dropped;
  }
}

void Proposer::learn_local_lives(Round& r) {
  for (const Voter& life : local_.lives()) learn_life(r, life);
}

std::optional<uint64_t> batch_end(uint64_t base, const std::vector<PendingRequest>& batch) {
  uint64_t end = base;
  for (const auto& p : batch) {
    end = std::max(end, p.req.at_least);
    if (end > id_max + 1 || p.req.count > id_max + 1 - end) return std::nullopt;
    end += p.req.count;
  }
  return end;
}

bool Proposer::count_ack(Round& r, uint32_t from, uint32_t epoch, const std::vector<Voter>& lives) {
  if (from >= cfg_.nodes) return false;
  learn_life(r, Voter{from, epoch});
  for (const Voter& life : lives) learn_life(r, life);
  const uint32_t bit = 1u << from;
  if (r.acks & bit) return false;  // duplicate answers count once
  if (epoch < r.lives[from]) {
    ++stats_.stale_answers_dropped;
    return false;
  }
  r.acks |= bit;
  RRSEQ_INVARIANT(static_cast<uint32_t>(__builtin_popcount(r.acks)) <= cfg_.nodes, "acks at most nodes");
  r.epochs[from] = epoch;
  return static_cast<uint32_t>(__builtin_popcount(r.acks)) == majority(cfg_.nodes);
}

std::vector<Voter> Proposer::voters(const Round& r) {
  std::vector<Voter> v;
  for (uint32_t n = 0; n < cluster_nodes_max; ++n) {
    if (r.acks & (1u << n)) v.push_back(Voter{n, r.epochs[n]});
  }
  return v;
}

Proposer::Seq* Proposer::active_round(const std::string& name, Phase phase) {
  auto it = seqs_.find(name);
  if (it == seqs_.end() || !it->second.round || it->second.round->phase != phase) return nullptr;
  return &it->second;
}

void Proposer::enqueue(const PendingRequest& p, TimeUs now, ProposerOutput& out) {
  Seq& s = seqs_[p.req.seq];
  s.queue.push_back(p);
  ++queued_;
  active_.insert(p.req.seq);
  maybe_start(p.req.seq, s, now, out);
}

void Proposer::note_rival_accept(const std::string& seq, TimeUs now) {
  Seq& s = seqs_[seq];
  s.rival = local_.promised(seq);
  s.rival_us = now;
}

std::optional<uint32_t> Proposer::redirect_target(const ClientRequest& req, TimeUs now) const {
  if (cfg_.protocol != Protocol::ballot || !req.may_redirect) return std::nullopt;
  auto it = seqs_.find(req.seq);
  if (it == seqs_.end()) return std::nullopt;
  const Seq& s = it->second;
  // Work of our own for it (a round, queued requests, an orphan) goes on here.
  if (s.round || !s.queue.empty() || s.orphan || !s.rival_us || now - *s.rival_us > cfg_.leader_hint_us)
    return std::nullopt;
  // A later prepare of the same node keeps it the one granting (its fast path
  // broke, not its lead: 7 nodes, seed 16544); one of any other node ends the hint.
  if (s.rival.node == cfg_.self || s.rival.node >= cfg_.nodes || local_.promised(req.seq).node != s.rival.node)
    return std::nullopt;
  return s.rival.node;
}

void Proposer::note_phase_done(const Round& r, TimeUs now) {
  const TimeUs sample = now - r.phase_started_us;
  srtt_us_ = srtt_us_ == 0 ? sample : (7 * srtt_us_ + sample) / 8;
  rto_us_ = std::clamp<TimeUs>(cfg_.round_timeout_rtt_factor * srtt_us_, cfg_.round_timeout_us,
                               std::max(cfg_.round_timeout_us, cfg_.round_timeout_max_us));
}

void Proposer::maybe_start(const std::string& name, Seq& s, TimeUs now, ProposerOutput& out) {
  if (s.round || (s.queue.empty() && !s.orphan) || now < s.not_before_us) return;
  if (s.conflicts > 0) ++stats_.retries;
  Round r;
  r.phase_started_us = now;
  r.deadline_us = now + round_timeout_us();
  learn_local_lives(r);
  if (s.orphan) {  // its requests ride first, in their order
    r.own_ballot = s.orphan->ballot;
    r.own_base = s.orphan->base;
    r.own_value = s.orphan->value;
    r.own_count = s.orphan->batch.size();
    for (auto& p : s.orphan->batch) r.batch.push_back(std::move(p));
    s.orphan.reset();
  }
  const size_t take = cfg_.speedups.combine ? s.queue.size() : std::min<size_t>(s.queue.size(), r.batch.empty() ? 1 : 0);
  for (size_t i = 0; i < take; ++i) {
    r.batch.push_back(std::move(s.queue.front()));
    s.queue.pop_front();
  }
  queued_ -= take;
  // The fast path holds only while no other proposer has prepared above it here.
  if (s.fast && local_.promised(name) <= s.fast->ballot) {
    r.ballot = s.fast->ballot;
    r.base = s.fast->value;
    r.voters = std::move(s.fast->voters);
    s.fast.reset();
    s.round = std::move(r);
    ++stats_.fast_path_accepts;
    start_write(name, s, now, out);
    return;
  }
  s.fast.reset();
  ++stats_.prepare_phases;
  if (cfg_.protocol == Protocol::ballot) {
    const uint64_t round = std::max(s.round_seen, local_.promised(name).round) + 1;
    r.ballot = Ballot{round, cfg_.self, incarnation_};
    s.round_seen = round;
    broadcast(Prepare{name, r.ballot}, out);
  } else {
    r.op = next_op_++;
    broadcast(ClassicRead{name, r.op}, out);
  }
  s.round = std::move(r);
}

// An acceptor promised a higher ballot: the round is lost to it.
void Proposer::lose_round(Seq& s, const Ballot& promised, TimeUs now, ProposerOutput& out) {
  ++stats_.ballot_conflicts;
  s.round_seen = std::max(s.round_seen, promised.round);
  fail_round(s, now);
  redirect_queue(s, promised, out);
}

void Proposer::on_promise(uint32_t from, const Promise& m, TimeUs now, ProposerOutput& out) {
  Seq* s = active_round(m.seq, Phase::read);
  if (!s || s->round->ballot != m.ballot) return;  // stale answer to an older round
  Round& r = *s->round;
  if (!m.ok) return lose_round(*s, m.promised, now, out);
  if (r.acks & (1u << from)) return;
  if (std::tie(m.accepted, m.value) > std::tie(r.best_accepted, r.best_value)) {
    r.best_accepted = m.accepted;
    r.best_value = m.value;
  }
  if (count_ack(r, from, m.epoch, m.lives)) {
    note_phase_done(r, now);
    r.base = std::max<uint64_t>(r.best_value, 1);  // a fresh sequence starts at 1
    if (r.own_ballot && r.best_accepted == *r.own_ballot && r.best_value == r.own_value) {
      r.base = r.own_base;  // our own failed proposal is the latest value: extend it (Orphan)
      ++stats_.orphans_recovered;
    }
    r.voters = voters(r);
    start_write(m.seq, *s, now, out);
  }
}

void Proposer::on_classic_read_reply(uint32_t from, const ClassicReadReply& m, TimeUs now,
                                     ProposerOutput& out) {
  Seq* s = active_round(m.seq, Phase::read);
  if (!s || s->round->op != m.op) return;
  Round& r = *s->round;
  if (r.acks & (1u << from)) return;
  r.best_value = std::max(r.best_value, m.value);
  if (count_ack(r, from)) {
    r.base = std::max<uint64_t>(r.best_value, 1);
    start_write(m.seq, *s, now, out);
  }
}

void Proposer::start_write(const std::string& name, Seq& s, TimeUs now, ProposerOutput& out) {
  Round& r = *s.round;
  const std::optional<uint64_t> end = batch_end(r.base, r.batch);
  if (!end) {  // would pass id_max: never wrap
    for (auto& p : r.batch) out.answers.push_back(ClientAnswer{std::move(p), Status::exhausted});
    s.round.reset();
    if (s.queue.empty()) active_.erase(name);
    return;
  }
  ++stats_.accept_phases;
  r.end = *end;
  r.phase = Phase::write;
  r.acks = 0;
  learn_local_lives(r);
  r.phase_started_us = now;
  r.deadline_us = now + round_timeout_us();
  if (cfg_.protocol == Protocol::ballot) {
    const Ballot next = cfg_.speedups.fast_path ? Ballot{r.ballot.round + 1, cfg_.self, incarnation_} : Ballot{};
    // A ballot carries one value: CASPaxos' safety rests on it.
    RRSEQ_INVARIANT(s.last_write_ballot != r.ballot || s.last_write_value == *end, "one value per ballot");
    RRSEQ_INVARIANT(r.voters.size() == majority(cfg_.nodes), "an accept rests on a majority of promises");
    s.last_write_ballot = r.ballot;
    s.last_write_value = r.end;
    broadcast(Accept{name, r.ballot, r.end, next, r.voters}, out);
  } else {
    broadcast(ClassicWrite{name, r.op, r.end}, out);
  }
}

void Proposer::on_accepted(uint32_t from, const Accepted& m, TimeUs now, ProposerOutput& out) {
  Seq* s = active_round(m.seq, Phase::write);
  if (!s || s->round->ballot != m.ballot) return;
  if (!m.ok) return lose_round(*s, m.promised, now, out);
  if (count_ack(*s->round, from, m.epoch, m.lives)) {
    note_phase_done(*s->round, now);
    finish(m.seq, *s, now, out);
  }
}

void Proposer::on_classic_write_reply(uint32_t from, const ClassicWriteReply& m, TimeUs now,
                                      ProposerOutput& out) {
  Seq* s = active_round(m.seq, Phase::write);
  if (!s || s->round->op != m.op) return;
  if (count_ack(*s->round, from)) finish(m.seq, *s, now, out);
}

void Proposer::finish(const std::string& name, Seq& s, TimeUs now, ProposerOutput& out) {
  Round& r = *s.round;
  uint64_t next = r.base;
  RRSEQ_INVARIANT(next >= 1, "ID 0 is never granted");
  for (auto& p : r.batch) {
    next = std::max(next, p.req.at_least);
    const uint64_t n = p.req.count;
    out.answers.push_back(ClientAnswer{std::move(p), Status::ok, next, next + n});
    next += n;
  }
  RRSEQ_INVARIANT(next == r.end, "a batch's grants tile the accepted range");
  if (cfg_.speedups.fast_path && cfg_.protocol == Protocol::ballot) {
    const Ballot next{r.ballot.round + 1, cfg_.self, incarnation_};
    s.fast = FastPath{next, r.end, voters(r)};
    s.round_seen = std::max(s.round_seen, next.round);
  }
  s.round.reset();
  s.conflicts = 0;
  if (s.queue.empty()) {
    active_.erase(name);
  } else {
    maybe_start(name, s, now, out);
  }
}

void Proposer::fail_round(Seq& s, TimeUs now) {
  Round& r = *s.round;
  size_t keep = 0;  // requests of the batch kept in an Orphan, not queued again
  if (r.phase == Phase::write && cfg_.protocol == Protocol::ballot) {
    s.orphan = Orphan{r.ballot, r.base, r.end, {}};
    keep = r.batch.size();
  } else if (r.own_ballot) {  // the prepare failed: keep waiting to recognise the older proposal
    s.orphan = Orphan{*r.own_ballot, r.own_base, r.own_value, {}};
    keep = r.own_count;
  }
  if (keep > 0) {
    s.orphan->batch.assign(std::make_move_iterator(r.batch.begin()),
                           std::make_move_iterator(r.batch.begin() + static_cast<std::ptrdiff_t>(keep)));
  }
  // The rest of the batch goes back to the front of the queue, in its order.
  for (auto it = r.batch.rbegin(); it != r.batch.rend() - static_cast<std::ptrdiff_t>(keep); ++it) {
    s.queue.push_front(std::move(*it));
  }
  queued_ += r.batch.size() - keep;
  s.round.reset();
  s.fast.reset();
  s.conflicts = std::min(s.conflicts + 1, conflict_backoff_doublings_max);
  // The window grows with the time a phase takes: where a round lasts longer
  // than the configured maximum (slow fsync), rivals would otherwise collide for ever (G4).
  const TimeUs window_max = std::max(
      cfg_.backoff_max_us, std::min(cfg_.backoff_rtt_factor * srtt_us_, cfg_.backoff_rtt_cap_us));
  s.not_before_us = now + rng_.backoff(cfg_.backoff_min_us, cfg_.backoff_min_us + srtt_us_, s.conflicts, window_max);
}

void Proposer::redirect_queue(Seq& s, const Ballot& winner, ProposerOutput& out) {
  if (winner.node == cfg_.self || winner.node >= cfg_.nodes) return;
  std::deque<PendingRequest> stay;
  for (auto& p : s.queue) {
    if (p.req.may_redirect) {
      out.answers.push_back(ClientAnswer{std::move(p), Status::redirect, 0, 0, winner.node});
    } else {
      stay.push_back(std::move(p));
    }
  }
  queued_ -= s.queue.size() - stay.size();
  s.queue = std::move(stay);
}

void Proposer::on_timer(TimeUs now, ProposerOutput& out) {
  // Copy: finishing or starting rounds edits active_.
  const std::vector<std::string> names(active_.begin(), active_.end());
  for (const auto& name : names) {
    Seq& s = seqs_[name];
    if (s.round && now >= s.round->deadline_us) {
      ++stats_.round_timeouts;
      rto_us_ = std::min(std::max(cfg_.round_timeout_us, cfg_.round_timeout_max_us), 2 * round_timeout_us());
      fail_round(s, now);
    }
    if (s.orphan && !s.round && now >= s.orphan->batch.front().arrived_us + cfg_.queued_request_timeout_us) {
      for (auto& p : s.orphan->batch) out.answers.push_back(ClientAnswer{std::move(p), Status::timeout});
      s.orphan.reset();
    }
    while (!s.queue.empty() && now >= s.queue.front().arrived_us + cfg_.queued_request_timeout_us) {
      out.answers.push_back(ClientAnswer{std::move(s.queue.front()), Status::timeout});
      s.queue.pop_front();
      --queued_;
    }
    maybe_start(name, s, now, out);
    if (!s.round && s.queue.empty() && !s.orphan) active_.erase(name);
  }
}

std::optional<TimeUs> Proposer::next_timer() const {
  std::optional<TimeUs> t;
  auto consider = [&t](TimeUs x) { t = t ? std::min(*t, x) : x; };
  for (const auto& name : active_) {
    const Seq& s = seqs_.at(name);
    if (s.round) consider(s.round->deadline_us);
    if (!s.queue.empty() || s.orphan) {
      if (!s.round) consider(s.not_before_us);
    }
    if (!s.queue.empty()) {
      consider(s.queue.front().arrived_us + cfg_.queued_request_timeout_us);
    }
  }
  return t;
}

}  // namespace rrseq

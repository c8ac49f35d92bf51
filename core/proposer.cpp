#include "core/proposer.h"

#include <algorithm>

#include "core/limits.h"

namespace rrseq {

void Proposer::broadcast(const Message& m, ProposerOutput& out) {
  for (uint32_t n = 0; n < cfg_.nodes; ++n) out.sends.push_back(PeerSend{n, m});
}

bool Proposer::count_ack(Round& r, uint32_t from) {
  const uint32_t bit = 1u << from;
  if (from >= cfg_.nodes || (r.acks & bit)) return false;  // duplicate answers count once
  r.acks |= bit;
  return static_cast<uint32_t>(__builtin_popcount(r.acks)) == majority(cfg_.nodes);
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

void Proposer::maybe_start(const std::string& name, Seq& s, TimeUs now, ProposerOutput& out) {
  if (s.round || s.queue.empty() || now < s.not_before_us) return;
  if (s.conflicts > 0) ++stats_.retries;
  Round r;
  r.deadline_us = now + cfg_.round_timeout_us;
  const size_t take = cfg_.combine ? s.queue.size() : 1;
  for (size_t i = 0; i < take; ++i) {
    r.total += s.queue.front().req.count;
    r.batch.push_back(std::move(s.queue.front()));
    s.queue.pop_front();
  }
  queued_ -= take;
  // The fast path holds only while no other proposer has prepared above it here.
  if (s.fast && local_.promised(name) <= s.fast->ballot) {
    r.ballot = s.fast->ballot;
    r.base = s.fast->value;
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

void Proposer::on_promise(uint32_t from, const Promise& m, TimeUs now, ProposerOutput& out) {
  Seq* s = active_round(m.seq, Phase::read);
  if (!s || s->round->ballot != m.ballot) return;  // stale answer to an older round
  Round& r = *s->round;
  if (!m.ok) {
    ++stats_.ballot_conflicts;
    s->round_seen = std::max(s->round_seen, m.promised.round);
    fail_round(*s, now);
    return;
  }
  if (r.acks & (1u << from)) return;
  if (std::tie(m.accepted, m.value) > std::tie(r.best_accepted, r.best_value)) {
    r.best_accepted = m.accepted;
    r.best_value = m.value;
  }
  if (count_ack(r, from)) {
    r.base = std::max<uint64_t>(r.best_value, 1);  // a fresh sequence starts at 1
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
  if (r.base > id_max || r.total > id_max + 1 - r.base) {  // would pass id_max: never wrap
    for (auto& p : r.batch) out.answers.push_back(ClientAnswer{std::move(p), Status::exhausted});
    s.round.reset();
    if (s.queue.empty()) active_.erase(name);
    return;
  }
  ++stats_.accept_phases;
  r.phase = Phase::write;
  r.acks = 0;
  r.deadline_us = now + cfg_.round_timeout_us;
  if (cfg_.protocol == Protocol::ballot) {
    const Ballot next = cfg_.fast_path ? Ballot{r.ballot.round + 1, cfg_.self, incarnation_} : Ballot{};
    broadcast(Accept{name, r.ballot, r.base + r.total, next}, out);
  } else {
    broadcast(ClassicWrite{name, r.op, r.base + r.total}, out);
  }
}

void Proposer::on_accepted(uint32_t from, const Accepted& m, TimeUs now, ProposerOutput& out) {
  Seq* s = active_round(m.seq, Phase::write);
  if (!s || s->round->ballot != m.ballot) return;
  if (!m.ok) {
    ++stats_.ballot_conflicts;
    s->round_seen = std::max(s->round_seen, m.promised.round);
    fail_round(*s, now);
    return;
  }
  if (count_ack(*s->round, from)) finish(m.seq, *s, now, out);
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
  for (auto& p : r.batch) {
    const uint64_t n = p.req.count;
    out.answers.push_back(ClientAnswer{std::move(p), Status::ok, next, next + n});
    next += n;
  }
  if (cfg_.fast_path && cfg_.protocol == Protocol::ballot) {
    const Ballot next{r.ballot.round + 1, cfg_.self, incarnation_};
    s.fast = FastPath{next, r.base + r.total};
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
  // The batch goes back to the front of the queue, in its order.
  for (auto it = r.batch.rbegin(); it != r.batch.rend(); ++it) s.queue.push_front(std::move(*it));
  queued_ += r.batch.size();
  s.round.reset();
  s.fast.reset();
  s.conflicts = std::min<uint32_t>(s.conflicts + 1, 16);
  const TimeUs window =
      std::min<TimeUs>(cfg_.backoff_max_us, cfg_.backoff_min_us << std::min<uint32_t>(s.conflicts, 10));
  s.not_before_us = now + rng_.between(cfg_.backoff_min_us, std::max(window, cfg_.backoff_min_us));
}

void Proposer::on_timer(TimeUs now, ProposerOutput& out) {
  // Copy: finishing or starting rounds edits active_.
  const std::vector<std::string> names(active_.begin(), active_.end());
  for (const auto& name : names) {
    Seq& s = seqs_[name];
    if (s.round && now >= s.round->deadline_us) {
      ++stats_.round_timeouts;
      fail_round(s, now);
    }
    while (!s.queue.empty() && now >= s.queue.front().arrived_us + cfg_.request_timeout_us) {
      out.answers.push_back(ClientAnswer{std::move(s.queue.front()), Status::timeout});
      s.queue.pop_front();
      --queued_;
    }
    maybe_start(name, s, now, out);
    if (!s.round && s.queue.empty()) active_.erase(name);
  }
}

std::optional<TimeUs> Proposer::next_timer() const {
  std::optional<TimeUs> t;
  auto consider = [&t](TimeUs x) { t = t ? std::min(*t, x) : x; };
  for (const auto& name : active_) {
    const Seq& s = seqs_.at(name);
    if (s.round) consider(s.round->deadline_us);
    if (!s.queue.empty()) {
      if (!s.round) consider(s.not_before_us);
      consider(s.queue.front().arrived_us + cfg_.request_timeout_us);
    }
  }
  return t;
}

}  // namespace rrseq

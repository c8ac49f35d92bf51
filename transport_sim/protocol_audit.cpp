#include "transport_sim/protocol_audit.h"

#include <algorithm>

namespace rrseq {
namespace {
std::string node_name(uint32_t n) { return "n" + std::to_string(n); }
}  // namespace

void ProtocolAudit::on_send(uint32_t from, const PeerMessage& m) {
  Kept& k = nodes_.at(from);
  auto keep = [&](const std::string& seq, const Ballot& b) {
    Ballot& kept = k.promised[seq];
    kept = std::max(kept, b);
  };
  if (const auto* a = std::get_if<Accept>(&m)) {
    one_value_per_ballot(from, *a);
    for (const Voter& v : a->voters) on_counted(*a, v);
  } else if (const auto* p = std::get_if<Promise>(&m); p && p->ok) {
    check_kept(from, p->seq, p->ballot, "a promise");
    on_answer(from, p->epoch, p->seq, p->ballot, "a promise");
    keep(p->seq, p->promised);
  } else if (const auto* d = std::get_if<Accepted>(&m); d && d->ok) {
    check_kept(from, d->seq, d->ballot, "an accept");
    on_answer(from, d->epoch, d->seq, d->ballot, "an accept");
    keep(d->seq, d->promised);
  } else if (const auto* f = std::get_if<FenceReply>(&m); f && f->ok) {
    k.fence = std::max(k.fence, f->max_promised);
    granted_[f->ballot].push_back({from, lives_lost_[from]});
  } else if (const auto* q = std::get_if<FenceRequest>(&m)) {
    fence_sent_[from] = q->ballot;
  }
}

void ProtocolAudit::forget(uint32_t n) {
  nodes_.at(n) = Kept{};
  fence_sent_[n] = Ballot{};
  ++lives_lost_[n];
  epochs_before_[n].insert(epochs_now_[n].begin(), epochs_now_[n].end());
  epochs_now_[n].clear();
}

void ProtocolAudit::report_fence(const NodeLife& granter, const Ballot& fence, const Ballot& b, const char* what) {
  report_amnesia(node_name(granter.first) + " sent " + what + " at ballot " + b.str() + " after losing its state (" +
                 std::to_string(lives_lost_[granter.first]) + " times); before (" +
                 std::to_string(granter.second) + " times), it had granted the fence " + fence.str() +
                 " of a rejoin that completed with it");
}

// The fence a node sent last before it answers ok is the one its rejoin completed with.
void ProtocolAudit::complete_fence(const Ballot& fence) {
  completed_.insert(fence);
  auto it = granted_.find(fence);
  if (it == granted_.end()) return;
  for (const NodeLife& g : it->second) {
    for (auto l = lowest_in_life_.upper_bound(g); l != lowest_in_life_.end() && l->first.first == g.first; ++l) {
      if (l->second < fence) report_fence(g, fence, l->second, "an ok answer");
    }
  }
}

Ballot ProtocolAudit::highest(const Kept& k, const std::string& seq) {
  auto it = k.promised.find(seq);
  return std::max(k.fence, it == k.promised.end() ? Ballot{} : it->second);
}

void ProtocolAudit::report_amnesia(const std::string& text) {
  if (amnesia_reported_) return;
  amnesia_reported_ = true;
  failures_.push_back("amnesia: " + text);
}

void ProtocolAudit::check_earlier_fences(uint32_t from, const Ballot& b, const char* what) {
  for (auto f = completed_.upper_bound(b); f != completed_.end(); ++f) {
    auto it = granted_.find(*f);
    if (it == granted_.end()) continue;
    for (const NodeLife& g : it->second) {
      if (g.first == from && g.second < lives_lost_[from]) report_fence(g, *f, b, what);
    }
  }
}

void ProtocolAudit::on_answer(uint32_t from, uint32_t epoch, const std::string& seq, const Ballot& b,
                              const char* what) {
  if (!fence_sent_[from].is_zero()) {
    complete_fence(fence_sent_[from]);
    fence_sent_[from] = Ballot{};
  }
  if (epochs_now_[from].insert(epoch).second && epochs_before_[from].count(epoch)) {
    report_amnesia(node_name(from) + " sent " + what + " at ballot " + b.str() + " in epoch " + std::to_string(epoch) +
                   " after losing its state (" + std::to_string(lives_lost_[from]) +
                   " times), an epoch an earlier life of it answered in");
  }
  Ballot& lowest = lowest_in_life_.try_emplace({from, lives_lost_[from]}, b).first->second;
  lowest = std::min(lowest, b);
  check_earlier_fences(from, b, what);
  const NodeSeq key{from, seq};
  Ballot& low = lowest_ok_[key].try_emplace(epoch, b).first->second;
  low = std::min(low, b);
  auto it = counted_.find(key);
  if (it == counted_.end()) return;
  for (auto e = it->second.begin(); e != it->second.end() && e->first < epoch; ++e) {
    if (b < e->second) {
      report_amnesia(node_name(from) + " sent " + what + " for " + seq + " at ballot " + b.str() + " in epoch " +
                     std::to_string(epoch) + ", below an accept at " + e->second.str() +
                     " that counted its promise from epoch " + std::to_string(e->first));
    }
  }
}

void ProtocolAudit::on_counted(const Accept& a, const Voter& v) {
  const NodeSeq key{v.node, a.seq};
  Ballot& high = counted_[key].try_emplace(v.epoch, a.ballot).first->second;
  high = std::max(high, a.ballot);
  auto it = lowest_ok_.find(key);
  if (it == lowest_ok_.end()) return;
  for (auto e = it->second.upper_bound(v.epoch); e != it->second.end(); ++e) {
    if (e->second < a.ballot) {
      report_amnesia("an accept for " + a.seq + " at ballot " + a.ballot.str() + " counted n" +
                     std::to_string(v.node) + "'s promise from epoch " + std::to_string(v.epoch) +
                     ", but in epoch " + std::to_string(e->first) + " it answered ok at " + e->second.str());
    }
  }
}

void ProtocolAudit::one_value_per_ballot(uint32_t from, const Accept& a) {
  auto [it, inserted] = proposed_.try_emplace({a.seq, a.ballot}, a.value);
  if (inserted || it->second == a.value || ballot_reported_) return;
  ballot_reported_ = true;
  failures_.push_back("ballot: " + node_name(from) + " proposed value " + std::to_string(a.value) + " under ballot " +
                      a.ballot.str() + ", which already carried value " + std::to_string(it->second));
}

void ProtocolAudit::check_kept(uint32_t from, const std::string& seq, const Ballot& b, const char* what) {
  const Ballot kept = highest(nodes_.at(from), seq);
  if (!(b < kept) || promise_reported_) return;
  promise_reported_ = true;
  failures_.push_back("promise: " + node_name(from) + " sent " + what + " for " + seq + " at ballot " + b.str() +
                      " after promising " + kept.str());
}

}  // namespace rrseq

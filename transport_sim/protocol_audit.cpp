#include "transport_sim/protocol_audit.h"

#include <algorithm>

namespace rrseq {
namespace {
std::string node_name(uint32_t n) { return "n" + std::to_string(n); }
}  // namespace

void ProtocolAudit::on_send(uint32_t from, const Message& m, uint32_t to) {
  Kept& k = nodes_.at(from);
  auto keep = [&](const std::string& seq, const Ballot& b) {
    Ballot& kept = k.promised[seq];
    kept = std::max(kept, b);
    if (to == from) return;
    Ballot& far = k.promised_to_peers[seq];
    far = std::max(far, b);
  };
  if (const auto* a = std::get_if<Accept>(&m)) {
    one_value_per_ballot(from, *a);
  } else if (const auto* p = std::get_if<Promise>(&m); p && p->ok) {
    check_kept(from, p->seq, p->ballot, "a promise");
    check_earlier_lives(from, p->seq, p->ballot, "a promise");
    keep(p->seq, p->promised);
  } else if (const auto* d = std::get_if<Accepted>(&m); d && d->ok) {
    check_kept(from, d->seq, d->ballot, "an accept");
    check_earlier_lives(from, d->seq, d->ballot, "an accept");
    keep(d->seq, d->promised);
  } else if (const auto* f = std::get_if<FenceReply>(&m); f && f->ok) {
    k.fence = std::max(k.fence, f->max_promised);
  }
}

void ProtocolAudit::forget(uint32_t n) {
  Kept& past = earlier_.at(n);
  Kept& now = nodes_.at(n);
  for (const auto& [seq, b] : now.promised_to_peers) past.promised[seq] = std::max(past.promised[seq], b);
  past.fence = std::max(past.fence, now.fence);
  now = Kept{};
  ++lives_lost_[n];
}

Ballot ProtocolAudit::highest(const Kept& k, const std::string& seq) {
  auto it = k.promised.find(seq);
  return std::max(k.fence, it == k.promised.end() ? Ballot{} : it->second);
}

void ProtocolAudit::check_earlier_lives(uint32_t from, const std::string& seq, const Ballot& b, const char* what) {
  if (lives_lost_[from] == 0 || amnesia_reported_) return;
  const Ballot kept = highest(earlier_[from], seq);
  if (!(b < kept)) return;
  amnesia_reported_ = true;
  failures_.push_back("amnesia: " + node_name(from) + " sent " + what + " for " + seq + " at ballot " + b.str() +
                      " after losing its state (" + std::to_string(lives_lost_[from]) +
                      " times); before, it had promised " + kept.str());
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

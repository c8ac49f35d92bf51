#include "transport_sim/gap_audit.h"

#include <algorithm>

namespace rrseq {

void GapAudit::on_request(const ClientRequest& r) {
  seq_of_.try_emplace({r.client, r.request}, r.seq);
  if (r.at_least != 0) advanced_[r.seq].insert(r.at_least);
}

void GapAudit::on_send(const PeerMessage& m) {
  if (const auto* a = std::get_if<Accept>(&m)) {
    proposed_[a->seq].insert(a->value);
  } else if (const auto* w = std::get_if<ClassicWrite>(&m)) {
    proposed_[w->seq].insert(w->value);
  }
}

void GapAudit::on_reply(const ClientReply& r) {
  if (r.status != Status::ok || r.from >= r.to) return;
  auto it = seq_of_.find({r.client, r.request});
  if (it == seq_of_.end()) return;  // not a request any node received: the checker's G1 case
  granted_[it->second].emplace_back(r.from, r.to);
}

std::string GapAudit::check() const {
  static const std::set<uint64_t> none;
  for (const auto& [seq, ranges] : granted_) {
    std::vector<std::pair<uint64_t, uint64_t>> sorted = ranges;
    std::sort(sorted.begin(), sorted.end());
    auto pit = proposed_.find(seq);
    auto ait = advanced_.find(seq);
    const std::set<uint64_t>& proposed = pit == proposed_.end() ? none : pit->second;
    const std::set<uint64_t>& advanced = ait == advanced_.end() ? none : ait->second;
    uint64_t covered_to = 1;  // IDs below it are granted, or lie in an explained gap
    for (const auto& [from, to] : sorted) {
      if (from > covered_to) {  // the gap [covered_to, from)
        // Its start: 1, a proposed value, or (an Advance skipped the IDs before it) an advanced one.
        uint64_t start = covered_to;
        if (start != 1 && proposed.count(start) == 0) {
          const auto x = advanced.upper_bound(start);
          if (x != advanced.end() && *x <= from) start = *x;
        }
        const bool start_ok = start == 1 || proposed.count(start) > 0 || advanced.count(start) > 0;
        const bool end_ok = start == from || proposed.count(from) > 0 || advanced.count(from) > 0;
        if (!start_ok || !end_ok) {
          const uint64_t edge = start_ok ? from : covered_to;
          return "gap: IDs " + std::to_string(covered_to) + ".." + std::to_string(from - 1) + " of " + seq +
                 " were skipped, but no Accept proposed the value " + std::to_string(edge) + " at its " +
                 (start_ok ? "end" : "start") + ", nor did an Advance ask for it" +
                 " (a failed round loses its whole range, never a part)";
        }
      }
      covered_to = std::max(covered_to, to);
    }
  }
  return "";
}

}  // namespace rrseq

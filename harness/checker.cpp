// Checks what clients saw against the contract (README.md, "Guarantees").
// Every check is O(n log n) in the number of records, so a long run stays cheap.
#include "harness/checker.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace rrseq {
namespace {

// A broken run can violate a property millions of times; a few examples are enough.
constexpr size_t violations_per_property_max = 5;
// IDs listed per violation.
constexpr uint64_t ids_per_violation_max = 4;

uint64_t add_saturating(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

bool valid_range(const GrantRecord& g) { return g.from != 0 && g.from < g.to; }

std::string us(TimeUs t) { return std::to_string(t) + "us"; }

std::string range(const GrantRecord& g) {
  return "[" + std::to_string(g.from) + "," + std::to_string(g.to) + ")";
}

// "client 2 request 5 [10,20)"
std::string who(const GrantRecord& g) {
  return "client " + std::to_string(g.client) + " request " + std::to_string(g.request) + " " +
         range(g);
}

// The first few IDs of [from, to).
std::vector<uint64_t> first_ids(uint64_t from, uint64_t to) {
  std::vector<uint64_t> ids;
  for (uint64_t id = from; id < to && ids.size() < ids_per_violation_max; ++id) ids.push_back(id);
  return ids;
}

// Collects violations, keeping at most a few per property and counting the rest.
class Reporter {
 public:
  void add(const std::string& property, std::string detail, std::vector<uint64_t> ids) {
    size_t& n = seen_[property];
    ++n;
    if (n > violations_per_property_max) return;
    out_.push_back(Violation{property, std::move(detail), std::move(ids)});
  }

  std::vector<Violation> finish() {
    // Say how many were left out, on the last one shown for that property.
    for (const auto& [property, n] : seen_) {
      if (n <= violations_per_property_max) continue;
      for (auto it = out_.rbegin(); it != out_.rend(); ++it) {
        if (it->property != property) continue;
        it->detail += " (and " + std::to_string(n - violations_per_property_max) + " more " +
                      property + " violations not shown)";
        break;
      }
    }
    return std::move(out_);
  }

 private:
  std::map<std::string, size_t> seen_;
  std::vector<Violation> out_;
};

// Indices of the grants with a valid range, sorted by (from, to, index).
std::vector<size_t> valid_by_from(const History& h) {
  std::vector<size_t> order;
  for (size_t i = 0; i < h.grants.size(); ++i) {
    if (valid_range(h.grants[i])) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const GrantRecord& x = h.grants[a];
    const GrantRecord& y = h.grants[b];
    if (x.from != y.from) return x.from < y.from;
    if (x.to != y.to) return x.to < y.to;
    return a < b;
  });
  return order;
}

// G1, plus the statistics that come from the same sweep over grants sorted by `from`.
void check_unique(const History& h, const std::vector<size_t>& by_from, Reporter& r,
                  CheckReport& report) {
  for (const GrantRecord& g : h.grants) {
    if (valid_range(g)) continue;
    r.add("G1", "invalid range: " + who(g) + " received at " + us(g.received_us), {g.from});
  }

  uint64_t distinct = 0;
  uint64_t covered_to = 0;  // max `to` of the grants seen so far
  size_t covered_by = 0;    // the grant that reaches covered_to
  for (size_t i : by_from) {
    const GrantRecord& g = h.grants[i];
    report.ids_granted = add_saturating(report.ids_granted, g.to - g.from);
    report.id_high = std::max(report.id_high, g.to - 1);
    if (g.from < covered_to) {
      const GrantRecord& a = h.grants[covered_by];
      const uint64_t overlap_to = std::min(g.to, covered_to);
      r.add("G1",
            "id " + std::to_string(g.from) + " granted twice: " + who(a) + " at " +
                us(a.received_us) + " and " + who(g) + " at " + us(g.received_us) + " (" +
                std::to_string(overlap_to - g.from) + " ids overlap)",
            first_ids(g.from, overlap_to));
    }
    const uint64_t fresh_from = std::max(g.from, covered_to);
    if (g.to > fresh_from) distinct += g.to - fresh_from;
    if (g.to > covered_to) {
      covered_to = g.to;
      covered_by = i;
    }
  }
  report.ids_skipped = report.id_high > distinct ? report.id_high - distinct : 0;
}

// Disjoint, sorted [from, to) intervals: the union of one client's grants.
using Intervals = std::vector<std::pair<uint64_t, uint64_t>>;

bool contains(const Intervals& iv, uint64_t id) {
  auto it = std::upper_bound(iv.begin(), iv.end(), id,
                             [](uint64_t v, const auto& p) { return v < p.first; });
  if (it == iv.begin()) return false;
  --it;
  return id < it->second;
}

// G2: each client's consumed IDs strictly increase and come from its own grants.
void check_per_client(const History& h, const std::vector<size_t>& by_from, Reporter& r) {
  std::map<uint32_t, Intervals> granted;
  for (size_t i : by_from) {
    const GrantRecord& g = h.grants[i];
    Intervals& iv = granted[g.client];
    if (!iv.empty() && g.from <= iv.back().second) {
      iv.back().second = std::max(iv.back().second, g.to);
    } else {
      iv.emplace_back(g.from, g.to);
    }
  }

  static const Intervals none;
  std::map<uint32_t, const ConsumeRecord*> last;
  for (const ConsumeRecord& c : h.consumed) {
    auto g = granted.find(c.client);
    if (!contains(g == granted.end() ? none : g->second, c.id)) {
      r.add("G2",
            "consumed ID never granted to this client: client " + std::to_string(c.client) +
                " consumed id " + std::to_string(c.id) + " at " + us(c.at_us),
            {c.id});
    }
    const ConsumeRecord*& prev = last[c.client];
    if (prev != nullptr && c.id <= prev->id) {
      r.add("G2",
            "client " + std::to_string(c.client) + " consumed id " + std::to_string(c.id) +
                " at " + us(c.at_us) + " after id " + std::to_string(prev->id) + " at " +
                us(prev->at_us),
            {prev->id, c.id});
    }
    prev = &c;
  }
}

// One answer a caller saw, as G3 orders answers: it must reach `low` at least
// the highest `high` of the answers received before it was sent. A grant
// [from, to) has low `from` and high `to`; a Current or Advance answer, the
// bound b, has both b (it sees every ID granted before it, and every later
// grant lies above it).
struct Seen {
  TimeUs sent_us = 0;
  TimeUs received_us = 0;
  uint64_t low = 0;
  uint64_t high = 0;
  std::string who;
  bool grant = true;
  // The IDs of a violation: those of a grant below `limit`, or a bound.
  std::vector<uint64_t> ids_below(uint64_t limit) const {
    return grant ? first_ids(low, std::min(limit, high)) : std::vector<uint64_t>{low};
  }
};

std::string who(const BoundRecord& b) {
  return "reader " + std::to_string(b.reader) + " request " + std::to_string(b.request) +
         (b.at_least == 0 ? " Current" : " Advance to " + std::to_string(b.at_least)) + " bound " +
         std::to_string(b.bound);
}

// G3, with reads: if A was received strictly before B was first sent, B lies
// entirely above A (a grant), or B's bound reaches A's top (a Current or Advance).
void check_real_time(const History& h, Reporter& r) {
  std::vector<Seen> seen;
  for (const GrantRecord& g : h.grants) {
    if (!valid_range(g)) continue;  // already reported under G1
    seen.push_back(Seen{g.sent_us, g.received_us, g.from, g.to, who(g), true});
  }
  for (const BoundRecord& b : h.bounds) {
    seen.push_back(Seen{b.sent_us, b.received_us, b.bound, b.bound, who(b), false});
  }
  std::vector<size_t> order;
  for (size_t i = 0; i < seen.size(); ++i) {
    const Seen& x = seen[i];
    if (x.received_us < x.sent_us) {
      r.add("G3", "invalid times: " + x.who + " sent " + us(x.sent_us) + " received " +
                      us(x.received_us) + " (received before sent)",
            {x.low});
      continue;
    }
    order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const TimeUs x = seen[a].received_us;
    const TimeUs y = seen[b].received_us;
    return x != y ? x < y : a < b;
  });

  // max_high_by[k]: the answer with the highest `high` among order[0..k].
  std::vector<size_t> max_high_by(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    max_high_by[k] = order[k];
    if (k > 0 && seen[max_high_by[k - 1]].high >= seen[order[k]].high) {
      max_high_by[k] = max_high_by[k - 1];
    }
  }

  for (size_t b_index : order) {
    const Seen& b = seen[b_index];
    // Answers received strictly before B was sent: order[0 .. done).
    auto end = std::lower_bound(order.begin(), order.end(), b.sent_us,
                                [&](size_t i, TimeUs t) { return seen[i].received_us < t; });
    const size_t done = static_cast<size_t>(end - order.begin());
    if (done == 0) continue;
    const Seen& a = seen[max_high_by[done - 1]];
    if (a.high <= b.low) continue;
    r.add("G3",
          a.who + " received at " + us(a.received_us) + " but later " + b.who + " sent at " +
              us(b.sent_us) + " (received " + us(b.received_us) + ") " +
              (b.grant ? "has ids below " : "is below ") + std::to_string(a.high),
          b.ids_below(a.high));
  }
}

// Advance: the bound it answers is at least the value it asked for, so every
// later grant lies above it (G3 then checks those).
void check_advances(const History& h, Reporter& r) {
  for (const BoundRecord& b : h.bounds) {
    if (b.bound >= b.at_least) continue;
    r.add("advance", who(b) + " received at " + us(b.received_us) + " is below its value",
          {b.bound, b.at_least});
  }
}

// G5: a calm run hands out 1, 2, 3, ... with no hole, and the client takes them in order.
void check_gap_free(const History& h, const std::vector<size_t>& by_from, Reporter& r) {
  uint64_t next = 1;  // lowest ID not yet covered
  for (size_t i : by_from) {
    const GrantRecord& g = h.grants[i];
    if (g.from > next) {
      r.add("G5",
            "calm run skipped ids " + std::to_string(next) + ".." + std::to_string(g.from - 1) +
                ": next grant is " + who(g) + " at " + us(g.received_us),
            first_ids(next, g.from));
    }
    next = std::max(next, g.to);
  }
  for (size_t k = 0; k < h.consumed.size(); ++k) {
    const ConsumeRecord& c = h.consumed[k];
    if (c.id == k + 1) continue;
    r.add("G5",
          "calm run consumed id " + std::to_string(c.id) + " (client " +
              std::to_string(c.client) + " at " + us(c.at_us) + ") where id " +
              std::to_string(k + 1) + " was expected",
          {k + 1, c.id});
    break;  // everything after the first mismatch is shifted
  }
}

// "n0 n1 n3"
std::string node_list(const std::vector<uint32_t>& nodes) {
  std::string s;
  for (uint32_t n : nodes) s += (s.empty() ? "n" : " n") + std::to_string(n);
  return s;
}

// live (G4): once a majority with state is up and connected (from heal_us on),
// every client that reaches it gets a fresh grant within the bound. Without
// such a majority nothing is promised.
void check_live(const History& h, Reporter& r) {
  if (h.live_clients.empty()) return;
  const bool whole_cluster = h.nodes == 0 && h.heal_nodes.empty();
  if (!whole_cluster && h.heal_nodes.size() < h.nodes / 2 + 1) return;
  const TimeUs deadline = add_saturating(h.heal_us, h.liveness_bound_us);
  std::vector<uint32_t> clients = h.live_clients;
  std::sort(clients.begin(), clients.end());
  clients.erase(std::unique(clients.begin(), clients.end()), clients.end());

  // Per client, the earliest-received grant requested at or after the heal.
  std::map<uint32_t, const GrantRecord*> first_after_heal;
  for (const GrantRecord& g : h.grants) {
    if (g.sent_us < h.heal_us) continue;
    const GrantRecord*& best = first_after_heal[g.client];
    if (best == nullptr || g.received_us < best->received_us) best = &g;
  }

  for (uint32_t client : clients) {
    auto it = first_after_heal.find(client);
    const GrantRecord* g = it == first_after_heal.end() ? nullptr : it->second;
    if (g != nullptr && g->received_us <= deadline) continue;
    std::string detail = "client " + std::to_string(client) +
                         " got no grant requested at or after the heal at " + us(h.heal_us) +
                         " and received by " + us(deadline) + " (bound " +
                         us(h.liveness_bound_us) + ")" +
                         (whole_cluster ? "" : ", with " + node_list(h.heal_nodes) + " up and connected");
    std::vector<uint64_t> ids;
    if (g != nullptr) {
      detail += "; first was " + who(*g) + " sent " + us(g->sent_us) + " received " +
                us(g->received_us);
      ids.push_back(g->from);
    } else {
      detail += "; none after the heal";
    }
    r.add("live", std::move(detail), std::move(ids));
  }
}

}  // namespace

CheckReport check_history(const History& h) {
  CheckReport report;
  Reporter r;
  report.grants = h.grants.size();
  report.ids_consumed = h.consumed.size();

  const std::vector<size_t> by_from = valid_by_from(h);
  check_unique(h, by_from, r, report);
  check_per_client(h, by_from, r);
  check_real_time(h, r);
  check_advances(h, r);
  if (h.calm) check_gap_free(h, by_from, r);
  check_live(h, r);

  report.violations = r.finish();
  return report;
}

}  // namespace rrseq

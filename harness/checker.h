#pragma once
// Checks a History against the contract (README.md, "Guarantees"):
//   G1 unique      no ID in two grants
//   G2 per-client  each client's consumed IDs strictly increase (across its restarts)
//   G3 real time   a grant received before another was first sent lies entirely below it;
//                  a Current or Advance bound is at or above every ID granted before it was
//                  sent, at or above every bound read before, and below every later grant
//   advance        an Advance's bound is at least the value it asked for
//   G5 gap-free    when calm, the grants cover 1, 2, 3, ... with no hole
//   live           once a majority with state is up and connected (the final heal, which
//                  may leave a minority down or cut off), every client that reaches it gets
//                  a fresh grant within the bound
#include <cstdint>
#include <string>
#include <vector>

#include "harness/history.h"

namespace rrseq {

struct Violation {
  std::string property;  // "G1", "G2", "G3", "G5", "live", "advance"
  std::string detail;    // readable: clients, requests, times
  std::vector<uint64_t> ids;  // the IDs involved (at most a few)
};

struct CheckReport {
  std::vector<Violation> violations;  // at most a few per property
  uint64_t grants = 0;
  uint64_t ids_granted = 0;   // sum of grant sizes
  uint64_t ids_consumed = 0;
  uint64_t id_high = 0;       // highest ID granted
  uint64_t ids_skipped = 0;   // IDs in [1, id_high] never granted to a client (gaps)
  bool ok() const { return violations.empty(); }
};

CheckReport check_history(const History& h);

}  // namespace rrseq

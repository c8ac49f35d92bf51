#pragma once
// G5 under faults: IDs are skipped only in whole proposals.
//
// A round grants its batch the range [base, value): base is a value read from
// a quorum (the highest accepted one, 1 for a fresh sequence, or the base of
// the proposer's own earlier proposal it found again), value is what its
// Accept carried, and the batch's grants tile the range. A round that fails
// loses its whole range, never a part. So, over everything the nodes sent to
// clients (arrived or not), every gap between granted IDs of a sequence must
// start at 1 or at a proposed value and end at a proposed value; a gap with
// any other edge means a round granted from a base it never read, or split
// its range wrongly (mutant 29: a recovered proposal granted one ID late).
// An Advance to X explains any gap that ends at X: the grant after it in its
// batch starts there, wherever the grant before it ended.
//   "gap:" reports the first such gap.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/messages.h"

namespace rrseq {

class GapAudit {
 public:
  // A node received this request: its sequence names the range of the reply.
  void on_request(const ClientRequest& r);
  // A node proposed this message (Accept and ClassicWrite values count).
  void on_send(const PeerMessage& m);
  // A node sent this reply to a client, whether or not it arrives.
  void on_reply(const ClientReply& r);
  // After the run: the first gap with an edge no proposal explains, or "".
  std::string check() const;

 private:
  std::map<std::pair<uint64_t, uint64_t>, std::string> seq_of_;  // (client, request) -> sequence
  std::map<std::string, std::set<uint64_t>> proposed_;           // per sequence, values proposed
  std::map<std::string, std::set<uint64_t>> advanced_;           // per sequence, values Advances asked for
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> granted_;  // per sequence, [from, to)
};

}  // namespace rrseq

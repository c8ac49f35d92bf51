#pragma once
// What a node keeps on disk, as records in its log (log_format.h), and the
// state those records rebuild. The last record for a key wins.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/ballot.h"
#include "core/codec.h"
#include "core/messages.h"

namespace rrseq {

struct SeqRecord {  // the whole acceptor state of one sequence
  SeqState state;
};
struct FloorRecord {  // node-wide promise given to a rejoining peer (rejoin.h)
  Ballot floor;
};
struct EpochSeenRecord {  // epoch last handed to `node` when it rejoined
  uint32_t node = 0;
  uint32_t epoch = 0;
};
struct IncarnationRecord {  // written at every start, before any message is sent
  uint64_t incarnation = 0;
};
struct InitializedRecord {};  // the node has state: it bootstrapped or caught up
struct LiveEpochRecord {  // `node` rejoined in `epoch`: its promises from earlier epochs are void
  uint32_t node = 0;
  uint32_t epoch = 0;
};
struct NonceRecord {  // random, made at the first start on this data directory
  uint64_t nonce = 0;
};
struct FounderRecord {  // founded the cluster counting `node`, as it was then (`nonce`), as empty
  uint32_t node = 0;
  uint64_t nonce = 0;
};

using StorageRecord =
    std::variant<SeqRecord, FloorRecord, EpochSeenRecord, IncarnationRecord, InitializedRecord,
                 LiveEpochRecord, NonceRecord, FounderRecord>;

std::string encode_record(const StorageRecord& r);
// Checks every field against limits.h; the error names the field.
std::variant<StorageRecord, DecodeError> decode_record(std::span<const uint8_t> payload);

struct DurableState {
  bool initialized = false;
  uint64_t incarnation = 0;
  Ballot floor;
  std::map<uint32_t, uint32_t> epoch_seen;     // node -> epoch
  std::map<uint32_t, uint32_t> live_epoch;     // node -> epoch of its latest rejoin known here
  uint64_t nonce = 0;                          // this life's (memory) or directory's (durable) identity
  std::map<uint32_t, uint64_t> founders;       // node -> its nonce when counted as empty at founding
  std::map<std::string, SeqState> sequences;   // name -> state (ordered: deterministic)

  void apply(const StorageRecord& r);
  // Records that rebuild this state from nothing (a compacted snapshot).
  std::vector<StorageRecord> snapshot() const;
};

}  // namespace rrseq

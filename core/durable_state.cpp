#include "core/durable_state.h"

#include <algorithm>
#include <type_traits>

#include "core/bytes.h"
#include "core/limits.h"

namespace rrseq {

namespace {

// Record tags are the variant indices; these pin them so a reordering of
// StorageRecord cannot silently change the format on disk.
static_assert(std::is_same_v<std::variant_alternative_t<0, StorageRecord>, SeqRecord>);
static_assert(std::is_same_v<std::variant_alternative_t<1, StorageRecord>, FloorRecord>);
static_assert(std::is_same_v<std::variant_alternative_t<2, StorageRecord>, EpochSeenRecord>);
static_assert(std::is_same_v<std::variant_alternative_t<3, StorageRecord>, IncarnationRecord>);
static_assert(std::is_same_v<std::variant_alternative_t<4, StorageRecord>, InitializedRecord>);
static_assert(std::is_same_v<std::variant_alternative_t<5, StorageRecord>, LiveEpochRecord>);
static_assert(std::is_same_v<std::variant_alternative_t<6, StorageRecord>, NonceRecord>);
static_assert(std::is_same_v<std::variant_alternative_t<7, StorageRecord>, FounderRecord>);

void put_ballot(ByteWriter& w, const Ballot& b) {
  w.put_u64(b.round);
  w.put_u32(b.node);
  w.put_u64(b.incarnation);
}

// Reads fields in order; the first failure is kept with the field's name and offset.
class FieldReader {
 public:
  explicit FieldReader(std::span<const uint8_t> in) : r_(in) {}

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  void u8(const char* field, uint8_t* v) { read(field, [&] { return r_.get_u8(v); }); }
  void u32(const char* field, uint32_t* v) { read(field, [&] { return r_.get_u32(v); }); }
  void u64(const char* field, uint64_t* v) { read(field, [&] { return r_.get_u64(v); }); }

  void ballot(const char* field, Ballot* b) {
    const size_t at = r_.offset();
    u64(field, &b->round);
    u32(field, &b->node);
    u64(field, &b->incarnation);
    if (!failed() && b->node >= cluster_nodes_max) {
      fail(at, std::string(field) + " node out of range (" + std::to_string(b->node) +
                   " >= " + std::to_string(cluster_nodes_max) + ")");
    }
  }

  void name(const char* field, std::string* v) {
    const size_t at = r_.offset();
    read(field, [&] { return r_.get_string(v); });
    if (!failed() && !valid_seq_name(*v)) {
      fail(at, std::string(field) + " invalid (" + std::to_string(v->size()) +
                   " bytes; want 1.." + std::to_string(seq_name_bytes_max) + " of [A-Za-z0-9_.-])");
    }
  }

  void node(const char* field, uint32_t* v) {
    const size_t at = r_.offset();
    u32(field, v);
    if (!failed() && *v >= cluster_nodes_max) {
      fail(at, std::string(field) + " out of range (" + std::to_string(*v) + " >= " +
                   std::to_string(cluster_nodes_max) + ")");
    }
  }

  void expect_end() {
    if (!failed() && !r_.done()) {
      fail(r_.offset(), std::to_string(r_.remaining()) + " trailing bytes");
    }
  }

  void fail(size_t at, const std::string& why) {
    if (!failed()) error_ = "record offset " + std::to_string(at) + ": " + why;
  }

 private:
  template <typename F>
  void read(const char* field, F get) {
    if (failed()) return;
    const size_t at = r_.offset();
    if (!get()) fail(at, std::string(field) + " cut short");
  }

  ByteReader r_;
  std::string error_;
};

}  // namespace

std::string encode_record(const StorageRecord& r) {
  std::string out;
  ByteWriter w(out);
  w.put_u8(static_cast<uint8_t>(r.index()));
  std::visit(
      [&](const auto& rec) {
        using T = std::decay_t<decltype(rec)>;
        if constexpr (std::is_same_v<T, SeqRecord>) {
          w.put_string(rec.state.seq);
          put_ballot(w, rec.state.promised);
          put_ballot(w, rec.state.accepted);
          w.put_u64(rec.state.value);
        } else if constexpr (std::is_same_v<T, FloorRecord>) {
          put_ballot(w, rec.floor);
        } else if constexpr (std::is_same_v<T, EpochSeenRecord>) {
          w.put_u32(rec.node);
          w.put_u32(rec.epoch);
        } else if constexpr (std::is_same_v<T, IncarnationRecord>) {
          w.put_u64(rec.incarnation);
        } else if constexpr (std::is_same_v<T, LiveEpochRecord>) {
          w.put_u32(rec.node);
          w.put_u32(rec.epoch);
        } else if constexpr (std::is_same_v<T, NonceRecord>) {
          w.put_u64(rec.nonce);
        } else if constexpr (std::is_same_v<T, FounderRecord>) {
          w.put_u32(rec.node);
          w.put_u64(rec.nonce);
        } else {
          static_assert(std::is_same_v<T, InitializedRecord>);
        }
      },
      r);
  return out;
}

std::variant<StorageRecord, DecodeError> decode_record(std::span<const uint8_t> payload) {
  FieldReader f(payload);
  uint8_t tag = 0;
  f.u8("record tag", &tag);
  if (f.failed()) return DecodeError{f.error()};

  StorageRecord rec;
  switch (tag) {
    case 0: {
      SeqRecord s;
      f.name("seq name", &s.state.seq);
      f.ballot("seq promised", &s.state.promised);
      f.ballot("seq accepted", &s.state.accepted);
      f.u64("seq value", &s.state.value);
      rec = std::move(s);
      break;
    }
    case 1: {
      FloorRecord fl;
      f.ballot("floor", &fl.floor);
      rec = fl;
      break;
    }
    case 2: {
      EpochSeenRecord e;
      const size_t at = 1;
      f.u32("epoch_seen node", &e.node);
      f.u32("epoch_seen epoch", &e.epoch);
      if (!f.failed() && e.node >= cluster_nodes_max) {
        f.fail(at, "epoch_seen node out of range (" + std::to_string(e.node) +
                       " >= " + std::to_string(cluster_nodes_max) + ")");
      }
      rec = e;
      break;
    }
    case 3: {
      IncarnationRecord i;
      f.u64("incarnation", &i.incarnation);
      rec = i;
      break;
    }
    case 4:
      rec = InitializedRecord{};
      break;
    case 5: {
      LiveEpochRecord e;
      f.node("live_epoch node", &e.node);
      f.u32("live_epoch epoch", &e.epoch);
      rec = e;
      break;
    }
    case 6: {
      NonceRecord n;
      f.u64("nonce", &n.nonce);
      rec = n;
      break;
    }
    case 7: {
      FounderRecord fr;
      f.node("founder node", &fr.node);
      f.u64("founder nonce", &fr.nonce);
      rec = fr;
      break;
    }
    default:
      f.fail(0, "unknown record tag " + std::to_string(tag));
  }
  f.expect_end();
  if (f.failed()) return DecodeError{f.error()};
  return rec;
}

void DurableState::apply(const StorageRecord& r) {
  std::visit(
      [&](const auto& rec) {
        using T = std::decay_t<decltype(rec)>;
        if constexpr (std::is_same_v<T, SeqRecord>) {
          sequences[rec.state.seq] = rec.state;
        } else if constexpr (std::is_same_v<T, FloorRecord>) {
          floor = std::max(floor, rec.floor);
        } else if constexpr (std::is_same_v<T, EpochSeenRecord>) {
          epoch_seen[rec.node] = rec.epoch;
        } else if constexpr (std::is_same_v<T, IncarnationRecord>) {
          incarnation = rec.incarnation;
        } else if constexpr (std::is_same_v<T, LiveEpochRecord>) {
          uint32_t& e = live_epoch[rec.node];
          e = std::max(e, rec.epoch);
        } else if constexpr (std::is_same_v<T, NonceRecord>) {
          nonce = rec.nonce;
        } else if constexpr (std::is_same_v<T, FounderRecord>) {
          founders[rec.node] = rec.nonce;
        } else {
          static_assert(std::is_same_v<T, InitializedRecord>);
          initialized = true;
        }
      },
      r);
}

std::vector<StorageRecord> DurableState::snapshot() const {
  std::vector<StorageRecord> out;
  out.reserve(4 + epoch_seen.size() + live_epoch.size() + founders.size() + sequences.size());
  // Braces, not in_place_type with arguments: clang before 16 (the fuzz build)
  // cannot build an aggregate from parentheses.
  if (initialized) out.emplace_back(InitializedRecord{});
  out.emplace_back(IncarnationRecord{incarnation});
  if (!floor.is_zero()) out.emplace_back(FloorRecord{floor});
  if (nonce != 0) out.emplace_back(NonceRecord{nonce});
  for (const auto& [node, epoch] : epoch_seen) out.emplace_back(EpochSeenRecord{node, epoch});
  for (const auto& [node, epoch] : live_epoch) out.emplace_back(LiveEpochRecord{node, epoch});
  for (const auto& [node, n] : founders) out.emplace_back(FounderRecord{node, n});
  for (const auto& [name, state] : sequences) out.emplace_back(SeqRecord{state});
  return out;
}

}  // namespace rrseq

#include "core/durable_state.h"

#include <algorithm>
#include <type_traits>

#include "core/schema.h"

namespace rrseq {

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

// The layout of each record after its tag (schema.h); a sequence's record is
// the SeqState a FenceReply carries.
// clang-format off
void fields(auto& ar, Is<SeqRecord> auto& r) { ar(r.state); }
void fields(auto& ar, Is<FloorRecord> auto& r) { ar(r.floor); }
void fields(auto& ar, Is<EpochSeenRecord> auto& r) { ar.node(r.node); ar(r.epoch); }
void fields(auto& ar, Is<IncarnationRecord> auto& r) { ar(r.incarnation); }
void fields(auto&, Is<InitializedRecord> auto&) {}
void fields(auto& ar, Is<LiveEpochRecord> auto& r) { ar.node(r.node); ar(r.epoch); }
void fields(auto& ar, Is<NonceRecord> auto& r) { ar(r.nonce); }
void fields(auto& ar, Is<FounderRecord> auto& r) { ar.node(r.node); ar(r.nonce); }
// clang-format on

std::string encode_record(const StorageRecord& r) {
  std::string out;
  SchemaWriter w(out);
  w(static_cast<uint8_t>(r.index()));
  std::visit([&w](const auto& rec) { w(rec); }, r);
  return out;
}

std::variant<StorageRecord, DecodeError> decode_record(std::span<const uint8_t> payload) {
  SchemaReader reader(payload, "record");
  uint8_t tag = 0;
  reader(tag);
  if (!reader.error() && tag >= std::variant_size_v<StorageRecord>) {
    reader.fail(0, "unknown record tag " + std::to_string(tag));
  }
  if (reader.error()) return DecodeError{*reader.error()};
  StorageRecord rec = variant_at<StorageRecord>(tag);
  std::visit([&reader](auto& x) { reader(x); }, rec);
  reader.finish();
  if (reader.error()) return DecodeError{*reader.error()};
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

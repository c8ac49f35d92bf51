#pragma once
// One way to lay out a struct in bytes, for the wire (codec.h) and the log
// (durable_state.h): each struct's layout is written once, as a `fields`
// function that names its members in order, and the archives below walk it:
// Writer encodes, Reader decodes and validates, MinSize counts the fewest bytes.
//
//   void fields(auto& ar, Is<Ballot> auto& b) { ar(b.round); ar.node(b.node); ... }
//
// `fields` functions live in namespace rrseq (found by argument-dependent
// lookup when an archive meets a struct). Integers are little-endian fixed
// width; strings are sequence names, u16 length + bytes; vectors are u32 count
// + items, each with its limit; AuthBytes are their raw bytes. The Reader
// checks every value where it enters: names, node indexes, bools, statuses,
// counts and vector lengths, against limits.h, before anything is allocated.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/ballot.h"
#include "core/bytes.h"
#include "core/invariant.h"
#include "core/limits.h"
#include "core/messages.h"
#include "core/seq_name.h"

namespace rrseq {

template <typename T, typename U>
concept Is = std::same_as<std::remove_const_t<T>, U>;

// clang-format off
// The two layouts the wire and the log share.
void fields(auto& ar, Is<Ballot> auto& b) { ar(b.round); ar.node(b.node); ar(b.incarnation); }
void fields(auto& ar, Is<SeqState> auto& s) {
  ar(s.seq); ar(s.promised); ar(s.accepted); ar(s.value);
}
// clang-format on

inline constexpr uint8_t status_max = static_cast<uint8_t>(status_last);

class SchemaWriter {
 public:
  explicit SchemaWriter(std::string& out) : w_(out) {}
  void operator()(uint64_t v) { w_.put_u64(v); }
  void operator()(uint32_t v) { w_.put_u32(v); }
  void operator()(uint8_t v) { w_.put_u8(v); }
  void operator()(bool v) { w_.put_u8(v ? 1 : 0); }
  void operator()(Status v) { w_.put_u8(static_cast<uint8_t>(v)); }
  void operator()(const std::string& name) {
    RRSEQ_INVARIANT(valid_seq_name(name), "only valid names are encoded");
    w_.put_string(name);
  }
  void operator()(const AuthBytes& b) {
    for (uint8_t x : b) w_.put_u8(x);
  }
  template <typename T>
  void operator()(const std::vector<T>& items, [[maybe_unused]] size_t count_max) {
    RRSEQ_INVARIANT(items.size() <= count_max, "vectors stay within their limit");
    w_.put_u32(static_cast<uint32_t>(items.size()));
    for (const T& item : items) (*this)(item);
  }
  template <typename T>
  requires std::is_class_v<T>
  void operator()(const T& x) { fields(*this, x); }
  // Not checked here: tests write out-of-range nodes to see the Reader refuse them.
  void node(uint32_t v) { w_.put_u32(v); }
  void id_count(uint64_t n) {
    RRSEQ_INVARIANT(n <= range_ids_max, "request counts are valid");
    w_.put_u64(n);
  }

 private:
  ByteWriter w_;
};

// The fewest bytes a T can take; bounds a vector's count by the bytes present.
class SchemaMinSize {
 public:
  size_t bytes = 0;
  void operator()(uint64_t) { bytes += 8; }
  void operator()(uint32_t) { bytes += 4; }
  void operator()(uint8_t) { bytes += 1; }
  void operator()(bool) { bytes += 1; }
  void operator()(Status) { bytes += 1; }
  void operator()(const std::string&) { bytes += 2 + 1; }  // a valid name has a byte at least
  void operator()(const AuthBytes& b) { bytes += b.size(); }
  template <typename T>
  void operator()(const std::vector<T>&, size_t) {
    bytes += 4;
  }
  template <typename T>
  requires std::is_class_v<T>
  void operator()(const T& x) { fields(*this, x); }
  void node(uint32_t) { bytes += 4; }
  void id_count(uint64_t) { bytes += 8; }
};

template <typename T>
size_t schema_min_bytes() {
  SchemaMinSize size;
  size(T{});
  return size.bytes;
}

// Reads fields until the first problem, which it keeps with its offset
// ("record offset 12: node 40 out of range (>= 9)"); after that every read is
// a no-op, so `fields` needs no error plumbing.
class SchemaReader {
 public:
  // `where` names the bytes in errors: "body" (of a frame), "record".
  SchemaReader(std::span<const uint8_t> in, const char* where) : r_(in), where_(where) {}
  const std::optional<std::string>& error() const { return error_; }
  size_t offset() const { return r_.offset(); }

  void operator()(uint64_t& v) { get(&ByteReader::get_u64, v, "u64"); }
  void operator()(uint32_t& v) { get(&ByteReader::get_u32, v, "u32"); }
  void operator()(uint8_t& v) { get(&ByteReader::get_u8, v, "u8"); }
  void operator()(bool& v) {
    uint8_t b = 0;
    if (!get(&ByteReader::get_u8, b, "bool")) return;
    if (b > 1) return fail(r_.offset() - 1, "bool is " + std::to_string(b) + ", not 0 or 1");
    v = b == 1;
  }
  void operator()(Status& v) {
    uint8_t b = 0;
    if (!get(&ByteReader::get_u8, b, "status")) return;
    if (b > status_max) return fail(r_.offset() - 1, "unknown status " + std::to_string(b));
    v = static_cast<Status>(b);
  }
  void operator()(std::string& name) {
    const size_t at = r_.offset();
    if (error_) return;
    if (!r_.get_string(&name)) return truncated(at, "string");
    if (!valid_seq_name(name)) fail(at, seq_name_problem(name));
  }
  void operator()(AuthBytes& b) {
    const size_t at = r_.offset();
    if (error_) return;
    std::string raw;
    if (!r_.get_bytes(b.size(), &raw)) return truncated(at, "auth bytes");
    std::copy(raw.begin(), raw.end(), b.begin());
  }
  template <typename T>
  void operator()(std::vector<T>& items, size_t count_max) {
    const size_t at = r_.offset();
    uint32_t n = 0;
    if (!get(&ByteReader::get_u32, n, "vector count")) return;
    if (n > count_max) {
      return fail(at,
                  "vector count " + std::to_string(n) + " over limit " + std::to_string(count_max));
    }
    const uint64_t need = uint64_t{n} * schema_min_bytes<T>();
    if (need > r_.remaining()) {
      return fail(at, "vector count " + std::to_string(n) + " needs at least " +
                          std::to_string(need) + " bytes, " + std::to_string(r_.remaining()) +
                          " left");
    }
    items.resize(n);
    for (T& item : items) (*this)(item);
  }
  template <typename T>
  requires std::is_class_v<T>
  void operator()(T& x) { fields(*this, x); }
  // A node index: below cluster_nodes_max (a cluster's own size is the node's to check).
  void node(uint32_t& v) {
    if (!get(&ByteReader::get_u32, v, "node")) return;
    if (v >= cluster_nodes_max) {
      fail(r_.offset() - 4, "node " + std::to_string(v) + " out of range (>= " +
                                std::to_string(cluster_nodes_max) + ")");
    }
  }
  void id_count(uint64_t& n) {
    if (!get(&ByteReader::get_u64, n, "count")) return;
    if (n > range_ids_max) {  // 0: a Current or an Advance
      fail(r_.offset() - 8,
           "count " + std::to_string(n) + " not in 0.." + std::to_string(range_ids_max));
    }
  }
  // Every byte must have been read.
  void finish() {
    if (!error_ && !r_.done())
      fail(r_.offset(), std::to_string(r_.remaining()) + " trailing bytes");
  }
  void fail(size_t at, std::string what) {
    if (!error_) error_ = std::string(where_) + " offset " + std::to_string(at) + ": " + std::move(what);
  }

 private:
  template <typename T>
  bool get(bool (ByteReader::*read)(T*), T& v, const char* what) {
    if (error_) return false;
    const size_t at = r_.offset();
    if ((r_.*read)(&v)) return true;
    truncated(at, what);
    return false;
  }
  void truncated(size_t at, const char* what) {
    fail(at,
         std::string("truncated ") + what + " (" + std::to_string(r_.remaining()) + " bytes left)");
  }
  ByteReader r_;
  const char* where_;
  std::optional<std::string> error_;
};

// A variant holding a default-constructed alternative `index` (< its size):
// what a decoder fills once it has read a type or tag byte.
template <typename Variant>
Variant variant_at(size_t index) {
  RRSEQ_INVARIANT(index < std::variant_size_v<Variant>, "variant_at within the variant");
  return [index]<size_t... I>(std::index_sequence<I...>) {
    Variant v;
    ((index == I ? void(v.template emplace<I>()) : void()), ...);
    return v;
  }(std::make_index_sequence<std::variant_size_v<Variant>>{});
}

}  // namespace rrseq

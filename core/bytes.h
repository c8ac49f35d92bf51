#pragma once
// Little-endian fixed-width integers and u16-length strings, for the wire codec
// and the storage records. ByteWriter appends to a std::string it does not own;
// ByteReader reads from a span it does not own (both must outlive the helper).
// Every get_* returns false, consuming nothing, if the bytes run out.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace rrseq {

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  void put_u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void put_u16(uint16_t v) { put_le(v, 2); }
  void put_u32(uint32_t v) { put_le(v, 4); }
  void put_u64(uint64_t v) { put_le(v, 8); }
  // u16 length + bytes; the caller keeps s.size() <= UINT16_MAX.
  void put_string(std::string_view s) {
    put_u16(static_cast<uint16_t>(s.size()));
    out_.append(s);
  }

 private:
  void put_le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> in) : in_(in) {}
  size_t offset() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }
  bool done() const { return pos_ == in_.size(); }

  bool get_u8(uint8_t* v) { return get_le(v, 1); }
  bool get_u16(uint16_t* v) { return get_le(v, 2); }
  bool get_u32(uint32_t* v) { return get_le(v, 4); }
  bool get_u64(uint64_t* v) { return get_le(v, 8); }
  // `n` raw bytes.
  bool get_bytes(size_t n, std::string* v) {
    if (remaining() < n) return false;
    v->assign(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  // u16 length + bytes; fails (consuming nothing) if either is cut short.
  bool get_string(std::string* v) {
    if (remaining() < 2) return false;
    const size_t n = in_[pos_] | (size_t{in_[pos_ + 1]} << 8);
    if (remaining() - 2 < n) return false;
    pos_ += 2;
    return get_bytes(n, v);
  }

 private:
  template <typename T>
  bool get_le(T* v, size_t n) {
    if (remaining() < n) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) x |= uint64_t{in_[pos_ + i]} << (8 * i);
    pos_ += n;
    *v = static_cast<T>(x);
    return true;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
};

}  // namespace rrseq

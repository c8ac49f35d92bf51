#include "core/codec.h"

#include <algorithm>
#include <cassert>
#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/bytes.h"
#include "core/invariant.h"
#include "core/crc32c.h"
#include "core/limits.h"

namespace rrseq {
namespace {

constexpr size_t body_bytes_max = frame_bytes_max - frame_header_bytes;
constexpr size_t crc_offset = 6;  // in the header: version, type, body_len, crc

template <typename T, typename U>
concept Is = std::same_as<std::remove_const_t<T>, U>;

// The body layout, written once per struct and walked by every archive below
// (Writer, Reader, MinSize). Every std::string on the wire is a sequence name.
// clang-format off
void fields(auto& ar, Is<Ballot> auto& b) { ar(b.round); ar(b.node); ar(b.incarnation); }
void fields(auto& ar, Is<SeqState> auto& s) {
  ar(s.seq); ar(s.promised); ar(s.accepted); ar(s.value);
}
void fields(auto& ar, Is<Voter> auto& v) { ar(v.node); ar(v.epoch); }
void fields(auto& ar, Is<PeerEpoch> auto& e) { ar(e.node); ar(e.seen); ar(e.live); }
void fields(auto& ar, Is<Prepare> auto& m) { ar(m.seq); ar(m.ballot); }
void fields(auto& ar, Is<Promise> auto& m) {
  ar(m.seq); ar(m.ballot); ar(m.ok); ar(m.promised); ar(m.accepted); ar(m.value); ar(m.epoch);
  ar(m.lives, cluster_nodes_max);
}
void fields(auto& ar, Is<Accept> auto& m) {
  ar(m.seq); ar(m.ballot); ar(m.value); ar(m.next); ar(m.voters, cluster_nodes_max);
}
void fields(auto& ar, Is<Accepted> auto& m) {
  ar(m.seq); ar(m.ballot); ar(m.ok); ar(m.promised); ar(m.epoch); ar(m.lives, cluster_nodes_max);
}
void fields(auto& ar, Is<ClassicRead> auto& m) { ar(m.seq); ar(m.op); }
void fields(auto& ar, Is<ClassicReadReply> auto& m) { ar(m.seq); ar(m.op); ar(m.value); }
void fields(auto& ar, Is<ClassicWrite> auto& m) { ar(m.seq); ar(m.op); ar(m.value); }
void fields(auto& ar, Is<ClassicWriteReply> auto& m) { ar(m.seq); ar(m.op); }
void fields(auto& ar, Is<EpochRequest> auto& m) { ar(m.attempt); ar(m.nonce); }
void fields(auto& ar, Is<EpochReply> auto& m) {
  ar(m.attempt); ar(m.initialized); ar(m.epoch); ar(m.max_promised); ar(m.lost_state);
  ar(m.nonce); ar(m.founder);
}
void fields(auto& ar, Is<FenceRequest> auto& m) { ar(m.attempt); ar(m.ballot); }
void fields(auto& ar, Is<FenceReply> auto& m) {
  ar(m.attempt); ar(m.ok); ar(m.max_promised); ar(m.states, sequences_max); ar(m.ballot);
  ar(m.epochs, cluster_nodes_max);
}
void fields(auto& ar, Is<ClientRequest> auto& m) {
  ar(m.client); ar(m.request); ar(m.seq); ar.id_count(m.count); ar(m.may_redirect); ar(m.at_least);
}
void fields(auto& ar, Is<ClientReply> auto& m) {
  ar(m.client); ar(m.request); ar(m.status); ar(m.from); ar(m.to); ar(m.redirect_to);
}
void fields(auto& ar, Is<Hello> auto& m) { ar(m.role); ar(m.node); ar(m.nodes); ar(m.cluster); }
void fields(auto& ar, Is<AuthChallenge> auto& m) { ar(m.nonce); }
void fields(auto& ar, Is<AuthProof> auto& m) { ar(m.mac); }
// clang-format on

constexpr uint8_t status_max = static_cast<uint8_t>(status_last);

class Writer {
 public:
  explicit Writer(std::string& out) : w_(out) {}
  void operator()(uint64_t v) { w_.put_u64(v); }
  void operator()(uint32_t v) { w_.put_u32(v); }
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
    RRSEQ_INVARIANT(items.size() <= count_max, "vectors on the wire stay within their limit");
    w_.put_u32(static_cast<uint32_t>(items.size()));
    for (const T& item : items) (*this)(item);
  }
  template <typename T>
  requires std::is_class_v<T>
  void operator()(const T& x) { fields(*this, x); }
  void id_count(uint64_t n) {
    RRSEQ_INVARIANT(n <= range_ids_max, "request counts on the wire are valid");
    w_.put_u64(n);
  }

 private:
  ByteWriter w_;
};

// The fewest bytes a T can take on the wire; bounds a vector count by the bytes present.
class MinSize {
 public:
  size_t bytes = 0;
  void operator()(uint64_t) { bytes += 8; }
  void operator()(uint32_t) { bytes += 4; }
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
  void id_count(uint64_t) { bytes += 8; }
};

template <typename T>
size_t min_bytes() {
  MinSize size;
  size(T{});
  return size.bytes;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::string name_problem(std::string_view name) {
  if (name.empty()) return "empty sequence name";
  if (name.size() > seq_name_bytes_max) {
    return "sequence name too long (" + std::to_string(name.size()) + " > " +
           std::to_string(seq_name_bytes_max) + ")";
  }
  const auto bad = std::find_if_not(name.begin(), name.end(), is_name_char);
  return "sequence name has invalid byte " + std::to_string(static_cast<uint8_t>(*bad)) + " at " +
         std::to_string(bad - name.begin());
}

// Reads fields until the first problem, which it keeps with its offset; after
// that every read is a no-op, so `fields` needs no error plumbing.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> body) : r_(body) {}
  const std::optional<std::string>& error() const { return error_; }

  void operator()(uint64_t& v) { get(&ByteReader::get_u64, v, "u64"); }
  void operator()(uint32_t& v) { get(&ByteReader::get_u32, v, "u32"); }
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
    if (!valid_seq_name(name)) fail(at, name_problem(name));
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
    const uint64_t need = uint64_t{n} * min_bytes<T>();
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
  void id_count(uint64_t& n) {
    if (!get(&ByteReader::get_u64, n, "count")) return;
    if (n > range_ids_max) {  // 0: a Current or an Advance
      fail(r_.offset() - 8,
           "count " + std::to_string(n) + " not in 0.." + std::to_string(range_ids_max));
    }
  }
  void finish() {
    if (!error_ && !r_.done())
      fail(r_.offset(), std::to_string(r_.remaining()) + " trailing bytes");
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
  void fail(size_t at, std::string what) {
    if (!error_) error_ = "body offset " + std::to_string(at) + ": " + std::move(what);
  }
  ByteReader r_;
  std::optional<std::string> error_;
};

struct Header {
  uint8_t type = 0;
  uint32_t body_len = 0;
  uint32_t masked_crc = 0;
};

std::variant<Header, DecodeError> parse_header(std::span<const uint8_t> bytes) {
  auto error = [](size_t at, std::string what) {
    return DecodeError{"header offset " + std::to_string(at) + ": " + std::move(what)};
  };
  if (bytes.size() < frame_header_bytes) {
    return error(bytes.size(), "truncated header (" + std::to_string(bytes.size()) + " of " +
                                   std::to_string(frame_header_bytes) + " bytes)");
  }
  ByteReader r(bytes);
  uint8_t version = 0;
  Header h;
  r.get_u8(&version);
  r.get_u8(&h.type);
  r.get_u32(&h.body_len);
  r.get_u32(&h.masked_crc);
  if (version != wire_version) {
    return error(0, "wrong version " + std::to_string(version) + " (expected " +
                        std::to_string(wire_version) + ")");
  }
  if (h.type >= std::variant_size_v<Message>) {
    return error(1, "unknown message type " + std::to_string(h.type));
  }
  if (h.body_len > body_bytes_max) {
    return error(2, "body length " + std::to_string(h.body_len) + " over limit " +
                        std::to_string(body_bytes_max));
  }
  return h;
}

// The checksum covers version and type too: two message types share a body
// layout, so a flipped type byte must not decode as the other one.
uint32_t frame_crc(uint8_t version, uint8_t type, const uint8_t* body, size_t n) {
  const uint8_t head[2] = {version, type};
  return crc32c::extend(crc32c::value(head, 2), body, n);
}

template <size_t... I>
Message default_message(size_t type, std::index_sequence<I...>) {
  Message m;
  ((type == I ? void(m.emplace<I>()) : void()), ...);
  return m;
}

}  // namespace

bool valid_seq_name(std::string_view name) {
  return !name.empty() && name.size() <= seq_name_bytes_max &&
         std::all_of(name.begin(), name.end(), is_name_char);
}

void encode_frame(const Message& m, std::string& out) {
  const size_t start = out.size();
  out.append(frame_header_bytes, '\0');
  Writer body(out);
  std::visit([&body](const auto& x) { body(x); }, m);
  const size_t body_len = out.size() - start - frame_header_bytes;
  RRSEQ_INVARIANT(body_len <= body_bytes_max, "frames stay within the frame limit");
  const auto* body_bytes =
      reinterpret_cast<const uint8_t*>(out.data() + start + frame_header_bytes);

  std::string header;
  ByteWriter h(header);
  h.put_u8(wire_version);
  h.put_u8(static_cast<uint8_t>(m.index()));
  h.put_u32(static_cast<uint32_t>(body_len));
  h.put_u32(crc32c::mask(frame_crc(wire_version, static_cast<uint8_t>(m.index()), body_bytes, body_len)));
  out.replace(start, frame_header_bytes, header);
}

std::string encode_frame(const Message& m) {
  std::string out;
  encode_frame(m, out);
  return out;
}

std::variant<uint32_t, DecodeError> decode_header(std::span<const uint8_t> header) {
  auto h = parse_header(header);
  if (auto* e = std::get_if<DecodeError>(&h)) return *e;
  return std::get<Header>(h).body_len;
}

DecodeResult decode_frame(std::span<const uint8_t> frame) {
  auto parsed = parse_header(frame);
  if (auto* e = std::get_if<DecodeError>(&parsed)) return *e;
  const Header& h = std::get<Header>(parsed);
  if (frame.size() != frame_header_bytes + h.body_len) {
    return DecodeError{"header offset 2: body length " + std::to_string(h.body_len) +
                       ", but the frame holds " +
                       std::to_string(frame.size() - frame_header_bytes) + " body bytes"};
  }
  const auto body = frame.subspan(frame_header_bytes);
  const uint32_t crc = frame_crc(wire_version, h.type, body.data(), body.size());
  if (crc32c::unmask(h.masked_crc) != crc) {
    return DecodeError{
        "header offset " + std::to_string(crc_offset) + ": checksum mismatch (stored " +
        std::to_string(crc32c::unmask(h.masked_crc)) + ", frame has " + std::to_string(crc) + ")"};
  }
  Message m = default_message(h.type, std::make_index_sequence<std::variant_size_v<Message>>{});
  Reader reader(body);
  std::visit([&reader](auto& x) { reader(x); }, m);
  reader.finish();
  if (reader.error()) return DecodeError{*reader.error()};
  return m;
}

}  // namespace rrseq

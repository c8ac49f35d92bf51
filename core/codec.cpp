#include "core/codec.h"

#include <algorithm>
#include <cassert>
#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/bytes.h"
#include "core/crc32c.h"
#include "core/invariant.h"
#include "core/limits.h"
#include "core/schema.h"

namespace rrseq {

// The body of each message (schema.h); Ballot and SeqState are shared with the log.
// clang-format off
void fields(auto& ar, Is<Voter> auto& v) { ar.node(v.node); ar(v.epoch); }
void fields(auto& ar, Is<PeerEpoch> auto& e) { ar.node(e.node); ar(e.seen); ar(e.live); }
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
  ar(m.client); ar(m.request); ar(m.status); ar(m.from); ar(m.to); ar.node(m.redirect_to);
}
void fields(auto& ar, Is<Hello> auto& m) { ar(m.role); ar.node(m.node); ar(m.nodes); ar(m.cluster); }
void fields(auto& ar, Is<AuthChallenge> auto& m) { ar(m.nonce); }
void fields(auto& ar, Is<AuthProof> auto& m) { ar(m.mac); }
// clang-format on

namespace {

constexpr size_t body_bytes_max = frame_bytes_max - frame_header_bytes;
constexpr size_t crc_offset = 6;  // in the header: version, type, body_len, crc

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

template <class T>
void encode_one(const T& m, std::string& out) {
  constexpr uint8_t type = message_type<T>();
  const size_t start = out.size();
  out.append(frame_header_bytes, '\0');
  SchemaWriter body(out);
  body(m);
  const size_t body_len = out.size() - start - frame_header_bytes;
  RRSEQ_INVARIANT(body_len <= body_bytes_max, "frames stay within the frame limit");
  const auto* body_bytes =
      reinterpret_cast<const uint8_t*>(out.data() + start + frame_header_bytes);

  std::string header;
  ByteWriter h(header);
  h.put_u8(wire_version);
  h.put_u8(type);
  h.put_u32(static_cast<uint32_t>(body_len));
  h.put_u32(crc32c::mask(frame_crc(wire_version, type, body_bytes, body_len)));
  out.replace(start, frame_header_bytes, header);
}

template <class Variant>
void encode_any(const Variant& m, std::string& out) {
  std::visit([&out](const auto& x) { encode_one(x, out); }, m);
}
}  // namespace

template <class T>
  requires is_alternative_v<T, Message>
void encode_frame(const T& m, std::string& out) {
  encode_one(m, out);
}
// clang-format off
template void encode_frame(Prepare const&, std::string&);
template void encode_frame(Promise const&, std::string&);
template void encode_frame(Accept const&, std::string&);
template void encode_frame(Accepted const&, std::string&);
template void encode_frame(ClassicRead const&, std::string&);
template void encode_frame(ClassicReadReply const&, std::string&);
template void encode_frame(ClassicWrite const&, std::string&);
template void encode_frame(ClassicWriteReply const&, std::string&);
template void encode_frame(EpochRequest const&, std::string&);
template void encode_frame(EpochReply const&, std::string&);
template void encode_frame(FenceRequest const&, std::string&);
template void encode_frame(FenceReply const&, std::string&);
template void encode_frame(ClientRequest const&, std::string&);
template void encode_frame(ClientReply const&, std::string&);
template void encode_frame(Hello const&, std::string&);
template void encode_frame(AuthChallenge const&, std::string&);
template void encode_frame(AuthProof const&, std::string&);
// clang-format on
static_assert(std::variant_size_v<Message> == 17, "a new message is instantiated above");

void encode_frame(const Message& m, std::string& out) { encode_any(m, out); }
void encode_frame(const PeerMessage& m, std::string& out) { encode_any(m, out); }
void encode_frame(const HandshakeMessage& m, std::string& out) { encode_any(m, out); }

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
  Message m = variant_at<Message>(h.type);
  SchemaReader reader(body, "body");
  std::visit([&reader](auto& x) { reader(x); }, m);
  reader.finish();
  if (reader.error()) return DecodeError{*reader.error()};
  return m;
}

}  // namespace rrseq

// The wire codec: every message survives a round trip, and every malformed,
// oversized or damaged frame is refused with a reason instead of a crash.
#include "core/codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>

#include "core/bytes.h"
#include "core/crc32c.h"
#include "core/limits.h"
#include "core/node_stats.h"
#include "tests/sealed_frame.h"

namespace rrseq {

// Lets RapidCheck print a counterexample (found by ADL through the variant's arguments).
void showValue(const Message& m, std::ostream& os) { os << describe(m); }

namespace {

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The reason a frame is refused, or "" if it decodes.
std::string rejection(const std::string& frame) {
  auto r = decode_frame(bytes_of(frame));
  auto* e = std::get_if<DecodeError>(&r);
  return e ? e->reason : "";
}

template <typename T>
uint8_t type_of() {
  return static_cast<uint8_t>(Message(T{}).index());
}


void put_ballot(ByteWriter& w, const Ballot& b) {
  w.put_u64(b.round);
  w.put_u32(b.node);
  w.put_u64(b.incarnation);
}

std::string client_request_body(std::string_view seq, uint64_t count) {
  std::string body;
  ByteWriter w(body);
  w.put_u64(1);
  w.put_u64(2);
  w.put_string(seq);
  w.put_u64(count);
  w.put_u8(0);  // may_redirect
  w.put_u64(0);  // at_least
  return body;
}

std::string prepare_body(std::string_view seq) {
  std::string body;
  ByteWriter w(body);
  w.put_string(seq);
  put_ballot(w, Ballot{3, 1, 0});
  return body;
}

// first, first + 1, ... (wrapping): bytes that differ in every position.
AuthBytes counting_bytes(uint8_t first) {
  AuthBytes b{};
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(first + i);
  return b;
}

// One example of every message type, with no field left at its default.
std::vector<Message> examples() {
  const Ballot b{7, 2, make_incarnation(1, 3)};
  const Ballot hi{UINT64_MAX, cluster_nodes_max - 1, UINT64_MAX};  // the highest node the schema takes
  return {
      Prepare{"orders", b},
      Promise{"orders", b, true, hi, Ballot{6, 0, 1}, 42, 3, {Voter{1, 2}, Voter{6, UINT32_MAX}}},
      Accept{"a.b-c_D9", b, id_max, hi, {Voter{0, 1}, Voter{4, UINT32_MAX}}},
      Accepted{"x", b, false, hi, 7, {Voter{2, 5}}},
      ClassicRead{"s", 99},
      ClassicReadReply{"s", 99, 1000},
      ClassicWrite{"s", 100, 2000},
      ClassicWriteReply{"s", 100},
      EpochRequest{5, 0xabcdef},
      EpochReply{5, true, 12, hi, true, 0x1234, true},
      FenceRequest{6, b},
      FenceReply{6, true, hi, {SeqState{"a", b, b, 10}, SeqState{"b", hi, Ballot{}, 0}}, b,
                 {PeerEpoch{1, 2, 3}, PeerEpoch{2, 5, 0}}},
      ClientRequest{1, 7, "orders", range_ids_max, true},
      ClientRequest{1, 8, "orders", 0, false, 12345},
      ClientReply{1, 7, Status::exhausted, 5, 9, 4},
      Hello{static_cast<uint32_t>(Role::peer), 2, 5, 0xfeedface12345678},
      AuthChallenge{counting_bytes(1)},
      AuthProof{counting_bytes(200)},
  };
}

// ---- Generators of valid messages ----

rc::Gen<std::string> seq_name() {
  static const std::string alphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
  return rc::gen::mapcat(rc::gen::inRange<size_t>(1, seq_name_bytes_max + 1), [](size_t n) {
    return rc::gen::container<std::string>(n, rc::gen::elementOf(alphabet));
  });
}

}  // namespace
}  // namespace rrseq

namespace rc {

using namespace rrseq;

// Fields are set one by one so a failing case shrinks field by field.
#define RRSEQ_ARBITRARY(T, ...)                                      \
  template <>                                                        \
  struct Arbitrary<T> {                                              \
    static Gen<T> arbitrary() { return gen::build<T>(__VA_ARGS__); } \
  }

// A node index the schema accepts (schema.h); NodeIndexesOverTheLimitAreRefused tries the rest.
Gen<uint32_t> node_index() { return gen::inRange<uint32_t>(0, cluster_nodes_max); }

RRSEQ_ARBITRARY(Ballot, gen::set(&Ballot::round), gen::set(&Ballot::node, node_index()),
                gen::set(&Ballot::incarnation));
RRSEQ_ARBITRARY(SeqState, gen::set(&SeqState::seq, seq_name()), gen::set(&SeqState::promised),
                gen::set(&SeqState::accepted), gen::set(&SeqState::value));
RRSEQ_ARBITRARY(Prepare, gen::set(&Prepare::seq, seq_name()), gen::set(&Prepare::ballot));
RRSEQ_ARBITRARY(Promise, gen::set(&Promise::seq, seq_name()), gen::set(&Promise::ballot),
                gen::set(&Promise::ok), gen::set(&Promise::promised), gen::set(&Promise::accepted),
                gen::set(&Promise::value));
RRSEQ_ARBITRARY(Accept, gen::set(&Accept::seq, seq_name()), gen::set(&Accept::ballot),
                gen::set(&Accept::value), gen::set(&Accept::next));
RRSEQ_ARBITRARY(Accepted, gen::set(&Accepted::seq, seq_name()), gen::set(&Accepted::ballot),
                gen::set(&Accepted::ok), gen::set(&Accepted::promised));
RRSEQ_ARBITRARY(ClassicRead, gen::set(&ClassicRead::seq, seq_name()), gen::set(&ClassicRead::op));
RRSEQ_ARBITRARY(ClassicReadReply, gen::set(&ClassicReadReply::seq, seq_name()),
                gen::set(&ClassicReadReply::op), gen::set(&ClassicReadReply::value));
RRSEQ_ARBITRARY(ClassicWrite, gen::set(&ClassicWrite::seq, seq_name()), gen::set(&ClassicWrite::op),
                gen::set(&ClassicWrite::value));
RRSEQ_ARBITRARY(ClassicWriteReply, gen::set(&ClassicWriteReply::seq, seq_name()),
                gen::set(&ClassicWriteReply::op));
RRSEQ_ARBITRARY(EpochRequest, gen::set(&EpochRequest::attempt));
RRSEQ_ARBITRARY(EpochReply, gen::set(&EpochReply::attempt), gen::set(&EpochReply::initialized),
                gen::set(&EpochReply::epoch), gen::set(&EpochReply::max_promised));
RRSEQ_ARBITRARY(FenceRequest, gen::set(&FenceRequest::attempt), gen::set(&FenceRequest::ballot));
RRSEQ_ARBITRARY(FenceReply, gen::set(&FenceReply::attempt), gen::set(&FenceReply::ok),
                gen::set(&FenceReply::max_promised), gen::set(&FenceReply::states));
RRSEQ_ARBITRARY(ClientRequest, gen::set(&ClientRequest::client), gen::set(&ClientRequest::request),
                gen::set(&ClientRequest::seq, seq_name()),
                gen::set(&ClientRequest::count, gen::inRange<uint64_t>(1, range_ids_max + 1)),
                gen::set(&ClientRequest::may_redirect));
RRSEQ_ARBITRARY(ClientReply, gen::set(&ClientReply::client), gen::set(&ClientReply::request),
                gen::set(&ClientReply::status,
                         gen::element(Status::ok, Status::not_ready, Status::invalid_name,
                                      Status::invalid_count, Status::exhausted, Status::overloaded,
                                      Status::timeout, Status::too_many_sequences,
                                      Status::too_many_requests, Status::redirect)),
                gen::set(&ClientReply::from), gen::set(&ClientReply::to), gen::set(&ClientReply::redirect_to, node_index()));
RRSEQ_ARBITRARY(Hello, gen::set(&Hello::role), gen::set(&Hello::node, node_index()), gen::set(&Hello::nodes),
                gen::set(&Hello::cluster));
RRSEQ_ARBITRARY(AuthChallenge, gen::set(&AuthChallenge::nonce));
RRSEQ_ARBITRARY(AuthProof, gen::set(&AuthProof::mac));
#undef RRSEQ_ARBITRARY

template <>
struct Arbitrary<Message> {
  template <size_t... I>
  static Gen<Message> any_of(std::index_sequence<I...>) {
    return gen::oneOf(
        gen::cast<Message>(gen::arbitrary<std::variant_alternative_t<I, Message>>())...);
  }
  static Gen<Message> arbitrary() {
    return any_of(std::make_index_sequence<std::variant_size_v<Message>>{});
  }
};

}  // namespace rc

namespace rrseq {
namespace {

// ---- CRC32C ----

TEST(Crc32c, MatchesStandardTestVectors) {
  auto crc = [](const std::string& s) { return crc32c::value(bytes_of(s).data(), s.size()); };
  EXPECT_EQ(crc(""), 0u);
  EXPECT_EQ(crc("123456789"), 0xE3069283u);
  EXPECT_EQ(crc(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4
  EXPECT_EQ(crc(std::string(32, '\xff')), 0x62A8AB43u);
  std::string up, down;
  for (int i = 0; i < 32; ++i) {
    up.push_back(static_cast<char>(i));
    down.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(crc(up), 0x46DD794Eu);
  EXPECT_EQ(crc(down), 0x113FDB5Cu);
}

RC_GTEST_PROP(Crc32c, ExtendingInPiecesEqualsOneCall,
              (const std::string& a, const std::string& b)) {
  const std::string ab = a + b;
  const uint32_t whole = crc32c::value(bytes_of(ab).data(), ab.size());
  const uint32_t first = crc32c::value(bytes_of(a).data(), a.size());
  RC_ASSERT(crc32c::extend(first, bytes_of(b).data(), b.size()) == whole);
}

RC_GTEST_PROP(Crc32c, UnmaskUndoesMask, (uint32_t crc)) {
  RC_ASSERT(crc32c::unmask(crc32c::mask(crc)) == crc);
}

TEST(Crc32c, MaskChangesTheValue) {
  EXPECT_NE(crc32c::mask(0xE3069283u), 0xE3069283u);
  EXPECT_NE(crc32c::mask(0), 0u);
}

// ---- Names ----

TEST(SeqName, AcceptsLettersDigitsUnderscoreDotDashUpToTheLimit) {
  EXPECT_TRUE(valid_seq_name("a"));
  EXPECT_TRUE(valid_seq_name("Orders_2016.v-1"));
  EXPECT_TRUE(valid_seq_name(std::string(seq_name_bytes_max, 'z')));
}

TEST(SeqName, RejectsEmptyTooLongAndOtherCharacters) {
  EXPECT_FALSE(valid_seq_name(""));
  EXPECT_FALSE(valid_seq_name(std::string(seq_name_bytes_max + 1, 'z')));
  const std::string_view bads[] = {"a b", "a/b", "a\nb", "\xc3\xa9", std::string_view("a\0b", 3)};
  for (std::string_view bad : bads) {
    EXPECT_FALSE(valid_seq_name(bad)) << bad;
  }
}

// ---- Round trips ----

TEST(Codec, ExamplesCoverEveryMessageType) {
  std::vector<bool> seen(std::variant_size_v<Message>);
  for (const Message& m : examples()) seen[m.index()] = true;
  EXPECT_EQ(std::count(seen.begin(), seen.end(), true), static_cast<long>(seen.size()));
}

TEST(Codec, EveryMessageTypeRoundTrips) {
  for (const Message& m : examples()) {
    SCOPED_TRACE(describe(m));
    const std::string frame = encode_frame(m);
    auto r = decode_frame(bytes_of(frame));
    ASSERT_TRUE(std::holds_alternative<Message>(r)) << std::get<DecodeError>(r).reason;
    EXPECT_TRUE(std::get<Message>(r) == m);
  }
}

TEST(Codec, HeaderHoldsVersionTypeBodyLengthAndMaskedChecksumOfVersionTypeAndBody) {
  const Message m = ClassicRead{"ab", 0x0102030405060708};
  const std::string frame = encode_frame(m);
  ASSERT_EQ(frame.size(), frame_header_bytes + 2 + 2 + 8);
  EXPECT_EQ(uint8_t(frame[0]), wire_version);
  EXPECT_EQ(uint8_t(frame[1]), m.index());
  ByteReader r(bytes_of(frame).subspan(2));
  uint32_t body_len = 0, masked = 0;
  ASSERT_TRUE(r.get_u32(&body_len) && r.get_u32(&masked));
  EXPECT_EQ(body_len, 12u);
  EXPECT_EQ(crc32c::unmask(masked),
            crc32c::extend(crc32c::value(bytes_of(frame).data(), 2),
                           bytes_of(frame).data() + frame_header_bytes, 12));
  EXPECT_EQ(frame.substr(frame_header_bytes), std::string("\x02\x00"
                                                          "ab"
                                                          "\x08\x07\x06\x05\x04\x03\x02\x01",
                                                          12));
}

TEST(Codec, EncodeAppendsToWhatIsAlreadyInTheBuffer) {
  std::string out = "prefix";
  encode_frame(Prepare{"a", Ballot{1, 0, 0}}, out);
  encode_frame(EpochRequest{3}, out);
  const std::string expected =
      "prefix" + encode_frame(Prepare{"a", Ballot{1, 0, 0}}) + encode_frame(EpochRequest{3});
  EXPECT_EQ(out, expected);
}

TEST(Codec, DecodeHeaderReturnsTheBodyLengthThatFollows) {
  const std::string frame = encode_frame(Prepare{"abc", Ballot{}});
  auto r = decode_header(bytes_of(frame).first(frame_header_bytes));
  ASSERT_TRUE(std::holds_alternative<uint32_t>(r));
  EXPECT_EQ(std::get<uint32_t>(r), frame.size() - frame_header_bytes);
}

// As in the log (storage_test): one schema, one check (schema.h).
TEST(Codec, NodeIndexesOverTheLimitAreRefused) {
  const std::string over = "node " + std::to_string(cluster_nodes_max) + " out of range (>= " +
                           std::to_string(cluster_nodes_max) + ")";
  const Ballot bad{1, cluster_nodes_max, 0};
  for (const Message& m : {Message{Prepare{"a", bad}}, Message{FenceRequest{1, bad}},
                           Message{Accept{"a", Ballot{}, 1, Ballot{}, {Voter{cluster_nodes_max, 1}}}},
                           Message{ClientReply{1, 2, Status::redirect, 0, 0, cluster_nodes_max}},
                           Message{Hello{2, cluster_nodes_max, 3, 1}}}) {
    auto r = decode_frame(bytes_of(encode_frame(m)));
    ASSERT_TRUE(std::holds_alternative<DecodeError>(r)) << describe(m);
    EXPECT_NE(std::get<DecodeError>(r).reason.find(over), std::string::npos)
        << std::get<DecodeError>(r).reason;
  }
  const Message top = Prepare{"a", Ballot{1, cluster_nodes_max - 1, 0}};
  auto r = decode_frame(bytes_of(encode_frame(top)));
  ASSERT_TRUE(std::holds_alternative<Message>(r));
  EXPECT_TRUE(std::get<Message>(r) == top);
}

TEST(Codec, LargestFenceReplyFitsInOneFrame) {
  FenceReply reply{1, true, Ballot{1, 1, 1}, {}, {}, {}};
  for (size_t i = 0; i < sequences_max; ++i) {
    std::string name = std::to_string(i);
    name.resize(seq_name_bytes_max, 'x');
    reply.states.push_back(
        SeqState{name, Ballot{UINT64_MAX, 8, UINT64_MAX}, Ballot{2, 3, 4}, id_max});
  }
  const std::string frame = encode_frame(reply);
  EXPECT_LE(frame.size(), frame_bytes_max);
  auto r = decode_frame(bytes_of(frame));
  ASSERT_TRUE(std::holds_alternative<Message>(r));
  EXPECT_TRUE(std::get<Message>(r) == Message(reply));
}

RC_GTEST_PROP(Codec, AnyValidMessageRoundTrips, (const Message& m)) {
  auto r = decode_frame(bytes_of(encode_frame(m)));
  RC_ASSERT(std::holds_alternative<Message>(r));
  RC_ASSERT(std::get<Message>(r) == m);
}

// A frame the decoder accepts is exactly the encoding of what it returned
// (one encoding per message).
void check_decodes_canonically_or_refuses(const std::string& frame) {
  auto r = decode_frame(bytes_of(frame));
  if (auto* e = std::get_if<DecodeError>(&r)) {
    RC_ASSERT(!e->reason.empty());
  } else {
    RC_ASSERT(encode_frame(std::get<Message>(r)) == frame);
  }
}

RC_GTEST_PROP(Codec, DamagedFramesAreRefusedWithoutCrashing, (const Message& m)) {
  std::string frame = encode_frame(m);
  switch (*rc::gen::inRange(0, 3)) {
    case 0: {  // flip bits of one byte: always refused
      const size_t at = *rc::gen::inRange<size_t>(0, frame.size());
      frame[at] = static_cast<char>(frame[at] ^ *rc::gen::inRange(1, 256));
      // The checksum covers version, type and body; length damage breaks framing.
      RC_ASSERT(!rejection(frame).empty());
      break;
    }
    case 1:  // cut short
      frame.resize(*rc::gen::inRange<size_t>(0, frame.size()));
      RC_ASSERT(!rejection(frame).empty());
      break;
    default:  // one byte too many
      frame.push_back(*rc::gen::arbitrary<char>());
      RC_ASSERT(!rejection(frame).empty());
  }
  check_decodes_canonically_or_refuses(frame);
}

RC_GTEST_PROP(Codec, ArbitraryBodiesBehindAValidHeaderNeverCrashTheDecoder, ()) {
  const auto type = *rc::gen::inRange<uint8_t>(0, std::variant_size_v<Message>);
  const auto body = *rc::gen::container<std::string>(rc::gen::arbitrary<char>());
  check_decodes_canonically_or_refuses(test::sealed_frame(type, body));
}

RC_GTEST_PROP(Codec, ArbitraryBytesNeverCrashTheDecoder, (const std::string& bytes)) {
  check_decodes_canonically_or_refuses(bytes);
  auto h = decode_header(bytes_of(bytes));
  RC_ASSERT(h.index() == 0 || !std::get<DecodeError>(h).reason.empty());
}

// ---- Rejections ----

TEST(CodecRejects, NameLongerThanTheLimit) {
  EXPECT_EQ(rejection(test::sealed_frame(type_of<Prepare>(), prepare_body(std::string(65, 'a')))),
            "body offset 0: sequence name too long (65 > 64)");
}

TEST(CodecRejects, NameWithACharacterOutsideTheAlphabet) {
  EXPECT_EQ(rejection(test::sealed_frame(type_of<Prepare>(), prepare_body("ab cd"))),
            "body offset 0: sequence name has invalid byte 32 at 2");
}

TEST(CodecRejects, EmptyName) {
  EXPECT_EQ(rejection(test::sealed_frame(type_of<Prepare>(), prepare_body(""))),
            "body offset 0: empty sequence name");
}

TEST(CodecRejects, BadNameInsideAFenceReplyState) {
  std::string body;
  ByteWriter w(body);
  w.put_u64(1);
  w.put_u8(1);
  put_ballot(w, Ballot{});
  w.put_u32(1);
  w.put_string("bad/name");
  put_ballot(w, Ballot{});
  put_ballot(w, Ballot{});
  w.put_u64(0);
  EXPECT_EQ(rejection(test::sealed_frame(type_of<FenceReply>(), body)),
            "body offset 33: sequence name has invalid byte 47 at 3");
}

TEST(CodecRejects, ClientRequestForMoreThanTheRangeLimit) {
  EXPECT_EQ(
      rejection(test::sealed_frame(type_of<ClientRequest>(), client_request_body("s", range_ids_max + 1))),
      "body offset 19: count 1048577 not in 0..1048576");
  EXPECT_EQ(rejection(test::sealed_frame(type_of<ClientRequest>(), client_request_body("s", range_ids_max))),
            "");
}

TEST(CodecRejects, WrongVersion) {
  std::string frame = encode_frame(EpochRequest{1});
  frame[0] = static_cast<char>(wire_version + 1);
  EXPECT_EQ(rejection(frame), "header offset 0: wrong version " + std::to_string(wire_version + 1) +
                                  " (expected " + std::to_string(wire_version) + ")");
}

TEST(CodecRejects, UnknownMessageType) {
  std::string frame = encode_frame(EpochRequest{1});
  frame[1] = static_cast<char>(std::variant_size_v<Message>);
  EXPECT_EQ(rejection(frame), "header offset 1: unknown message type " + std::to_string(std::variant_size_v<Message>));
  frame[1] = '\xff';
  EXPECT_EQ(rejection(frame), "header offset 1: unknown message type 255");
}

TEST(CodecRejects, BodyLengthOverTheFrameLimit) {
  std::string header = encode_frame(EpochRequest{1}).substr(0, frame_header_bytes);
  const uint32_t too_big = frame_bytes_max - frame_header_bytes + 1;
  std::memcpy(&header[2], &too_big, 4);  // little-endian hosts only, as is this project
  auto r = decode_header(bytes_of(header));
  ASSERT_TRUE(std::holds_alternative<DecodeError>(r));
  EXPECT_EQ(std::get<DecodeError>(r).reason,
            "header offset 2: body length 1048567 over limit 1048566");
  EXPECT_EQ(rejection(header), "header offset 2: body length 1048567 over limit 1048566");
}

TEST(CodecRejects, TruncatedHeader) {
  const std::string frame = encode_frame(EpochRequest{1});
  EXPECT_EQ(rejection(frame.substr(0, 9)), "header offset 9: truncated header (9 of 10 bytes)");
  EXPECT_EQ(rejection(""), "header offset 0: truncated header (0 of 10 bytes)");
  EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_header(bytes_of(frame.substr(0, 4)))));
}

TEST(CodecRejects, FrameLongerOrShorterThanItsHeaderSays) {
  const std::string frame = encode_frame(EpochRequest{1});
  EXPECT_EQ(rejection(frame + "x"),
            "header offset 2: body length 16, but the frame holds 17 body bytes");
  EXPECT_EQ(rejection(frame.substr(0, 17)),
            "header offset 2: body length 16, but the frame holds 7 body bytes");
}

TEST(CodecRejects, BodyThatDoesNotMatchItsChecksum) {
  std::string frame = encode_frame(EpochRequest{1});
  frame.back() ^= 1;
  EXPECT_NE(rejection(frame).find("header offset 6: checksum mismatch"), std::string::npos);
}

TEST(CodecRejects, TruncatedField) {
  EXPECT_EQ(rejection(test::sealed_frame(type_of<EpochRequest>(), "abcde")),
            "body offset 0: truncated u64 (5 bytes left)");
  EXPECT_EQ(rejection(test::sealed_frame(type_of<Prepare>(), "\x05")),
            "body offset 0: truncated string (1 bytes left)");
  EXPECT_EQ(rejection(test::sealed_frame(type_of<Prepare>(), std::string("\x05\x00"
                                                             "abc",
                                                             5))),
            "body offset 0: truncated string (5 bytes left)");
}

TEST(CodecRejects, BoolOtherThanZeroOrOne) {
  std::string frame = encode_frame(EpochReply{1, true, 2, Ballot{}});
  std::string body = frame.substr(frame_header_bytes);
  body[8] = 2;
  EXPECT_EQ(rejection(test::sealed_frame(type_of<EpochReply>(), body)), "body offset 8: bool is 2, not 0 or 1");
}

TEST(CodecRejects, UnknownStatus) {
  std::string body = encode_frame(ClientReply{1, 2, Status::ok, 3, 4}).substr(frame_header_bytes);
  body[16] = static_cast<char>(status_count);  // one past the last status
  EXPECT_EQ(rejection(test::sealed_frame(type_of<ClientReply>(), body)),
            "body offset 16: unknown status " + std::to_string(status_count));
}

TEST(CodecRejects, TrailingBytesAfterTheLastField) {
  std::string body = encode_frame(EpochRequest{1}).substr(frame_header_bytes) + "zz";
  EXPECT_EQ(rejection(test::sealed_frame(type_of<EpochRequest>(), body)), "body offset 16: 2 trailing bytes");
}

std::string fence_reply_body_with_count(uint32_t count) {
  std::string body;
  ByteWriter w(body);
  w.put_u64(1);
  w.put_u8(1);
  put_ballot(w, Ballot{});
  w.put_u32(count);
  return body;
}

TEST(CodecRejects, FenceReplyWithMoreStatesThanSequencesMax) {
  EXPECT_EQ(
      rejection(test::sealed_frame(type_of<FenceReply>(), fence_reply_body_with_count(sequences_max + 1))),
      "body offset 29: vector count 4097 over limit 4096");
  EXPECT_EQ(rejection(test::sealed_frame(type_of<FenceReply>(), fence_reply_body_with_count(UINT32_MAX))),
            "body offset 29: vector count 4294967295 over limit 4096");
}

TEST(CodecRejects, VectorCountLargerThanTheBytesPresentBeforeAllocating) {
  // 4096 states would need at least 4096 * 51 bytes; none follow.
  EXPECT_EQ(rejection(test::sealed_frame(type_of<FenceReply>(), fence_reply_body_with_count(sequences_max))),
            "body offset 29: vector count 4096 needs at least 208896 bytes, 0 left");
}

TEST(CodecRejects, AuthBytesCutShort) {
  const std::string body = encode_frame(AuthChallenge{counting_bytes(9)}).substr(frame_header_bytes);
  ASSERT_EQ(body.size(), auth_bytes);
  EXPECT_EQ(rejection(test::sealed_frame(type_of<AuthChallenge>(), body.substr(0, auth_bytes - 1))),
            "body offset 0: truncated auth bytes (31 bytes left)");
  EXPECT_EQ(rejection(test::sealed_frame(type_of<AuthProof>(), "")), "body offset 0: truncated auth bytes (0 bytes left)");
}

TEST(CodecRejects, AuthBytesWithTrailingBytes) {
  const std::string body = encode_frame(AuthProof{counting_bytes(9)}).substr(frame_header_bytes);
  EXPECT_EQ(rejection(test::sealed_frame(type_of<AuthProof>(), body + "x")), "body offset 32: 1 trailing bytes");
  EXPECT_EQ(rejection(test::sealed_frame(type_of<AuthChallenge>(), body + "xyz")), "body offset 32: 3 trailing bytes");
}

TEST(Codec, AuthBytesTravelRawWithoutALengthPrefix) {
  const std::string frame = encode_frame(AuthChallenge{counting_bytes(0xf0)});
  ASSERT_EQ(frame.size(), frame_header_bytes + auth_bytes);
  for (size_t i = 0; i < auth_bytes; ++i) EXPECT_EQ(uint8_t(frame[frame_header_bytes + i]), uint8_t(0xf0 + i));
}

// ---- Trace form ----

TEST(Describe, IsOneShortLineWithTheFieldsThatMatter) {
  EXPECT_EQ(describe(Prepare{"a", Ballot{3, 1, 0}}), "Prepare{seq=a b=3.1.0}");
  EXPECT_EQ(describe(ClientReply{1, 7, Status::ok, 5, 9}), "ClientReply{c=1 r=7 ok [5,9)}");
  EXPECT_EQ(describe(ClientReply{1, 7, Status::timeout, 0, 0}), "ClientReply{c=1 r=7 timeout}");
  EXPECT_EQ(describe(ClientRequest{1, 7, "s", 10}), "ClientRequest{c=1 r=7 seq=s n=10}");
}

TEST(Describe, AuthFramesShowOnlyTheFirstBytes) {
  EXPECT_EQ(describe(AuthChallenge{counting_bytes(0xfe)}), "AuthChallenge{nonce=feff0001..}");
  EXPECT_EQ(describe(AuthProof{counting_bytes(0x10)}), "AuthProof{mac=10111213..}");
}

TEST(Describe, FenceReplyCountsItsStatesInsteadOfListingThem) {
  FenceReply reply{2, true, Ballot{4, 0, 1}, {SeqState{"a", {}, {}, 1}, SeqState{"b", {}, {}, 2}}, {}, {}};
  EXPECT_EQ(describe(reply), "FenceReply{attempt=2 ok maxp=4.0.1 states=2}");
}

TEST(Describe, EveryExampleIsASingleLineNamedAfterItsType) {
  for (const Message& m : examples()) {
    const std::string d = describe(m);
    EXPECT_EQ(d.find('\n'), std::string::npos) << d;
    EXPECT_EQ(d.back(), '}') << d;
  }
}

TEST(StatusName, NamesEveryStatus) {
  EXPECT_STREQ(status_name(Status::ok), "ok");
  EXPECT_STREQ(status_name(Status::not_ready), "not_ready");
  EXPECT_STREQ(status_name(Status::invalid_name), "invalid_name");
  EXPECT_STREQ(status_name(Status::invalid_count), "invalid_count");
  EXPECT_STREQ(status_name(Status::exhausted), "exhausted");
  EXPECT_STREQ(status_name(Status::overloaded), "overloaded");
  EXPECT_STREQ(status_name(Status::timeout), "timeout");
  EXPECT_STREQ(status_name(Status::too_many_sequences), "too_many_sequences");
  EXPECT_STREQ(status_name(Status::too_many_requests), "too_many_requests");
  EXPECT_STREQ(status_name(static_cast<Status>(200)), "unknown");
}

TEST(StatusText, NamesTheLimitBehindARefusal) {
  EXPECT_NE(status_text(Status::exhausted).find("sequence exhausted"), std::string::npos);
  EXPECT_NE(status_text(Status::too_many_sequences).find("sequences_max, 4096"), std::string::npos);
  EXPECT_NE(status_text(Status::too_many_requests).find("conn_requests_in_flight_max, 64"), std::string::npos);
  EXPECT_NE(status_text(Status::invalid_count).find("range_ids_max"), std::string::npos);
  EXPECT_NE(status_text(Status::invalid_name).find("seq_name_bytes_max"), std::string::npos);
}

}  // namespace
}  // namespace rrseq

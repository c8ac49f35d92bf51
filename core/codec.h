#pragma once
// Wire codec: versioned, length-prefixed binary frames.
//
// Frame = header (frame_header_bytes) + body.
//   u8  version   (wire_version)
//   u8  type      (index of the alternative in Message: message_type<T>())
//   u32 body_len  little-endian, header + body <= frame_bytes_max
//   u32 crc32c    of version, type and body, masked (see crc32c.h)
// The body is laid out by each message's schema (schema.h, codec.cpp), which
// checks every length against limits.h before anything is allocated.
#include <cstdint>
#include <span>
#include <string>
#include <variant>

#include "core/messages.h"
#include "core/seq_name.h"

namespace rrseq {

// Appends the encoded frame of `m` to `out`: any message (an alternative of
// Message), or a variant of them (Message and its planes, messages.h).
template <class T>
  requires is_alternative_v<T, Message>
void encode_frame(const T& m, std::string& out);  // instantiated for each in codec.cpp
void encode_frame(const Message& m, std::string& out);
void encode_frame(const PeerMessage& m, std::string& out);
void encode_frame(const HandshakeMessage& m, std::string& out);
template <class M>
std::string encode_frame(const M& m) {
  std::string out;
  encode_frame(m, out);
  return out;
}

struct DecodeError {
  std::string reason;  // what was wrong, with the byte offset: "body offset 12: name too long (70 > 64)"
};
using DecodeResult = std::variant<Message, DecodeError>;

// Decodes exactly one whole frame (header + body, nothing after it).
DecodeResult decode_frame(std::span<const uint8_t> frame);

// For stream readers: given at least frame_header_bytes, checks the header
// and returns the body length that follows, or an error.
std::variant<uint32_t, DecodeError> decode_header(std::span<const uint8_t> header);

}  // namespace rrseq

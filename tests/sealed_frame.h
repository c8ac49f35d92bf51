#pragma once
// Frames the encoder would never write, for tests of what the decoder and the
// server refuse.
#include <cstdint>
#include <string>

#include "core/bytes.h"
#include "core/crc32c.h"
#include "core/limits.h"

namespace rrseq::test {

// A frame with a well-formed header and checksum around any body: how a test
// gets bytes past the header check that the encoder would never produce.
inline std::string sealed_frame(uint8_t type, const std::string& body) {
  std::string frame;
  ByteWriter w(frame);
  w.put_u8(wire_version);
  w.put_u8(type);
  w.put_u32(static_cast<uint32_t>(body.size()));
  const uint8_t head[2] = {wire_version, type};
  w.put_u32(crc32c::mask(
      crc32c::extend(crc32c::value(head, 2), reinterpret_cast<const uint8_t*>(body.data()), body.size())));
  return frame + body;
}

}  // namespace rrseq::test

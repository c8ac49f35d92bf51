#pragma once
// CRC32C (Castagnoli), with LevelDB's masking so a CRC stored inside data that
// is itself checksummed does not produce degenerate values.
#include <cstddef>
#include <cstdint>

namespace rrseq::crc32c {

uint32_t extend(uint32_t crc, const uint8_t* data, size_t n);
inline uint32_t value(const uint8_t* data, size_t n) { return extend(0, data, n); }

inline constexpr uint32_t mask_delta = 0xa282ead8u;
inline uint32_t mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + mask_delta; }
inline uint32_t unmask(uint32_t masked) {
  uint32_t rot = masked - mask_delta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace rrseq::crc32c

#include "core/crc32c.h"

#include <array>

namespace rrseq::crc32c {
namespace {

// Slice-by-8 tables for the reflected Castagnoli polynomial, built at compile time.
constexpr uint32_t poly_reflected = 0x82F63B78u;

using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? poly_reflected : 0);
    t[0][i] = c;
  }
  for (size_t s = 1; s < 8; ++s) {
    for (size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
  return t;
}

constexpr Tables tables = make_tables();
static_assert(tables[0][1] == 0xF26B8303u);

uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

}  // namespace

uint32_t extend(uint32_t crc, const uint8_t* data, size_t n) {
  uint32_t c = ~crc;
  for (; n >= 8; data += 8, n -= 8) {
    const uint32_t lo = c ^ load_le32(data);
    const uint32_t hi = load_le32(data + 4);
    c = tables[7][lo & 0xff] ^ tables[6][(lo >> 8) & 0xff] ^ tables[5][(lo >> 16) & 0xff] ^
        tables[4][lo >> 24] ^ tables[3][hi & 0xff] ^ tables[2][(hi >> 8) & 0xff] ^
        tables[1][(hi >> 16) & 0xff] ^ tables[0][hi >> 24];
  }
  for (; n > 0; ++data, --n) c = (c >> 8) ^ tables[0][(c ^ *data) & 0xff];
  return ~c;
}

}  // namespace rrseq::crc32c

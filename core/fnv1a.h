#pragma once
// FNV-1a, 64 bits: the same hash in every process and build, for cluster ids,
// a sequence's home node, the simulator's seed streams and its trace hash.
// Not for keys an attacker chooses.
#include <cstdint>
#include <string_view>

namespace rrseq {

inline constexpr uint64_t fnv1a_offset = 0xcbf29ce484222325ull;
inline constexpr uint64_t fnv1a_prime = 0x100000001b3ull;

// Continues the hash `h` over `bytes` (start from fnv1a_offset).
constexpr uint64_t fnv1a(std::string_view bytes, uint64_t h = fnv1a_offset) {
  for (char c : bytes) h = (h ^ static_cast<uint8_t>(c)) * fnv1a_prime;
  return h;
}

}  // namespace rrseq

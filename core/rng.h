#pragma once
// Small seeded PRNG (xoshiro256**, seeded by splitmix64). Used by the core for
// jitter and by the simulator for every random choice; never seeded from a clock
// inside the simulator.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "core/fnv1a.h"

namespace rrseq {

__extension__ using uint128 = unsigned __int128;
__extension__ using int128 = __int128;

inline uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) {
    uint64_t x = seed;
    for (auto& w : s_) w = splitmix64(x);
  }
  // A child stream for one subsystem: same parent seed and label, same stream.
  static Rng derive(uint64_t seed, std::string_view label, uint64_t index = 0) {
    uint64_t x = seed ^ fnv1a(label) ^ (index * 0x9e3779b97f4a7c15ull);
    return Rng(splitmix64(x));
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<uint128>(next()) * n) >> 64); }
  // Uniform in [lo, hi].
  uint64_t between(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }
  // True with probability per_million / 1e6.
  bool chance_ppm(uint32_t per_million) { return below(1000000) < per_million; }
  // Jittered exponential backoff: uniform in [min, window], the window being
  // `base` doubled `doublings` times, at most `cap` and at least `min`.
  uint64_t backoff(uint64_t min, uint64_t base, uint32_t doublings, uint64_t cap) {
    const uint64_t window = std::min(cap, base << doublings);
    return between(min, std::max(window, min));
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace rrseq

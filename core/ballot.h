#pragma once
// A ballot orders proposals for one sequence. It is unique per proposer
// process: `incarnation` changes at every start of a node (make_incarnation
// below; Node::start_incarnation stores it before the node serves),
// so a restarted node never reissues a ballot it may have used before.
#include <compare>
#include <cstdint>
#include <string>

namespace rrseq {

struct Ballot {
  uint64_t round = 0;
  uint32_t node = 0;
  uint64_t incarnation = 0;

  auto operator<=>(const Ballot&) const = default;
  bool is_zero() const { return round == 0 && node == 0 && incarnation == 0; }
  std::string str() const;  // "r.n.i", for traces and logs
};

// Incarnation = (epoch << 32) | boot. The epoch is handed out by peers when a
// node rejoins without state; the boot counter is kept durably by the node.
inline uint64_t make_incarnation(uint32_t epoch, uint32_t boot) {
  return (uint64_t{epoch} << 32) | boot;
}
inline uint32_t incarnation_epoch(uint64_t inc) { return static_cast<uint32_t>(inc >> 32); }
inline uint32_t incarnation_boot(uint64_t inc) { return static_cast<uint32_t>(inc); }

}  // namespace rrseq

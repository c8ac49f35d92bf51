#include "core/ballot.h"

namespace rrseq {

std::string Ballot::str() const {
  return std::to_string(round) + "." + std::to_string(node) + "." + std::to_string(incarnation);
}

}  // namespace rrseq

#include "core/invariant.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace rrseq {
namespace {
std::atomic<InvariantHandler> handler{nullptr};
}  // namespace

void set_invariant_handler(InvariantHandler h) { handler.store(h); }

void invariant_failed(const char* file, int line, const char* condition, const char* what) {
  const std::string message =
      std::string(file) + ":" + std::to_string(line) + ": invariant " + condition + " (" + what + ")";
  if (InvariantHandler h = handler.load()) h(message);
  std::fprintf(stderr, "rrseq: %s\n", message.c_str());
  std::abort();
}

}  // namespace rrseq

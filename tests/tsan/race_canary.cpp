// A known data race, built only in the ThreadSanitizer tree: scripts/tsan.sh
// runs it first and fails unless TSan reports it, so a tree that lost its
// -fsanitize=thread, or reports that no longer reach the reports directory,
// cannot pass as "no races found".
#include <cstdio>
#include <thread>

namespace {
long unguarded = 0;  // written by two threads with no lock: the race
}

int main() {
  std::thread other([] { unguarded += 1; });
  unguarded += 2;
  other.join();
  std::printf("race_canary: %ld\n", unguarded);
  return 0;
}

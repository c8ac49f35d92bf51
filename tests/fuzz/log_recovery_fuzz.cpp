// libFuzzer target: arbitrary bytes as a node's rrseq.log (checks in fuzz_entries.h).
#include "tests/fuzz/fuzz_entries.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rrseq::fuzz::abort_on_problem(rrseq::fuzz::check_log_recovery({data, size}));
  return 0;
}

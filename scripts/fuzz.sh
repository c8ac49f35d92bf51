#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, then runs each for SECONDS (default 60):
#
#   scripts/fuzz.sh        # the long run: 60 s per target
#   scripts/fuzz.sh 5      # the short run ctest does (test fuzz_short, label fuzz)
#
# Each target starts from its committed corpus tests/fuzz/corpus/<target>/,
# which it only reads; what it discovers goes to $BUILD/corpus/<target>/. A
# failure leaves the input in $BUILD/artifacts/ and fails the script: fix the
# bug, then commit the input as tests/fuzz/corpus/<target>/regression-<what>.
# $BUILD is RRSEQ_FUZZ_BUILD_DIR, default build-fuzz/ (the main build is GCC).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-60}
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2
  exit 2
fi
build=${RRSEQ_FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=(frame_fuzz log_recovery_fuzz)

scripts/install-deps.sh
cmake -S tests/fuzz -B "$build" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" -j"$(nproc)"

for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/artifacts"
  log="$build/$t.log"
  echo "fuzz: $t for $seconds s"
  status=0
  "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t-" "$build/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1 ||
    status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  if ((status != 0)); then
    grep -E -A30 'ERROR|rrseq fuzz check failed|runtime error' "$log" | head -60 >&2 || tail -40 "$log" >&2
    echo "fuzz: $t FAILED (exit $status) after ${runs:-?} runs; input in $build/artifacts/, log $log" >&2
    exit 1
  fi
  echo "fuzz: $t ok: $runs runs in $seconds s, $(ls "$build/corpus/$t" | wc -l) inputs kept in $build/corpus/$t"
done

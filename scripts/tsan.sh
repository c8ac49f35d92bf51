#!/usr/bin/env bash
# Builds the client library, rrseq-server and the tests that run them on
# loopback with ThreadSanitizer, in a tree of their own, then runs those tests:
#
#   scripts/tsan.sh           # what ctest runs (test tsan, label tsan)
#
# The in-process tests race the client's caller threads against its io thread
# and the server's io thread against its disk thread; the process tests start
# the sanitized rrseq-server itself. Every report, from a test or from a server
# it started, goes to $BUILD/reports/ (TSAN_OPTIONS log_path), and any report
# fails the script: fix the race, do not suppress it (scripts/tsan.supp is
# there for code this tree cannot instrument, each line with its reason).
# $BUILD is RRSEQ_TSAN_BUILD_DIR, default build-tsan/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${RRSEQ_TSAN_BUILD_DIR:-$root/build-tsan}
if (($#)); then
  echo "usage: scripts/tsan.sh   (no arguments; RRSEQ_TSAN_BUILD_DIR names the tree)" >&2
  exit 2
fi
# In-process: client and servers as threads of one process, over loopback TCP.
# door_cluster_test is left out: Debian's gRPC is not instrumented, so every
# buffer its allocator hands from one of its threads to another reads as a
# race (some 5,900 reports, none in RRSeq's code), and a suppression broad
# enough to hide them would hide the door's own code too. So the one handoff
# only gRPC drives (NodeDoor::call from gRPC's threads into the io thread,
# server.cpp) is not checked here; the HTTP door runs on the io thread.
in_process=(cluster_test cluster_auth_test http_door_test metrics_scrape_test frame_conn_test
            handshake_test posix_env_test node_host_test)
# Processes: the sanitized rrseq-server started by the test (load_test is left
# out: it bounds resident memory, which TSan's shadow memory multiplies;
# sync_failure_process_test too: its libfiu preload fails the calls TSan wraps).
processes=(limits_test partial_start_test corrupt_log_test)
tests=("${in_process[@]}" "${processes[@]}")

scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRRSEQ_TSAN=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target rrseq-server rrseq-client tsan_race_canary "${tests[@]}"

options="second_deadlock_stack=1 history_size=4 suppressions=$root/scripts/tsan.supp"
# The canary first: a known race that must come out as a report.
canary=$build/canary-reports
rm -rf "$canary"
mkdir -p "$canary"
TSAN_OPTIONS="log_path=$canary/tsan $options" "$build/bin/tsan_race_canary" >/dev/null 2>&1 || true
if ! grep -qs "WARNING: ThreadSanitizer: data race" "$canary"/*; then
  echo "tsan: FAILED: the canary's known race was not reported; is $build built with -DRRSEQ_TSAN=ON?" >&2
  exit 1
fi
echo "tsan: the canary's known race is reported"

reports=$build/reports
rm -rf "$reports"
mkdir -p "$reports"
export TSAN_OPTIONS="log_path=$reports/tsan $options"
failed=()
for t in "${tests[@]}"; do
  start=$SECONDS
  status=0
  (cd "$build" && "bin/$t" --gtest_brief=1 >"$build/$t.log" 2>&1) || status=$?
  found=$(ls "$reports" | wc -l)
  echo "tsan: $t exit $status in $((SECONDS - start)) s, $found report files so far"
  ((status == 0)) || failed+=("$t")
done
if [ -n "$(ls "$reports")" ]; then
  for f in "$reports"/*; do
    echo "---- $f" >&2
    head -60 "$f" >&2
  done
  echo "tsan: FAILED: ThreadSanitizer reports in $reports (tests that failed: ${failed[*]:-none})" >&2
  exit 1
fi
if ((${#failed[@]})); then
  echo "tsan: FAILED: ${failed[*]} (logs in $build/<test>.log)" >&2
  exit 1
fi
echo "tsan: ok: ${#tests[@]} test programs, no reports"

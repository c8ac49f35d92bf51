#!/usr/bin/env bash
# Mutation testing: does the simulator catch realistic protocol bugs?
#
#   scripts/mutants.sh [options] [NAME...]
#
# Each mutant is a small patch under scripts/mutants/ (NN-short-name.patch)
# whose first line, "# <what the bug is>", is its description. One at a time,
# each is applied to a scratch copy of the source tree (build-mutants/src,
# never this tree), rrseq-sim is rebuilt there incrementally (one build dir,
# build-mutants/build, reused: a mutant costs a rebuild of one or two files),
# and the default sweeps of tests/CMakeLists.txt (the sim_sweep_* tests) run
# with --fail-fast until one fails. A mutant the sweeps miss then meets the
# tests labelled unit (hand-driven scenarios, replays of seeds, unit tests:
# every test binary is rebuilt). The table says, per mutant, which sweep
# (seed, violation) or which tests caught it, or NOT CAUGHT.
#
# Exit status: 0 every mutant caught; 1 a mutant was not caught, no longer
# applies (STALE) or no longer builds; 2 bad usage or the unmutated tree fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CATALOG="$ROOT/scripts/mutants"
SCRATCH="${MUTANTS_DIR:-$ROOT/build-mutants}"
SRC="$SCRATCH/src"
BUILD="$SCRATCH/build"
LOGS="$SCRATCH/logs"
JOBS="${MUTANTS_JOBS:-2}"
SWEEP_TIMEOUT="${MUTANTS_SWEEP_TIMEOUT:-900}"  # seconds; a hung sweep counts as caught (G4)
UNIT_TIMEOUT=300      # seconds per unit test; a hung test fails, so counts as caught
TESTS_NAMED_MAX=4     # failing tests the table names per mutant

usage() {
  cat <<'EOF'
usage: scripts/mutants.sh [options] [NAME...]

Applies each mutant of scripts/mutants/ (or only the NAMEs given: a file name,
its number NN, or its short name) to a scratch copy of the tree in
build-mutants/, rebuilds rrseq-sim there, and runs the default sweeps of
tests/CMakeLists.txt with --fail-fast; a mutant they miss then runs the tests
labelled unit (ctest -L unit, all of them). Prints, per mutant: what it
breaks, what caught it (sweep, seed, violation; or the failing tests) or NOT
CAUGHT, and seconds.

  --list            list the mutants and whether each still applies; run nothing
  --skip-baseline   do not first check that the unmutated tree passes the sweeps
                    and the unit tests
  --all-sweeps      run every sweep on each mutant, not only up to the first catch
  --sweeps-only     do not run the unit tests on a mutant the sweeps miss
  --unit-only       run only the unit tests, no sweep (for mutants the sweeps
                    are known to miss; the table then says nothing of sweeps)
  --help            this text

Environment: MUTANTS_DIR (scratch dir, default build-mutants), MUTANTS_JOBS
(build jobs, default 2), MUTANTS_SWEEP_TIMEOUT (seconds per sweep, default 900).
Exit status: 0 all caught; 1 a mutant NOT CAUGHT, STALE or not building;
2 bad usage, or the unmutated tree fails its sweeps.
EOF
}

list_only=0
skip_baseline=0
all_sweeps=0
sweeps_only=0
unit_only=0
names=()
while (($#)); do
  case "$1" in
    --list) list_only=1 ;;
    --skip-baseline) skip_baseline=1 ;;
    --all-sweeps) all_sweeps=1 ;;
    --sweeps-only) sweeps_only=1 ;;
    --unit-only) unit_only=1 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "mutants.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) names+=("$1") ;;
  esac
  shift
done
if ((unit_only && sweeps_only)); then
  echo "mutants.sh: --unit-only and --sweeps-only together run nothing" >&2
  exit 2
fi

# ---- the catalog ----
mapfile -t all_patches < <(find "$CATALOG" -maxdepth 1 -name '*.patch' | sort)
if ((${#all_patches[@]} == 0)); then
  echo "mutants.sh: no mutants in $CATALOG" >&2
  exit 2
fi
patches=()
if ((${#names[@]} == 0)); then
  patches=("${all_patches[@]}")
else
  for want in "${names[@]}"; do
    found=""
    for p in "${all_patches[@]}"; do
      base=$(basename "$p" .patch)
      if [[ "$base" == "$want" || "$base" == "${want%.patch}" || "${base%%-*}" == "$want" ||
            "${base#*-}" == "$want" ]]; then
        found=$p
      fi
    done
    if [[ -z "$found" ]]; then
      echo "mutants.sh: no mutant named '$want' (try --list)" >&2
      exit 2
    fi
    patches+=("$found")
  done
fi

describe() { sed -n '1s/^# *//p' "$1"; }
touched_files() { sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$1"; }
# Applies forward only, offsets allowed, no fuzz: a patch whose context moved
# or changed is STALE, never applied in a guessed place.
patch_check() { patch -d "$1" -p1 -N -F0 --dry-run --no-backup-if-mismatch -s -i "$2" >/dev/null 2>&1; }
patch_apply() { patch -d "$1" -p1 -N -F0 --no-backup-if-mismatch -s -i "$2"; }

if ((list_only)); then
  for p in "${patches[@]}"; do
    state=applies
    patch_check "$ROOT" "$p" || state=STALE
    printf '%-36s %-8s %s\n' "$(basename "$p" .patch)" "$state" "$(describe "$p")"
  done
  exit 0
fi

# ---- the sweeps: the sim_sweep_* tests of tests/CMakeLists.txt ----
mapfile -t sweep_lines < <(python3 - "$ROOT/tests/CMakeLists.txt" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
for name, args in re.findall(r'add_test\(\s*NAME\s+(sim_sweep_\w+)\s+COMMAND\s+rrseq-sim\s+([^)]*)\)', text):
    print(name + "\t" + " ".join(args.split()))
EOF
)
if ((${#sweep_lines[@]} == 0)); then
  echo "mutants.sh: no sim_sweep_* test in tests/CMakeLists.txt; using the built-in sweeps" >&2
  sweep_lines=($'sim_sweep_3_nodes\t--seeds 1-2000 --nodes 3 --faults all'
               $'sim_sweep_5_nodes\t--seeds 1-2000 --nodes 5 --faults all'
               $'sim_sweep_durable_no_fast_path\t--seeds 1-1000 --nodes 3 --faults all --storage durable --no-fast-path')
fi
if ((unit_only)); then sweep_lines=(); fi  # neither the baseline nor a mutant runs a sweep

# ---- the scratch tree ----
mkdir -p "$SRC" "$BUILD" "$LOGS"
# Copies the tree's files (tracked, and untracked but not ignored: what you
# would commit) into the scratch tree. A file whose content changed is copied
# with a fresh mtime, so the build notices it even if an earlier, interrupted
# run left a mutant there.
sync_tree() {
  local f
  while IFS= read -r -d '' f; do
    [[ -f "$ROOT/$f" ]] || continue
    if ! cmp -s "$ROOT/$f" "$SRC/$f"; then
      mkdir -p "$SRC/$(dirname "$f")"
      cp "$ROOT/$f" "$SRC/$f"
    fi
  done < <(git -C "$ROOT" ls-files -z -co --exclude-standard)
}
# Puts back the pristine copies of the files a mutant touched (fresh mtimes).
restore_files() {
  local f
  for f in $(touched_files "$1"); do
    if [[ -f "$ROOT/$f" ]]; then cp "$ROOT/$f" "$SRC/$f"; fi
  done
}

build() {  # build LOGFILE
  {
    if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
      local gen=()
      command -v ninja >/dev/null && gen=(-G Ninja)
      cmake -S "$SRC" -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo
    fi
    cmake --build "$BUILD" -j"$JOBS" --target rrseq-sim
  } >"$1" 2>&1
}

# Runs one sweep with --fail-fast. Sets sweep_result to "" (passed) or what caught it.
run_sweep() {  # run_sweep NAME ARGS LOGFILE
  local name=$1 args=$2 log=$3 rc=0
  # shellcheck disable=SC2086
  timeout "$SWEEP_TIMEOUT" "$BUILD/bin/rrseq-sim" $args --fail-fast >"$log" 2>/dev/null || rc=$?
  sweep_result=""
  if ((rc == 0)); then
    return
  elif ((rc == 124)); then
    sweep_result="$name: no end within ${SWEEP_TIMEOUT}s (hang)"
  elif ((rc == 1)) && grep -q '^FAIL seed ' "$log"; then
    local line seed what
    line=$(grep -m1 '^FAIL seed ' "$log")
    seed=$(sed -E 's/^FAIL seed ([0-9]+) .*/\1/' <<<"$line")
    what=$(sed -E 's/^FAIL seed [0-9]+ (.*) replay: .*/\1/' <<<"$line")
    ((${#what} > 90)) && what="${what:0:87}..."
    sweep_result="$name seed $seed: $what"
  else
    sweep_result="$name: rrseq-sim exited $rc ($(tail -n1 "$log" | cut -c1-60))"
  fi
}

# Builds every target and runs the tests labelled unit, all of them: the
# first to fail may only pin a trace the mutant changed, so the table names
# every failing test. Sets tests_result to "" (all passed) or those tests.
run_unit_tests() {  # run_unit_tests LOGPREFIX
  local log=$1 rc=0 failed n
  tests_result=""
  if ! cmake --build "$BUILD" -j"$JOBS" >"$log-build-all.log" 2>&1; then
    tests_result="tests: the mutant's test binaries do not build (see $log-build-all.log)"
    return
  fi
  ctest --test-dir "$BUILD" -L unit -j"$JOBS" --timeout "$UNIT_TIMEOUT" >"$log-unit.log" 2>&1 || rc=$?
  ((rc == 0)) && return
  mapfile -t failed < <(sed -nE 's/^[[:space:]]*[0-9]+ - ([^ ]+) \((.*)\)$/\1 (\2)/p' "$log-unit.log")
  n=${#failed[@]}
  if ((n == 0)); then
    tests_result="tests: ctest exited $rc (see $log-unit.log)"
    return
  fi
  tests_result="tests: $(printf '%s; ' "${failed[@]:0:TESTS_NAMED_MAX}")"
  tests_result=${tests_result%; }
  ((n > TESTS_NAMED_MAX)) && tests_result+="; and $((n - TESTS_NAMED_MAX)) more"
  return 0
}

short() { basename "$1" .patch; }
t_start=$(date +%s)
sync_tree
for p in "${patches[@]}"; do restore_files "$p"; done  # undo a mutant an interrupted run left

if ((skip_baseline)); then
  echo "baseline: skipped (--skip-baseline): the unmutated tree is assumed to pass"
else
  echo "baseline: building rrseq-sim from the unmutated tree in $BUILD"
  if ! build "$LOGS/baseline-build.log"; then
    echo "baseline: the unmutated tree does not build; see $LOGS/baseline-build.log" >&2
    exit 2
  fi
  for line in "${sweep_lines[@]}"; do
    name=${line%%$'\t'*} args=${line#*$'\t'}
    t0=$(date +%s)
    run_sweep "$name" "$args" "$LOGS/baseline-$name.log"
    if [[ -n "$sweep_result" ]]; then
      echo "baseline: the unmutated tree FAILS: $sweep_result (log $LOGS/baseline-$name.log)" >&2
      exit 2
    fi
    echo "baseline: $name ($args) passed in $(($(date +%s) - t0)) s"
  done
  if ((!sweeps_only)); then
    t0=$(date +%s)
    run_unit_tests "$LOGS/baseline"
    if [[ -n "$tests_result" ]]; then
      echo "baseline: the unmutated tree FAILS: $tests_result (log $LOGS/baseline-unit.log)" >&2
      exit 2
    fi
    echo "baseline: the unit tests passed in $(($(date +%s) - t0)) s"
  fi
fi

rows=()
bad=0
for p in "${patches[@]}"; do
  m=$(short "$p")
  desc=$(describe "$p")
  t0=$(date +%s)
  caught=""
  if ! patch_check "$SRC" "$p"; then
    caught="STALE: the patch no longer applies; refresh it against the code"
    bad=1
  else
    patch_apply "$SRC" "$p"
    if ! build "$LOGS/$m-build.log"; then
      caught="STALE: does not build (see $LOGS/$m-build.log)"
      bad=1
    else
      for line in "${sweep_lines[@]}"; do
        name=${line%%$'\t'*} args=${line#*$'\t'}
        run_sweep "$name" "$args" "$LOGS/$m-$name.log"
        if [[ -n "$sweep_result" ]]; then
          caught="${caught:+$caught; }$sweep_result"
          ((all_sweeps)) || break
        fi
      done
      if [[ -z "$caught" ]] && ((!sweeps_only)); then
        run_unit_tests "$LOGS/$m"
        caught=$tests_result
      fi
      if [[ -z "$caught" ]]; then
        caught="NOT CAUGHT"
        bad=1
      fi
    fi
    restore_files "$p"
  fi
  secs=$(($(date +%s) - t0))
  printf '%-30s %4ss  %s\n' "$m" "$secs" "$caught"
  rows+=("$m"$'\t'"$desc"$'\t'"$caught"$'\t'"$secs")
done

echo
{
  echo "| mutant | what it breaks | caught by (sweep seed: violation, or test) | s |"
  echo "|---|---|---|---|"
  for r in "${rows[@]}"; do
    IFS=$'\t' read -r m desc caught secs <<<"$r"
    echo "| $m | $desc | ${caught//|/\\|} | $secs |"
  done
} | tee "$SCRATCH/report.md"
echo
echo "mutants: ${#rows[@]} run in $(($(date +%s) - t_start)) s; table in $SCRATCH/report.md"
if ((bad)); then
  echo "mutants: FAIL: some mutant was NOT CAUGHT or is STALE" >&2
  exit 1
fi
echo "mutants: every mutant caught"

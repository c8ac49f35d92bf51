#!/usr/bin/env bash
# The main job: build, then show the simulator catching the 2016 algorithm and
# passing the ballot protocol on the same seeds.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh || exit 1
sim=build/bin/rrseq-sim
seeds=${SEEDS:-1-200}

echo "== classic (2016) protocol, seeds $seeds: the checker must find duplicates"
"$sim" --protocol classic --seeds "$seeds" | tail -n 4
echo
echo "== ballot protocol, 3 nodes, seeds $seeds, all faults"
"$sim" --nodes 3 --seeds "$seeds" | tail -n 3
echo
echo "== ballot protocol, 5 nodes, seeds $seeds, all faults"
"$sim" --nodes 5 --seeds "$seeds" | tail -n 3

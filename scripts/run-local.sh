#!/usr/bin/env bash
# The main job: install what is missing, build, start a local 3-node durable
# cluster on loopback and a client printing IDs, until Ctrl-C. Data stays in
# DATA_DIR (default ./rrseq-data) so a second run continues above the first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
bin=build/bin
data=${DATA_DIR:-rrseq-data}
ports=(${PORTS:-19001 19002 19003})
addrs=()
for p in "${ports[@]}"; do addrs+=("127.0.0.1:$p"); done

# Peers prove they hold one shared key; made once, kept with the data.
mkdir -p "$data"
key="$data/cluster.key"
if [ ! -s "$key" ]; then
  (umask 077 && head -c 32 /dev/urandom > "$key")
fi

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "stopping the cluster"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap cleanup INT TERM EXIT

for i in "${!addrs[@]}"; do
  peers=()
  for j in "${!addrs[@]}"; do [ "$i" = "$j" ] || peers+=("${addrs[$j]}"); done
  mkdir -p "$data/node$i"
  "$bin/rrseq-server" --cluster-key "$key" "${addrs[$i]}" "$data/node$i" "${peers[@]}" 2>"$data/node$i.log" &
  pids+=($!)
done
echo "cluster: ${addrs[*]} (logs in $data/node*.log); client on sequence 'demo', buffer 10, one ID every 200 ms"
"$bin/rrseq-client" demo 10 200 "${addrs[@]}" &
pids+=($!)
wait "${pids[-1]}"

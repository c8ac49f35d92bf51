#!/usr/bin/env bash
# Prints COUNT IDs of the sequence NAME, one a line, from one server's HTTP
# address; then the sequence's upper bound, on stderr.
#   examples/curl/next_ids.sh 10.0.0.1:8080 orders 10
set -euo pipefail
if [ $# -ne 3 ]; then echo "usage: $0 ADDR NAME COUNT" >&2; exit 2; fi
addr=$1 name=$2 count=$3

# {"sequence": "NAME", "from": F, "to": T}: the IDs F .. T-1.
reply=$(curl -s "http://$addr/v1/sequences/$name/next?count=$count") ||
  { echo "$0: curl failed (exit $?) on $addr" >&2; exit 1; }
from=$(sed -n 's/.*"from": *\([0-9]*\).*/\1/p' <<<"$reply")
to=$(sed -n 's/.*"to": *\([0-9]*\).*/\1/p' <<<"$reply")
if [ -z "$from" ] || [ -z "$to" ]; then
  echo "$0: no range in the reply: $reply" >&2
  exit 1
fi
seq "$from" "$to" | sed '$d'   # seq counts exactly past 2^53; the shell's $(( )) would not

# {"sequence": "NAME", "upper_bound": B}: every ID granted so far is below B.
echo "bound: $(curl -s "http://$addr/v1/sequences/$name")" >&2

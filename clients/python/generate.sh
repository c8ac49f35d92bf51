#!/usr/bin/env bash
# Generates the Python gRPC stubs of rrseq.v1 (proto/rrseq/v1/sequences.proto)
# into OUTDIR, with Debian's protoc and grpc_python_plugin:
#
#   clients/python/generate.sh OUTDIR
#   export PYTHONPATH=OUTDIR:clients/python
#
# It writes OUTDIR/rrseq/v1/sequences_pb2.py and sequences_pb2_grpc.py. Needs
# protobuf-compiler and protobuf-compiler-grpc (apt-get install).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi

protoc="${PROTOC:-protoc}"
plugin="${GRPC_PYTHON_PLUGIN:-/usr/bin/grpc_python_plugin}"
if ! command -v "$protoc" >/dev/null; then
  echo "$0: $protoc not found: apt-get install protobuf-compiler" >&2
  exit 1
fi
if [ ! -x "$plugin" ]; then
  echo "$0: $plugin not found: apt-get install protobuf-compiler-grpc" >&2
  exit 1
fi

# The repository root, from this script's own place (clients/python/..).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"

cd "$root"
"$protoc" -I proto --python_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$plugin" rrseq/v1/sequences.proto

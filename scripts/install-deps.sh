#!/usr/bin/env bash
# Installs, from Debian's packages, whatever the build and tests need and the
# machine lacks. Safe to run again: it does nothing when all is present.
set -euo pipefail

packages=(
  build-essential cmake
  libboost-context-dev   # client workloads run as fibers in the simulator
  libgtest-dev           # unit tests
  librapidcheck-dev      # property tests and shrinking
  libbenchmark-dev       # rrseq-bench
  libasio-dev            # TCP transport
  libssl-dev             # HMAC-SHA256 and nonces for peer authentication (--cluster-key)
  gnuplot-nox            # bench/run.sh plot
  clang                  # scripts/fuzz.sh: libFuzzer targets (the main build stays GCC)
  libclang-rt-dev        # libFuzzer, AddressSanitizer and UBSan runtimes for clang
  fiu-utils              # tests: a real fdatasync failing (EIO) under a real rrseq-server (libfiu preload)
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc  # the gRPC door
  libhttp-parser-dev     # the HTTP door's request parser (Node.js's http_parser)
  nlohmann-json3-dev     # the HTTP door's JSON
  python3-grpcio python3-protobuf  # clients/python and its tests (Debian's /usr/bin/python3)
  curl                   # tests: the HTTP door through curl
  golang-go golang-google-grpc-dev golang-goprotobuf-dev  # tests: a Go client on the 2016 API (grpc-go)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

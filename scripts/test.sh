#!/usr/bin/env bash
# The test command: install, build, run every test (ctest prints the summary).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 1800

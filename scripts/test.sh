#!/usr/bin/env bash
# README command 2: install what is missing, build, and run the whole test suite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh" "$here/build"
cd "$here/build"
# Tests that launch several MPI ranks reserve cores through ctest's PROCESSORS property.
ctest --output-on-failure -j "$(nproc)" "$@"

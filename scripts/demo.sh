#!/usr/bin/env bash
# README command 1: install what is missing, build, run the demo job on the bundled CIFAR-10
# images, and print its table.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh" "$here/build"
exec "$here/build/gensweep" run "$here/jobs/demo.toml" "$@"

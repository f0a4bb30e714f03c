#!/usr/bin/env bash
# The README's main job. (Grows as the data plane and control land.)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
bash tools/scripts/setup.sh
build=${FLATNET_BUILD_DIR:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" -Dtests=false
ninja -C "$build"

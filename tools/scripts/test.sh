#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs every flatnet test suite.
# This is the README's test command and what .ci/run calls.
#   FLATNET_BUILD_DIR   build directory (default: build-test)
#   FLATNET_SUITES      meson test suites to run (default: all)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"

bash tools/scripts/setup.sh

build=${FLATNET_BUILD_DIR:-build-test}
if [ -f "$build/build.ninja" ]; then
  meson setup --reconfigure "$build" >/dev/null
else
  meson setup "$build" -Dtests=true
fi
ninja -C "$build"

suites=()
for s in ${FLATNET_SUITES:-}; do suites+=(--suite "$s"); done
set +e
meson test -C "$build" --print-errorlogs --num-processes 2 "${suites[@]}"
rc=$?
set -e

# One closing line any CI reader understands: 'N passed, N failed, N skipped'.
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
ok = fail = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get('result', '')
    if r in ('OK', 'EXPECTEDFAIL'): ok += 1
    elif r == 'SKIP': skip += 1
    else: fail += 1
print(f"flatnet: {ok} passed, {fail} failed, {skip} skipped")
PY
exit $rc

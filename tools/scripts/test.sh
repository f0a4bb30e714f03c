#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs every flatnet test suite.
# This is the README's test command and what .ci/run calls. Three runs:
#   1. the release build (gcc): every suite;
#   2. the sanitizer build (clang, ASan+UBSan, halting on the first
#      report): the unit, packet and fuzz-replay suites;
#   3. libFuzzer on this run's slice of the fuzz targets, in a fixed budget
#      (tools/scripts/fuzz.sh), from the sanitizer build.
#   FLATNET_BUILD_DIR        release build directory (default: build-test)
#   FLATNET_ASAN_BUILD_DIR   sanitizer build directory (default: build-asan)
#   FLATNET_SUITES           meson test suites of the release run (default: all)
#   FLATNET_ASAN_SUITES      suites of the sanitizer run (default: unit packet fuzz)
#   FLATNET_SANITIZE=0       leave out runs 2 and 3 (said so in the output)
#   FLATNET_FUZZ_SECONDS     run 3's wall-clock budget (default 480; 0 = no run 3)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"

bash tools/scripts/setup.sh
start=$(date +%s)

# ---- 1. release build, every suite ------------------------------------------
build=${FLATNET_BUILD_DIR:-build-test}
if [ -f "$build/build.ninja" ]; then
  meson setup --reconfigure "$build" >/dev/null
else
  meson setup "$build" -Dtests=true
fi
rc=0
build_failures=0  # a build that fails counts as one failed test, and its tests are not run
logs=()
fuzz_summary=""
if ninja -C "$build"; then
  suites=()
  for s in ${FLATNET_SUITES:-}; do suites+=(--suite "$s"); done
  set +e
  meson test -C "$build" --print-errorlogs --num-processes 2 "${suites[@]}"
  rc=$?
  set -e
  logs+=("$build/meson-logs/testlog.json")
else
  echo "flatnet: release build FAILED"
  rc=1 build_failures=$((build_failures + 1))
fi

# ---- 2. sanitizer build: unit, packet, fuzz replay under ASan+UBSan ----------
if [ "${FLATNET_SANITIZE:-1}" = 0 ]; then
  echo "flatnet: sanitizer build and fuzzing LEFT OUT (FLATNET_SANITIZE=0)"
else
  asan=${FLATNET_ASAN_BUILD_DIR:-build-asan}
  # -Dfuzz=true: the same build also links the libFuzzer targets for run 3.
  # -O1 and line tables only: readable reports, and the build stays quick.
  # b_lundef=false: the sanitizer runtimes are linked into executables only.
  asan_opts=(-Dtests=true -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
             -Doptimization=1 -Ddebug=false -Dc_args=-gline-tables-only -Dcpp_args=-gline-tables-only)
  if [ -f "$asan/build.ninja" ]; then
    meson setup --reconfigure "$asan" "${asan_opts[@]}" >/dev/null
  else
    CC=clang CXX=clang++ meson setup "$asan" "${asan_opts[@]}"
  fi
  # Only what runs 2 and 3 use: the fuzz targets here, and meson test below
  # builds the tests of the chosen suites and their dependencies (not the
  # benchmarks and daemons, which the release run covers).
  fuzz_exes=$(awk 'NF { print "tests/fuzz/fuzz_" $1 }' "$asan/tests/fuzz/targets.txt" || true)
  # shellcheck disable=SC2086
  if ninja -C "$asan" $fuzz_exes; then asan_built=1; else
    echo "flatnet: sanitizer build FAILED"
    asan_built=0 rc=1 build_failures=$((build_failures + 1))
  fi
  # Halt at the first report of either sanitizer, with a stack. Leak checking
  # stays on: DPDK's memory is its own (not malloc), and what EAL keeps for
  # the process lifetime is listed, by library, in lsan.supp.
  export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:symbolize=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  export LSAN_OPTIONS="suppressions=$here/tools/scripts/lsan.supp:print_suppressions=0"
  asan_suites=()
  for s in ${FLATNET_ASAN_SUITES:-unit packet fuzz}; do asan_suites+=(--suite "$s"); done
  if [ $asan_built = 1 ]; then
    set +e
    # No log from an earlier run may stand in for this one (a test that does
    # not build leaves none, and the summary then counts a failure).
    rm -f "$asan/meson-logs/testlog.json"
    # Timeouts x3: sanitized code runs ~2-3x slower than the release build.
    meson test -C "$asan" --print-errorlogs --num-processes 2 --timeout-multiplier 3 "${asan_suites[@]}"
    arc=$?
    set -e
    [ $arc -ne 0 ] && rc=$arc
    logs+=("$asan/meson-logs/testlog.json")
  fi

  # ---- 3. libFuzzer within a budget ------------------------------------------
  if [ $asan_built = 1 ] && [ "${FLATNET_FUZZ_SECONDS:-480}" != 0 ]; then
    set +e
    bash tools/scripts/fuzz.sh "$asan" | tee "$asan/meson-logs/fuzz.txt"
    frc=${PIPESTATUS[0]}
    set -e
    [ "$frc" -ne 0 ] && rc=$frc
    fuzz_summary=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' "$asan/meson-logs/fuzz.txt" | tail -1 || true)
    [ -z "$fuzz_summary" ] && fuzz_summary="fuzz: 0 passed, 1 failed"
  else
    echo "flatnet: libFuzzer run LEFT OUT (FLATNET_FUZZ_SECONDS=0 or no sanitizer build)"
  fi
fi
echo "flatnet: wall time $(( $(date +%s) - start )) s after setup"

# One closing line any CI reader understands: 'N passed, N failed, N skipped',
# summed over every run above (a fuzz target fuzzed counts as one test).
python3 - "$build_failures" "$fuzz_summary" "${logs[@]}" <<'PY'
import json, re, sys
ok = skip = 0
fail = int(sys.argv[1])
m = re.match(r'fuzz: (\d+) passed, (\d+) failed', sys.argv[2])
if m:
    ok += int(m.group(1)); fail += int(m.group(2))
for path in sys.argv[3:]:
    try:
        lines = open(path).readlines()
    except OSError:
        fail += 1  # a run that left no log failed before its tests
        continue
    for line in lines:
        r = json.loads(line).get('result', '')
        if r in ('OK', 'EXPECTEDFAIL'): ok += 1
        elif r == 'SKIP': skip += 1
        else: fail += 1
print(f"flatnet: {ok} passed, {fail} failed, {skip} skipped")
PY
exit $rc

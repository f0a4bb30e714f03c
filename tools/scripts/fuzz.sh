#!/usr/bin/env bash
# libFuzzer within a fixed budget, as CI runs it (tools/scripts/test.sh) and
# as anyone can run it by hand. Needs a clang build with -Dfuzz=true.
#
#   fuzz.sh BUILD_DIR            run this rotation's targets
#   fuzz.sh BUILD_DIR NAME...    run the named targets (e.g. dataplane_fastpath)
#
#   FLATNET_FUZZ_SECONDS   wall-clock budget for the whole run (default 480)
#   FLATNET_FUZZ_JOBS      targets fuzzed at the same time (default 2)
#   FLATNET_FUZZ_EACH      seconds per target (default: SECONDS / 2 rounds)
#   FLATNET_FUZZ_ROTATION  which slice of the rotation to run (default: the
#                          CI run number if the CI system gives one, else the
#                          day number), so successive runs cover every target
#   FLATNET_FUZZ_NICE      nice level of the fuzzers (default 0; 19 on a
#                          shared machine)
#
# Each target starts from its seed corpus (read only; new inputs go to a
# scratch directory). A crash, leak, timeout or sanitizer report fails the
# run and prints the reproducer as base64, ready to be added to the corpus.
# Prints one line per target: "fuzz: <name> ok|FAILED <runs> runs, cov <n>".
# The last line is "fuzz: N passed, N failed" (test.sh adds it to its total).
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: fuzz.sh BUILD_DIR [TARGET...]}
shift
budget=${FLATNET_FUZZ_SECONDS:-480}
jobs=${FLATNET_FUZZ_JOBS:-2}
niceness=${FLATNET_FUZZ_NICE:-0}
list="$build/tests/fuzz/targets.txt"
if [ ! -f "$list" ]; then
  echo "fuzz: $list missing (not a meson build dir with tests?)" >&2
  echo "fuzz: 0 passed, 1 failed"
  exit 1
fi

# The rotation: every target once, network-facing ones (weight 2) twice,
# in the order of targets.txt with the repeats spread out.
mapfile -t rotation < <(awk 'NF { print $1 } NF && $3 == 2 { again[++n] = $1 }
                             END { for (i = 1; i <= n; ++i) print again[i] }' "$list")
corpus_of() { awk -v n="$1" '$1 == n { print $2 }' "$list"; }

if [ $# -gt 0 ]; then
  chosen=("$@")
  rounds=1
  [ ${#chosen[@]} -gt "$jobs" ] && rounds=$(( (${#chosen[@]} + jobs - 1) / jobs ))
else
  rounds=2
  per_run=$(( jobs * rounds ))
  slot=${FLATNET_FUZZ_ROTATION:-${GITHUB_RUN_NUMBER:-${CI_PIPELINE_IID:-${BUILD_NUMBER:-$(( $(date -u +%s) / 86400 ))}}}}
  chosen=()
  n=${#rotation[@]}
  start=$(( (slot * per_run) % n ))
  for ((i = 0; i < per_run && i < n; ++i)); do
    t=${rotation[$(( (start + i) % n ))]}
    # The same target twice in one run would only share the cores.
    if [[ " ${chosen[*]} " != *" $t "* ]]; then chosen+=("$t"); fi
  done
fi
each=${FLATNET_FUZZ_EACH:-$(( budget / rounds ))}
[ "$each" -lt 1 ] && each=1
echo "fuzz: ${chosen[*]} (${each} s each, ${jobs} at a time, budget ${budget} s)"

scratch=$(mktemp -d /tmp/flatnet-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
# Halt on the first report of either sanitizer; DPDK's EAL memory is not
# malloc'd, so leak checking stays on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

run_one() {  # name -> writes $scratch/<name>.log and .rc
  local name=$1 exe="$build/tests/fuzz/fuzz_$1" seeds
  seeds=$(corpus_of "$name")
  mkdir -p "$scratch/$name/new" "$scratch/$name/art"
  if [ ! -x "$exe" ] || [ -z "$seeds" ]; then
    echo "no executable $exe or no corpus (is the build -Dfuzz=true?)" >"$scratch/$name.log"
    echo 1 >"$scratch/$name.rc"
    return
  fi
  # -timeout: one input over 10 s is a hang; -rss_limit_mb: a bound on memory.
  nice -n "$niceness" "$exe" -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$scratch/$name/art/" \
    "$scratch/$name/new" "$seeds" >"$scratch/$name.log" 2>&1
  echo $? >"$scratch/$name.rc"
}

for ((i = 0; i < ${#chosen[@]}; i += jobs)); do
  pids=()
  for t in "${chosen[@]:i:jobs}"; do
    run_one "$t" &
    pids+=($!)
  done
  wait "${pids[@]}"
done

passed=0 failed=0
for t in "${chosen[@]}"; do
  rc=$(cat "$scratch/$t.rc" 2>/dev/null || echo 1)
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$t.log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$scratch/$t.log" | tail -1 | grep -o '[0-9]*')
  if [ "$rc" = 0 ]; then
    passed=$((passed + 1))
    echo "fuzz: $t ok ${runs:-?} runs, cov ${cov:-?}"
  else
    failed=$((failed + 1))
    echo "fuzz: $t FAILED (exit $rc) after ${runs:-?} runs; last lines of its log:"
    tail -n 40 "$scratch/$t.log" | sed 's/^/    /'
    for a in "$scratch/$t/art/"*; do
      [ -f "$a" ] || continue
      echo "fuzz: $t reproducer $(basename "$a") (base64; add it to $(corpus_of "$t")):"
      base64 -w0 "$a"
      echo
    done
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

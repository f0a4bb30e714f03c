#!/usr/bin/env bash
# Gateway benchmark, first form (docs/bench-gateway.md): the VL2 stages on
# one core in one process, no port -- tests/packet/bench_vl2 runs vl2_decap
# (head + fragment joined for packets over 1,432 bytes) and vl2_encap
# (fragmenting) at 64, 512, 1,390, 1,400, 1,500-byte LAN frames and IMIX,
# suites 1 and 3, 1 / 100 / 10,000 peers, each beside crypto/mb's
# dearmor_burst / armor_burst on the same packets in the same run, then
# `flatnet bench mb` (the crypto library's own figure) on the same core.
# The net_ring / testpmd io comparison of the issue is not in this script yet.
#
#   tools/bench/gateway/run.sh [-b BUILD] [-o OUTDIR] [-s SECONDS_PER_POINT] [-c CPU]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build="$repo/build"
out="/tmp/flatnet-bench/gateway-$(date -u +%Y%m%dT%H%M%S)"
secs=0.3
cpu=1
while getopts "b:o:s:c:" o; do
  case $o in
    b) build=$OPTARG ;;
    o) out=$OPTARG ;;
    s) secs=$OPTARG ;;
    c) cpu=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD] [-o OUTDIR] [-s SECONDS] [-c CPU]" >&2; exit 64 ;;
  esac
done
mkdir -p "$out"
{ date -u; uname -a; grep -m1 "model name" /proc/cpuinfo; cat /proc/loadavg; git -C "$repo" log --oneline -1; } > "$out/env.txt"
taskset -c "$cpu" "$build/tests/packet/bench_vl2" "$secs" | tee "$out/stages.txt"
if [ -x "$build/tools/cli/flatnet" ]; then
  taskset -c "$cpu" "$build/tools/cli/flatnet" bench mb 2>&1 | tee "$out/mb.txt" || true
fi
echo "results in $out"

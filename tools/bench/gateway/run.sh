#!/usr/bin/env bash
# Gateway benchmark (docs/bench-gateway.md), per worker core:
#   stages  tests/packet/bench_vl2: vl2_decap / vl2_encap alone on one core,
#           no port, burst by burst against crypto only (cycles of preempted
#           bursts left out);
#   port    tests/packet/bench_vl2_port: the data plane's poll loop with its
#           underlay and LAN ports (net_ring, one process) fed and checked by
#           flatnet-pktgen's gateway traffic (tools/pktgen/vl2_traffic), each
#           repetition interleaving the gateway, a bare io forwarder on the
#           same ports and crypto only on the same core;
#   memif   memif.sh: flatnet-pktgen --gateway <-> two net_memif links <->
#           flatnet-dataplane as a gateway, then dpdk-testpmd io on the same
#           links (processes; memif.jsonl);
#   mb      `flatnet bench mb` on the worker's core.
# decap and encap, 64/512/1390/1400/1500-byte LAN frames and IMIX, suites 1
# and 3, 1/100/10,000 peers (each smaller with -S/-P/-U). Results under
# OUTDIR: stages.txt, port.jsonl, mb.txt, env.txt; then plot.py writes
# summary.md and bench-gateway.svg.
#
#   tools/bench/gateway/run.sh [-b BUILD] [-o OUTDIR] [-s STAGE_SECONDS] [-d PORT_SECONDS] [-r REPS]
#                              [-S SIZES] [-P PEERS] [-U SUITES] [-t "stages port memif mb"]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build="$repo/build"
out="/tmp/flatnet-bench/gateway-$(date -u +%Y%m%dT%H%M%S)"
secs=0.3
dur=1
reps=3
sizes=64,512,1390,1400,1500,imix
peers=1,100,10000
suites=1,3
targets="stages port memif mb"
while getopts "b:o:s:d:r:S:P:U:t:" o; do
  case $o in
    b) build=$OPTARG ;; o) out=$OPTARG ;; s) secs=$OPTARG ;; d) dur=$OPTARG ;; r) reps=$OPTARG ;;
    S) sizes=$OPTARG ;; P) peers=$OPTARG ;; U) suites=$OPTARG ;; t) targets=$OPTARG ;;
    *) sed -n '2,19p' "$0"; exit 64 ;;
  esac
done
# Busy pollers on a machine shared with other work: the benchmark runs in a
# session of its own whose autogroup gets nice -20 (as tools/bench/relay/run.sh),
# else the compilers beside it take the pollers' time slices.
nice_level=${FLATNET_BENCH_NICE:--20}
if [[ -z "${FLATNET_BENCH_SESSION:-}" ]]; then
  FLATNET_BENCH_SESSION=1 exec setsid --wait "$0" "$@"
fi
echo "$nice_level" > /proc/self/autogroup 2>/dev/null || true
mkdir -p "$out"
{
  echo "date: $(date -u)"; uname -a; grep -m1 "model name" /proc/cpuinfo
  echo "load at start: $(cat /proc/loadavg)"
  echo "git: $(git -C "$repo" log --oneline -1)"
  echo "nice: $nice_level (autogroup: $(cat /proc/self/autogroup 2>/dev/null))"
  echo "cores: worker / crypto-only on core 0, generator (main lcore) on core 1"
} > "$out/env.txt"
for t in $targets; do
  case $t in
    stages)
      echo "== stages (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
      nice -n "$nice_level" taskset -c 0 "$build/tests/packet/bench_vl2" "$secs" "$sizes" "$peers" "$suites" |
        tee "$out/stages.txt" ;;
    port)
      echo "== port (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
      nice -n "$nice_level" "$build/tests/packet/bench_vl2_port" "$dur" "$reps" "$sizes" "$peers" "$suites" \
        decap,encap 2> "$out/port.log" | tee "$out/port.jsonl" | grep '"point"' >&2 || true ;;
    memif)
      echo "== memif (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
      "$here/memif.sh" "$build" "$out" "$dur" "$reps" "$sizes" "$peers" "$suites" || true ;;
    mb)
      echo "== flatnet bench mb (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
      # VL1 packet sizes of the LAN frames: 28 + EXT_FRAME's 23 + frame - 14.
      for s in 1 3; do
        nice -n "$nice_level" "$build/tools/bench/mb/flatnet-bench-mb" --cpu 0 --suite "$s" --reps 5 \
          --sizes 101,549,1427,1437,1537 --bursts 32 2>&1 | tee -a "$out/mb.txt" || true
      done ;;
    *) echo "unknown target $t" >&2; exit 64 ;;
  esac
done
echo "load at end: $(cat /proc/loadavg)" >> "$out/env.txt"
python3 "$here/plot.py" "$out/port.jsonl" "$out" "$out/memif.jsonl"
echo "results in $out" >&2

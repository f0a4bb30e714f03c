#!/usr/bin/env bash
# Relay benchmark (docs/bench-relay.md): flatnet-pktgen on one core sends
# 130-byte ZeroTier packets to 100,000 synthetic peers over net_memif; the
# forwarder under test runs on the other core:
#   testpmd  dpdk-testpmd --forward-mode=io (the port's limit: no work per packet)
#   relay    flatnet-dataplane relaying, tables filled by flatnet-tableload
#   ring     in one process, no memif: tests/packet/bench_fastpath's net_ring
#            modes (io forward, macswap, the data plane's relay poll loop)
#   baseline the same as relay with another build's flatnet-dataplane
#            (FLATNET_BASELINE_DATAPLANE), e.g. the tree before a change,
#            measured in the same invocation
# For each: max-rate runs (median and spread), a no-drop-rate binary search,
# and latency percentiles at fractions of the no-drop rate.
#
#   tools/bench/relay/run.sh [-b BUILD] [-o OUTDIR] [-r RUNS] [-d SECONDS] [-t "testpmd relay"]
#                            [-n NDR_SEARCHES] [-q QUIET_LOAD -w MAX_WAIT_S]
#
# Results: OUTDIR/results.jsonl (one line per pktgen run), OUTDIR/env.txt,
# logs; then plot.py makes OUTDIR/summary.md and OUTDIR/bench-relay.svg.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build="$repo/build-pktgen"
out="/tmp/flatnet-bench/results-$(date -u +%Y%m%dT%H%M%S)"
runs=5
dur=2
targets="testpmd relay"
peers=100000
size=130
seed=1
ndr_steps=8
ndr_runs=3
ndr_loss=0.01            # percent: "no drop" = offered loss below this
lat_fracs="0.1 0.5 0.9"  # of the no-drop rate
lat_runs=3
# Scheduling priority of the benchmark processes: other work on this shared
# machine (compilers) would otherwise take time slices from the busy pollers.
# With autogroup scheduling (kernel.sched_autogroup_enabled=1) a process's
# nice only counts inside its session, so the benchmark runs in a session of
# its own whose autogroup gets the nice level.
nice_level=${FLATNET_BENCH_NICE:--20}
if [[ -z "${FLATNET_BENCH_SESSION:-}" ]]; then
  FLATNET_BENCH_SESSION=1 exec setsid --wait "$0" "$@"
fi
echo "$nice_level" > /proc/self/autogroup 2>/dev/null || true
quiet_load=1.5          # -q: wait for a 1-min load below this before each target ...
quiet_wait=0            # -w: ... for at most this many seconds (0: do not wait)
while getopts "b:o:r:d:t:n:q:w:" opt; do
  case $opt in
    b) build=$OPTARG ;; o) out=$OPTARG ;; r) runs=$OPTARG ;; d) dur=$OPTARG ;;
    t) targets=$OPTARG ;; n) ndr_runs=$OPTARG ;; q) quiet_load=$OPTARG ;; w) quiet_wait=$OPTARG ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
  esac
done

# Core plan (2 cores): core 0 = the forwarder's busy lcore; core 1 = the
# generator, plus the forwarder's main lcore, which idles.
FWD_CORE=0
GEN_CORE=1
dir=/tmp/flatnet-bench
sock=$dir/memif.sock
# memif ring: 2^rsize slots per direction. Deep rings ride out the few-ms
# scheduler pauses of a shared machine; both ends use the same setup.
rsize=${FLATNET_BENCH_RSIZE:-12}
# memif packet buffer size (bytes); 2048 is the driver default. Frames here
# are 172 bytes: smaller buffers keep the rings' working set in L2.
bsize=${FLATNET_BENCH_BSIZE:-2048}
dp_mac=02:fe:00:00:00:01
gen_mac=02:fe:00:00:00:02
dp_ip=10.0.0.1
# Hugepages while enough are free (--in-memory takes them through memfd, no
# mount needed; 3 instances x 256 MiB), else plain memory (--no-huge implies
# legacy memory, which --in-memory refuses).
if (( $(awk '/HugePages_Free/ {print $2}' /proc/meminfo) >= 400 )); then
  mem="--in-memory -m 256"
else
  mem="--no-huge -m 256"
fi

pktgen="$build/tools/pktgen/flatnet-pktgen"
dataplane="${FLATNET_DATAPLANE:-$build/dataplane/runtime/flatnet-dataplane}"
baseline_dataplane="${FLATNET_BASELINE_DATAPLANE:-}"
tableload="${FLATNET_TABLELOAD:-$build/tools/tableload/flatnet-tableload}"
mkdir -p "$dir" "$out"
results="$out/results.jsonl"
fwd_pid=""

log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$out/run.log" >&2; }

stop_fwd() {
  if [[ -n "$fwd_pid" ]] && kill -0 "$fwd_pid" 2>/dev/null; then
    kill -INT "$fwd_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$fwd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$fwd_pid" 2>/dev/null || true
  fi
  fwd_pid=""
}
cleanup() { stop_fwd; }
trap cleanup EXIT

{
  echo "date: $(date -u)"
  echo "host: $(uname -r), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "hugepages: $(grep HugePages_Total /proc/meminfo | awk '{print $2}') x 2 MiB; eal memory: $mem"
  echo "dpdk: $(pkg-config --modversion libdpdk 2>/dev/null)"
  echo "git: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null)"
  [[ -n "$baseline_dataplane" ]] && echo "baseline dataplane: $baseline_dataplane (git $(git -C "$(dirname "$baseline_dataplane")" rev-parse --short HEAD 2>/dev/null))"
  echo "nice: $nice_level (forwarder and generator; autogroup: $(cat /proc/self/autogroup 2>/dev/null))"
  echo "memif: ring 2^$rsize slots, buffers of $bsize bytes"
  echo "cores: forwarder busy lcore on core $FWD_CORE; pktgen on core $GEN_CORE"
  echo "traffic: $size-byte ZeroTier packets (UDP payload), $peers peers, uniform destinations"
} > "$out/env.txt"

# testpmd: forwarding lcore 1 on core 0, main lcore 0 on core 1 (it only
# prints stats once a second; --stats-period also keeps it off stdin).
start_testpmd() {
  rm -f "$sock"
  nice -n "$nice_level" dpdk-testpmd --lcores "0@$GEN_CORE,1@$FWD_CORE" --no-pci --file-prefix fnb-testpmd $mem \
    --vdev="net_memif0,role=server,socket=$sock,mac=$dp_mac,rsize=$rsize,bsize=$bsize" -- \
    --forward-mode=io --port-topology=loop --auto-start --nb-cores=1 --rxq=1 --txq=1 \
    --rxd=1024 --txd=1024 --total-num-mbufs=32768 --stats-period=1 < /dev/null > "$out/testpmd.log" 2>&1 &
  fwd_pid=$!
  sleep 2
}

# flatnet-dataplane: one worker on core 0 (busy polling), main lcore on
# core 1 (idle back-off), relay on, next hop = the generator (static
# neighbour), then 100,000 peers loaded by flatnet-tableload.
start_relay() {
  rm -f "$sock"
  [[ -x "$dataplane" && -x "$tableload" ]] || { log "relay: $dataplane or $tableload missing"; return 1; }
  # shellcheck disable=SC2086
  nice -n "$nice_level" "$dataplane" --instance fnb-dataplane --port "net_memif0,role=server,socket=$sock,mac=$dp_mac,rsize=$rsize,bsize=$bsize" \
    --ipv4 "$dp_ip/24" --gateway4 10.0.0.2 --neighbor "10.0.0.2=$gen_mac" --relay on \
    --workers 1 --busy-poll --memory-mb 256 --table-capacity 262144 -- \
    --lcores "0@$GEN_CORE,1@$FWD_CORE" --no-pci --file-prefix fnb-dataplane ${mem% -m 256} \
    > "$out/dataplane.log" 2>&1 &
  fwd_pid=$!
  for _ in $(seq 100); do [[ -e /dev/shm/flatnet-fnb-dataplane.ipc ]] && break; sleep 0.1; done
  sleep 1
  kill -0 "$fwd_pid" || { log "relay: data plane exited, see $out/dataplane.log"; return 1; }
  "$tableload" --instance fnb-dataplane --timeout 60 load --count "$peers" --seed "$seed" \
    > "$out/tableload.log" 2>&1 || { log "relay: tableload failed, see $out/tableload.log"; return 1; }
  log "relay: $(tail -1 "$out/tableload.log")"
}

dp_counters() {
  # The data plane's counters as one line of JSON via DPDK telemetry; "{}"
  # when unavailable (never fails).
  local raw
  raw=$(echo "/flatnet/stats" | timeout 20 dpdk-telemetry.py -f fnb-dataplane 2>/dev/null || true)
  python3 -c 'import json,sys
t = sys.argv[1]; i = t.find("{")
try: print(json.dumps(json.loads(t[i:t.rfind("}") + 1])) if i >= 0 else "{}")
except ValueError: print("{}")' "$raw" 2>/dev/null || echo "{}"
}

# bench_target TARGET: ONE generator process runs every measurement (the
# memif link connects once): max-rate runs, no-drop-rate searches, latency
# runs. Each JSON line it prints gets the target. For the relay, the data
# plane's counters are read before and after (a "dp-total" line): sampling
# them per line fell behind on a busy machine (telemetry answers slowly when
# both cores poll), so plot.py derives events/s from events per relayed packet.
bench_target() {
  local t=$1 before after
  # -n 0: max-rate runs only (no no-drop-rate search, no latency runs).
  local ndr_args=(--ndr --ndr-runs "$ndr_runs" --ndr-steps "$ndr_steps" --ndr-loss "$ndr_loss"
                  --lat-fracs "${lat_fracs// /,}" --lat-runs "$lat_runs")
  (( ndr_runs > 0 )) || ndr_args=()
  log "== $t: $runs max-rate runs of ${dur}s, $ndr_runs no-drop searches, latency at $lat_fracs (load $(cut -d' ' -f1-3 /proc/loadavg))"
  [[ $t != testpmd ]] && before=$(dp_counters)
  nice -n "$nice_level" "$pktgen" --dst-mac "$dp_mac" --dst-ip "$dp_ip" --peers "$peers" --seed "$seed" \
      --size "$size" --duration "$dur" --warmup 0.5 --drain 0.2 \
      --repeat "$runs" "${ndr_args[@]}" -- \
      --lcores "0@$GEN_CORE" --no-pci --file-prefix fnb-pktgen $mem \
      --vdev="net_memif0,role=client,socket=$sock,mac=$gen_mac,rsize=$rsize,bsize=$bsize" 2>>"$out/pktgen.log" |
  while IFS= read -r line; do
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.update(target=sys.argv[2]); print(json.dumps(r))' \
      "$line" "$t" >> "$results" || { log "$t: could not record: $line"; continue; }
    tail -1 "$results" | python3 -c 'import json,sys; r=json.load(sys.stdin)
if r["kind"] == "ndr": print("%s no-drop rate %.3f Mpps" % (r["target"], r["ndr_mpps"]))
else: print("%s %s %s @%.2f: tx %.2f rx %.2f Mpps, loss %.4f%%, p50 %d p99 %d ns, load %.2f" % (r["target"], r["kind"], r["run"], r["rate_set"], r["tx_mpps"], r["rx_mpps"], r["offered_loss_pct"], r["latency_ns"]["p50"], r["latency_ns"]["p99"], r["load1"]))' |
      tee -a "$out/run.log" >&2 || true
  done
  if [[ $t != testpmd ]]; then
    after=$(dp_counters)
    python3 -c 'import json,sys; print(json.dumps({"target": sys.argv[3], "kind": "dp-total", "before": json.loads(sys.argv[1]), "after": json.loads(sys.argv[2])}))' \
      "$before" "$after" "$t" >> "$results"
  fi
  # A forwarder that died under traffic (see docs/bench-relay.md) is reported.
  if [[ -n "$fwd_pid" ]] && ! kill -0 "$fwd_pid" 2>/dev/null; then
    log "$t: the forwarder exited during the run (see $out/$t.log / dataplane.log)"
    echo "{\"target\":\"$t\",\"kind\":\"forwarder-exit\"}" >> "$results"
  fi
}

wait_quiet() {
  local waited=0
  while (( waited < quiet_wait )) &&
        python3 -c "import sys; sys.exit(0 if float(open('/proc/loadavg').read().split()[0]) >= $quiet_load else 1)"; do
    sleep 10; waited=$((waited + 10))
  done
  (( quiet_wait == 0 )) || log "waited ${waited}s for load < $quiet_load: load now $(cut -d' ' -f1-3 /proc/loadavg)"
}

for t in $targets; do
  wait_quiet
  case $t in
    testpmd) start_testpmd; bench_target testpmd; stop_fwd ;;
    relay)
      if start_relay; then bench_target relay; else log "relay: not run"; fi
      stop_fwd ;;
    ring)
      # In one process: bench_fastpath's net_ring modes (the data plane's
      # own poll loop, or a bare forwarder, against a closed-loop generator).
      bench=$build/tests/packet/bench_fastpath
      [[ -x $bench ]] || { log "ring: $bench missing (meson -Dtests=true)"; exit 2; }
      for fwd in 2 3 1; do
        log "== ring: forwarder $fwd, $runs runs of ${dur}s (load $(cut -d' ' -f1-3 /proc/loadavg))"
        nice -n "$nice_level" "$bench" "$peers" "$runs" 1024 0 1 0 1 "$fwd" "$dur" 2>>"$out/ring.log" |
        while IFS= read -r line; do
          python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r["target"] = "ring-" + r["target"]
r["load1"] = float(open("/proc/loadavg").read().split()[0]); print(json.dumps(r))' "$line" >> "$results"
          tail -1 "$results" | python3 -c 'import json,sys; r=json.load(sys.stdin)
if r["kind"] == "ring-run": print("%s run %d: %.2f Mpps, bad %d" % (r["target"], r["run"], r["mpps"], r["bad"]))' |
            tee -a "$out/run.log" >&2 || true
        done
      done ;;
    baseline)
      [[ -x "$baseline_dataplane" ]] || { log "baseline: set FLATNET_BASELINE_DATAPLANE"; exit 2; }
      saved=$dataplane; dataplane=$baseline_dataplane
      if start_relay; then bench_target baseline; else log "baseline: not run"; fi
      dataplane=$saved; stop_fwd ;;
    *) log "unknown target $t"; exit 2 ;;
  esac
done
python3 "$here/plot.py" "$results" "$out"
log "done: $out"

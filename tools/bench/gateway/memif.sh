#!/usr/bin/env bash
# Gateway benchmark between processes (docs/bench-gateway.md): flatnet-pktgen
# --gateway (core 1) <-> two net_memif links (underlay, LAN) <-> either
# flatnet-dataplane as a gateway (one worker on core 0; peers' paths by
# `flatnet-tableload load`, network, members and keys by `flatnet-tableload
# vl2`) or dpdk-testpmd io between the same two memif ports (paired: what
# comes in on one goes out of the other; the port's and generator's limit).
# Per suite and peer count: the gateway's runs, then testpmd's, over the same
# points, each from one generator process (a memif peer that reconnects for
# every point crashed flatnet-dataplane's memif server in a first try).
# Called by run.sh (target memif) inside its nice -20 session; or alone:
#
#   tools/bench/gateway/memif.sh BUILD OUTDIR SECONDS REPS SIZES PEERS SUITES
set -euo pipefail
build=$1 out=$2 dur=$3 reps=$4 sizes=$5 peers=$6 suites=$7
dir=/tmp/flatnet-bench
sock_u=$dir/fgb-memif-u.sock
sock_l=$dir/fgb-memif-l.sock
dp_mac=02:fe:00:00:00:01      # the gateway's underlay port (and testpmd's port 0)
dp_lan_mac=02:fe:00:00:00:11  # the gateway's LAN port
gen_mac=02:fe:00:00:00:02     # pktgen's underlay port: the gateway's next hop
gen_lan_mac=02:fe:00:00:00:12
nwid=8056c2e21c000001
self=1111111111
mem="--no-huge -m 512"
pktgen=$build/tools/pktgen/flatnet-pktgen
dataplane=$build/dataplane/runtime/flatnet-dataplane
tableload=$build/tools/tableload/flatnet-tableload
mkdir -p "$dir" "$out"
fwd_pid=""
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$out/memif.log" >&2; }
stop_fwd() {
  if [[ -n "$fwd_pid" ]] && kill -0 "$fwd_pid" 2>/dev/null; then
    kill -INT "$fwd_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$fwd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$fwd_pid" 2>/dev/null || true
  fi
  fwd_pid=""
}
trap stop_fwd EXIT

start_gateway() {  # start_gateway SUITE PEERS
  rm -f "$sock_u" "$sock_l"
  cat > "$out/dp.json" <<JSON
{"instance": "fgb-gw", "ports": [
   {"devargs": "net_memif0,role=server,socket=$sock_u,mac=$dp_mac"},
   {"devargs": "net_memif1,role=server,socket=$sock_l,mac=$dp_lan_mac", "role": "lan", "network": "$nwid"}],
 "ipv4": "10.0.0.1/24", "gateway4": "10.0.0.254", "neighbors": [{"ip": "10.0.0.254", "mac": "$gen_mac"}],
 "address": "$self", "relay": false, "workers": 1, "busy_poll": true, "memory_mb": 512,
 "table_capacity": 65536}
JSON
  "$dataplane" -c "$out/dp.json" -- --lcores 0@1,1@0 --no-pci --file-prefix fgb-gw --no-huge \
    --log-level='*:warning' > "$out/dataplane.log" 2>&1 &
  fwd_pid=$!
  for _ in $(seq 100); do [[ -e /dev/shm/flatnet-fgb-gw.ipc ]] && break; sleep 0.1; done
  sleep 1
  kill -0 "$fwd_pid" || { log "gateway: exited, see $out/dataplane.log"; return 1; }
  "$tableload" -i fgb-gw --timeout 60 load --count "$2" --seed 1 --port-id 0 >> "$out/tableload.log" 2>&1 &&
  "$tableload" -i fgb-gw --timeout 60 vl2 --network "$nwid" --count "$2" --seed 1 --suite "$1" \
    >> "$out/tableload.log" 2>&1 || { log "gateway: tableload failed, see $out/tableload.log"; return 1; }
}
start_testpmd() {
  rm -f "$sock_u" "$sock_l"
  dpdk-testpmd --lcores 0@1,1@0 --no-pci --file-prefix fgb-testpmd $mem \
    --vdev="net_memif0,role=server,socket=$sock_u,mac=$dp_mac" \
    --vdev="net_memif1,role=server,socket=$sock_l,mac=$dp_lan_mac" -- \
    --forward-mode=io --port-topology=paired --auto-start --nb-cores=1 --rxq=1 --txq=1 \
    --total-num-mbufs=32768 --stats-period=1 < /dev/null > "$out/testpmd.log" 2>&1 &
  fwd_pid=$!
  sleep 2
}
run_points() {  # run_points TARGET SUITE PEERS [--io]: one generator process, one memif connection
  local t=$1 s=$2 p=$3
  shift 3
  log "$t suite $s peers $p sizes $sizes (load $(cut -d' ' -f1-3 /proc/loadavg))"
  "$pktgen" --gateway both --frame-size "${sizes//imix/0}" --suite "$s" --peers "$p" --seed 1 --nwid "$nwid" \
    --gw-address "$self" --dst-mac "$dp_mac" --dst-ip 10.0.0.1 --port 0 --lan-port 1 \
    --duration "$dur" --repeat "$reps" --label "$t" "$@" -- \
    --lcores 0@1 --no-pci --file-prefix fgb-pktgen $mem \
    --vdev="net_memif0,role=client,socket=$sock_u,mac=$gen_mac" \
    --vdev="net_memif1,role=client,socket=$sock_l,mac=$gen_lan_mac" \
    2>> "$out/pktgen.log" | tee -a "$out/memif.jsonl" >&2 || log "$t: pktgen failed (see pktgen.log)"
  if [[ -n "$fwd_pid" ]] && ! kill -0 "$fwd_pid" 2>/dev/null; then log "$t: the forwarder exited during the run"; fi
  return 0
}
for s in ${suites//,/ }; do
  for p in ${peers//,/ }; do
    if start_gateway "$s" "$p"; then run_points gw "$s" "$p"; fi
    stop_fwd
    start_testpmd
    run_points io "$s" "$p" --io
    stop_fwd
  done
done

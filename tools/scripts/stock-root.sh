#!/bin/sh
# A flatnet root for ../shared/tools/stock-testnet.sh (ROOT=custom ROOT_CMD=...):
# flatnet-dataplane on $ROOT_IFACE (net_af_packet, owns $ROOT_IP) + flatnetd --dataplane.
# Both stay in this process group; on TERM/INT both are stopped (TERM, then KILL after 3 s).
# Stock zerotier-one itself is never part of this tree: build it elsewhere and point
# STOCK_ZT_BIN at it (docs/stock-interop.md).
#   ROOT=custom ROOT_CMD="exec $PWD/tools/scripts/stock-root.sh" STOCK_ZT_BIN=... \
#     ../shared/tools/stock-testnet.sh up
B=${FLATNET_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
INST=${FLATNET_INSTANCE:-stockroot}
LOGDIR=${RUN:-/tmp}/logs
DPLOG=$LOGDIR/dataplane.log
CTLLOG=$LOGDIR/flatnetd.log
dp=""; ctl=""
stop() {
  trap - TERM INT
  for p in $ctl $dp; do kill -TERM "$p" 2>/dev/null; done
  i=0
  while [ $i -lt 30 ]; do
    alive=""
    for p in $ctl $dp; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.1; i=$((i+1))
  done
  for p in $ctl $dp; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  echo "stock-root: stopped"
  exit 0
}
trap stop TERM INT
"$B/dataplane/runtime/flatnet-dataplane" --instance "$INST" --port "net_af_packet0,iface=${ROOT_IFACE:-eth0}" \
  --ipv4 "${ROOT_IP:-10.99.0.1}/${ROOT_PREFIX:-24}" --address "${ROOT_ZTADDR:-359e3db032}" \
  --workers 0 --relay on --memory-mb 256 ${FLATNET_DP_EXTRA:-} -- --log-level='*:warning' >"$DPLOG" 2>&1 &
dp=$!; echo "stock-root: data plane started at $(date +%s.%N)"
i=0
while [ $i -lt 300 ]; do
  grep -q "flatnet-dataplane: ready" "$DPLOG" && break
  kill -0 "$dp" 2>/dev/null || { echo "stock-root: data plane exited"; cat "$DPLOG"; exit 1; }
  sleep 0.1; i=$((i+1))
done
grep -q "flatnet-dataplane: ready" "$DPLOG" || { echo "stock-root: data plane not ready"; cat "$DPLOG"; stop; }
echo "stock-root: data plane ready (pid $dp) at $(date +%s.%N)"; tail -n 3 "$DPLOG"
"$B/control/flatnetd" -H "$ROOT_HOME" --dataplane "$INST" ${FLATNET_CTL_EXTRA:-} </dev/null >"$CTLLOG" 2>&1 &
ctl=$!
echo "stock-root: flatnetd pid $ctl"
# exit (after stopping the other) as soon as either dies
while kill -0 "$dp" 2>/dev/null && kill -0 "$ctl" 2>/dev/null; do sleep 0.5 & wait $!; done
echo "stock-root: a child exited (dp alive: $(kill -0 $dp 2>/dev/null && echo yes || echo no), flatnetd alive: $(kill -0 $ctl 2>/dev/null && echo yes || echo no))"
tail -n 20 "$CTLLOG"
stop

#!/usr/bin/env bash
# Outside CI (issue 12, "End to end"): a LAN host's traffic through a flatnet
# gateway beside the same through a STOCK ZeroTier 1.14.1 bridge, in one run,
# on one stock network (stock root, stock controller) from
# ../shared/tools/stock-testnet.sh:
#
#   flatnet path: HF 10.99.100.60 ─ veth ─ G: flatnet-dataplane (lan gl0, underlay gu0
#                 10.99.0.14, af_xdp or af_packet) + flatnetd --dataplane ─ underlay ─ C: flatnetd
#                 --udp 10.99.0.15, a flatnet member (tap, 10.99.100.15)
#   stock path:   HS 10.99.100.70 ─ veth ─ Linux bridge fne-br in ztB ─ stock B's tap
#                 (zerotier-one, activeBridge, allowManaged=0) ─ underlay ─ stock A
#                 (zerotier-one, the controller; tap 10.99.100.11)
#   interop:      HF ─ G ─ stock A and stock B's LAN: the flatnet gateway in a stock
#                 controller's network with stock members (ping, iperf3 both ways)
#
#   bash tools/bench/gateway/e2e.sh <stock-bin-dir> [seconds per run (4)] [reps (3)]
#   (docs/bench-gateway.md: 5 s, 3 reps; about 4 minutes)
#
# Per run (iperf3 from the LAN host to the far member, 1 and 8 streams, the
# two paths interleaved, `reps` times): Gbit/s received, and each process's
# CPU seconds (utime+stime from /proc/<pid>/stat) over the run: G's data
# plane, G's flatnetd, C's flatnetd; stock B, stock A. Then a short perf
# profile of G's data plane and flatnetd under 8 streams (when perf works).
# G's data plane polls with its idle back-off (GW_BUSY_POLL=true: busy
# polling), its lcore free to run on any CPU (GW_LCORES to pin it); the other
# processes are unpinned too. Its ports are net_af_xdp (GW_PMD=af_xdp, the
# default: native XDP on the veths, copy mode, rx_desc GW_RX_DESC=4096) or
# net_af_packet (GW_PMD=af_packet; GW_UL_PMD / GW_LAN_PMD choose per port);
# af_packet ports get AFP_ARGS (default ",framecnt=4096": DPDK's default ring
# of 512 frames overflows while the lcore sleeps or is descheduled on a loaded
# machine, and TCP through the gateway then retransmits; AFP_ARGS= gives the
# default ring), af_xdp ports XDP_ARGS (default none); docs/bench-gateway.md
# "End to end". PATHS=flatnet runs the flatnet path alone (no stock bridge
# runs, no interop: quick iterations); HOLD=<s> keeps everything up at the
# end. The stock testnet's namespaces have fixed names (zt*): the script
# refuses to start while one is up.
# The stock binaries are built outside the tree (never committed); this
# script only runs them. Results: stdout and $OUT (default
# /tmp/fgs-e2e-results.txt). Everything it made is removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")/../../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 1; }
[ $# -ge 1 ] || { echo "usage: $0 <stock-bin-dir> [seconds] [reps]"; exit 2; }
stock=$(cd "$1" && pwd)
T=${2:-4}
REPS=${3:-3}
[ -x "$stock/zerotier-one" ] || { echo "no zerotier-one in $stock"; exit 2; }
testnet="$here/../shared/tools/stock-testnet.sh"
VECTORS=${VECTORS:-$here/../shared/vectors/zerotier-1.14.1}
OUT=${OUT:-/tmp/fgs-e2e-results.txt}
AFP_ARGS=${AFP_ARGS-,framecnt=4096}
XDP_ARGS=${XDP_ARGS-}
GW_PMD=${GW_PMD:-af_xdp}
# The xsk rx ring is the port's rx_desc (DPDK's af_xdp PMD): 4096 keeps TCP
# free of retransmits while the lcore sleeps or is descheduled, as framecnt
# does for af_packet.
[ "$GW_PMD" = af_xdp ] && GW_RX_DESC=${GW_RX_DESC-4096}
PATHS=${PATHS:-both}
case "$PATHS" in both | flatnet) ;; *) echo "PATHS is both or flatnet"; exit 2 ;; esac
port_devargs() { # port_devargs <pmd> <index> <iface>
  case "$1" in
    af_packet) echo "net_af_packet$2,iface=$3${AFP_ARGS}" ;;
    af_xdp) echo "net_af_xdp$2,iface=$3${XDP_ARGS}" ;;
    *) echo "GW_PMD is af_packet or af_xdp" >&2; exit 2 ;;
  esac
}
UL_DEVARGS=$(port_devargs "${GW_UL_PMD:-$GW_PMD}" 0 gu0)
LAN_DEVARGS=$(port_devargs "${GW_LAN_PMD:-$GW_PMD}" 1 gl0)
if ip netns list | grep -qE '^(ztbr|ztA|ztB|ztroot)( |$)'; then
  echo "a stock testnet is already up (namespaces zt*): not starting a second one"; exit 1
fi
build=${FLATNET_BUILD_DIR:-build}
ninja -C "$here/$build" control/flatnetd tools/ctl/flatnet-cli tools/idtool/flatnet-idtool \
  dataplane/runtime/flatnet-dataplane >/dev/null
bin="$here/$build"
export RUN=/tmp/fgs-stock-testnet STOCK_ZT_BIN="$stock"
G=fne-g C=fne-c HF=fne-hf HS=fne-hs
work=$(mktemp -d /tmp/fgs-e2e.XXXXXX)
pids=() gdp=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "$gdp" ] && kill "$gdp" 2>/dev/null && wait "$gdp" 2>/dev/null || true
  for ns in "$G" "$C" "$HF" "$HS"; do ip netns del "$ns" 2>/dev/null || true; done
  ip -n ztbr link del fne-gu 2>/dev/null || true
  ip -n ztbr link del fne-cu 2>/dev/null || true
  bash "$testnet" down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
log() { printf '%s\n' "$*" | tee -a "$OUT"; }
: >"$OUT"
log "# e2e $(date -u +%FT%TZ) paths=$PATHS lcores=${GW_LCORES:-floating} busy_poll=${GW_BUSY_POLL:-false} ports $UL_DEVARGS $LAN_DEVARGS rx_desc=${GW_RX_DESC:-default} $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

step "stock testnet up (stock root, stock controller + member A, stock member B)"
bash "$testnet" up 2>&1 | tail -n 2 | sed 's/^/  /'
NWID=$(cat "$RUN/nwid")
tok=$(cat "$RUN/a/authtoken.secret")
api() { ip netns exec ztA curl -sS --max-time 5 -X POST -H "X-ZT1-Auth: $tok" -d "$2" \
  "http://127.0.0.1:9993/controller/network/$NWID/member/$1"; }
zcli() { local n=$1; shift; ip netns exec "zt${n^^}" "$stock/zerotier-cli" -D"$RUN/$n" -p9993 "$@"; }

step "stock bridge: B an active bridge, allowManaged=0, its tap in Linux bridge fne-br with LAN host HS"
api "$(cut -d: -f1 "$RUN/b/identity.public")" '{"authorized": true, "activeBridge": true}' | jq -c '{id, activeBridge}' | sed 's/^/  /'
zcli b set "$NWID" allowManaged=0 >/dev/null
tap=$(ip -n ztB -o link show | sed -n 's/^[0-9]*: \(zt[a-z0-9]*\):.*/\1/p' | head -n 1)
[ -n "$tap" ] || { echo "B has no zt tap"; exit 1; }
ip netns add "$HS"
ip -n "$HS" link set lo up
ip -n ztB link add fne-br type bridge
ip -n ztB link add fne-hsp type veth peer name eth0 netns "$HS"
ip -n ztB link set fne-hsp master fne-br up
ip -n ztB link set "$tap" master fne-br up
ip -n ztB link set fne-br up
ip -n "$HS" addr add 10.99.100.70/24 dev eth0 && ip -n "$HS" link set eth0 up
ip netns exec "$HS" ethtool -K eth0 tx off >/dev/null 2>&1 || true
echo "  B's $tap and HS's veth in fne-br; HS 10.99.100.70"

newnode() { # newnode <dir>: fresh identity + the testnet's planet; prints the address
  mkdir -p "$work/$1"
  "$bin/tools/idtool/flatnet-idtool" generate "$work/$1/identity.secret" "$work/$1/identity.public" >/dev/null
  cp "$VECTORS/world/planet.bin" "$work/$1/planet"
  cut -d: -f1 "$work/$1/identity.public"
}
fcli() { local ns=$1 home=$2; shift 2; ip netns exec "$ns" "$bin/tools/ctl/flatnet-cli" "-D$home" "$@"; }

step "flatnet gateway G (ns $G, 10.99.0.14) with LAN host HF (ns $HF, 10.99.100.60)"
GADDR=$(newnode g)
api "$GADDR" '{"authorized": true, "activeBridge": true}' | jq -c '{id, activeBridge}' | sed 's/^/  /'
for ns in "$G" "$HF"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n ztbr link add fne-gu type veth peer name gu0 netns "$G"
ip -n ztbr link set fne-gu master br0 up
ip -n "$G" link add gl0 type veth peer name eth0 netns "$HF"
for d in gu0 gl0; do
  ip netns exec "$G" sysctl -qw "net.ipv6.conf.$d.disable_ipv6=1" || true
  ip -n "$G" link set "$d" arp off up
done
ip -n "$HF" addr add 10.99.100.60/24 dev eth0 && ip -n "$HF" link set eth0 up
ip netns exec "$HF" ethtool -K eth0 tx off >/dev/null 2>&1 || true
# Unpinned by default, like the stock processes it is compared with: on a
# shared machine a pinned poller waits whole scheduler slices behind another
# program's busy poller on the same CPU (GW_LCORES=0@1 pins it).
lcores=${GW_LCORES:-0@(0-$(( $(nproc) - 1 )))}
rx_desc_json=""
[ -n "${GW_RX_DESC:-}" ] && rx_desc_json=" \"rx_desc\": $GW_RX_DESC,"
cat >"$work/g.json" <<JSON
{"instance": "fgse2e", "address": "$GADDR",
 "ports": [{"devargs": "$UL_DEVARGS"},
           {"devargs": "$LAN_DEVARGS", "role": "lan", "network": "$NWID"}],
 "ipv4": "10.99.0.14/24", "relay": false, "workers": 0, "memory_mb": 256, "table_capacity": 1024,
 "busy_poll": ${GW_BUSY_POLL:-false},$rx_desc_json "eal": ["--lcores=$lcores", "--file-prefix=fgse2e"]}
JSON
ip netns exec "$G" "$bin/dataplane/runtime/flatnet-dataplane" -c "$work/g.json" -- --log-level='*:warning' \
  >"$work/g-dp.log" 2>&1 &
gdp=$!
for _ in $(seq 1 300); do grep -q "flatnet-dataplane: ready" "$work/g-dp.log" && break; sleep 0.1; done
grep -q "flatnet-dataplane: ready" "$work/g-dp.log" || { cat "$work/g-dp.log"; exit 1; }
ip netns exec "$G" "$bin/control/flatnetd" -H "$work/g" --dataplane fgse2e </dev/null >"$work/g.log" 2>&1 &
gctl=$!
pids+=($gctl)
echo "  G = $GADDR, data plane lcore $lcores"

step "flatnet member C (ns $C, 10.99.0.15, tap 10.99.100.15)"
CADDR=$(newnode c)
api "$CADDR" '{"authorized": true, "ipAssignments": ["10.99.100.15"]}' | jq -c '{id, ipAssignments}' | sed 's/^/  /'
ip netns add "$C"
ip -n "$C" link set lo up
ip -n ztbr link add fne-cu type veth peer name eth0 netns "$C"
ip -n ztbr link set fne-cu master br0 up
ip -n "$C" addr add 10.99.0.15/24 dev eth0 && ip -n "$C" link set eth0 up
ip netns exec "$C" ethtool -K eth0 tx off >/dev/null 2>&1 || true
ip netns exec "$C" "$bin/control/flatnetd" -H "$work/c" --udp 10.99.0.15:9993 </dev/null >"$work/c.log" 2>&1 &
cpid=$!
pids+=($cpid)
for _ in $(seq 1 100); do fcli "$C" "$work/c" info >/dev/null 2>&1 && break; sleep 0.2; done
fcli "$C" "$work/c" join "$NWID" | sed 's/^/  /'
ok=""
for _ in $(seq 1 150); do
  [ "$(fcli "$C" "$work/c" get "$NWID" status 2>/dev/null)" = OK ] &&
    [ "$(fcli "$G" "$work/g" get "$NWID" status 2>/dev/null)" = OK ] &&
    ip -n "$C" -o addr show | grep -q "10.99.100.15/" && { ok=1; break; }
  sleep 0.2
done
[ -n "$ok" ] || { echo "C or G not OK"; tail -n 20 "$work/c.log" "$work/g.log"; exit 1; }
fcli "$G" "$work/g" listnetworks | sed 's/^/  G: /'
fcli "$C" "$work/c" listnetworks | sed 's/^/  C: /'

reach() { # reach <ns> <ip>: up to 90 s until one ping answers; prints the seconds it took
  local t0=$SECONDS
  while [ $((SECONDS - t0)) -lt 90 ]; do
    ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && { echo $((SECONDS - t0)); return 0; }
    sleep 0.5
  done
  return 1
}
fail=0
step "interop: the flatnet gateway's LAN host HF <-> stock members (ping; ARP crosses G)"
# The first answer can take a while: a stock member LIKEs its groups to an
# active bridge at its next announcement (60 s) or once the bridge's frames
# pass its gate, and the gateway does not gather for LAN groups yet.
dsts="10.99.100.15"
[ "$PATHS" = both ] && dsts="10.99.100.11 10.99.100.70 10.99.100.15"
for dst in $dsts; do
  if took=$(reach "$HF" "$dst"); then
    log "  HF -> $dst: first answer after ${took} s; then $(ip netns exec "$HF" ping -c 5 -i 0.2 -W 2 "$dst" | tail -n 2 | tr '\n' ' ')"
  else
    log "  HF -> $dst: no answer within 90 s"; fail=1
  fi
done
if [ "$PATHS" = both ]; then
ip -n ztA neigh flush dev "$(ip -n ztA -o link show | sed -n 's/^[0-9]*: \(zt[a-z0-9]*\):.*/\1/p' | head -n 1)" 2>/dev/null || true
took=$(reach ztA 10.99.100.60) || took="(none within 90 s)"
log "  stock A -> HF: first answer after ${took} s; then $(ip netns exec ztA ping -c 5 -i 0.2 -W 2 10.99.100.60 | tail -n 2 | tr '\n' ' ' || true)"
log "  HF's neighbours: $(ip -n "$HF" neigh show | tr '\n' ';' | tr -s ' ')"
reach "$HS" 10.99.100.11 >/dev/null || { log "  HS cannot reach stock A through stock B's bridge"; fail=1; }
fi

# ---- iperf3 runs with each process's CPU ----
ticks=$(getconf CLK_TCK)
cpu_of() { # utime+stime of pid, in ticks (fields 14+15 of /proc/pid/stat)
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
zpid() { read -r p _ <"$RUN/pids/zt-$1.pid"; echo "$p"; }
APID=$(zpid a) BPID=$(zpid b)
declare -A PROC=([g_dataplane]=$gdp [g_flatnetd]=$gctl [c_flatnetd]=$cpid [stock_b]=$BPID [stock_a]=$APID)
run_iperf() { # run_iperf <label> <client ns> <server ns> <server ip> <streams> [-R]
  local label=$1 cns=$2 sns=$3 ip=$4 p=$5 rev=${6:-}
  ip netns exec "$sns" iperf3 -s -1 -B "$ip" >/dev/null 2>&1 &
  local srv=$!
  sleep 0.3
  local -A before
  for k in "${!PROC[@]}"; do before[$k]=$(cpu_of "${PROC[$k]}"); done
  local t0 t1 j
  t0=$(date +%s.%N)
  j=$(ip netns exec "$cns" timeout $((T + 15)) iperf3 -c "$ip" -t "$T" -P "$p" $rev -J 2>/dev/null || true)
  t1=$(date +%s.%N)
  kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true
  local gbps retr cpus=""
  gbps=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e9 | . * 1000 | round / 1000' <<<"$j" 2>/dev/null || echo 0)
  retr=$(jq -r '.end.sum_sent.retransmits // "-"' <<<"$j" 2>/dev/null || echo -)
  for k in g_dataplane g_flatnetd c_flatnetd stock_b stock_a; do
    cpus+=$(printf ' %s=%.2f' "$k" "$(echo "($(cpu_of "${PROC[$k]}") - ${before[$k]}) / $ticks" | bc -l)")
  done
  log "$(printf '%-34s P=%d %6s Gbit/s retr %-5s wall %.1fs cpu_s:%s' "$label" "$p" "$gbps" "$retr" \
    "$(echo "$t1 - $t0" | bc -l)" "$cpus")"
}
step "iperf3 ${T} s per run, 1 and 8 streams, flatnet and stock paths interleaved, $REPS reps"
log "## runs (LAN host -> far member; cpu_s = CPU seconds of each process during the run)"
for r in $(seq 1 "$REPS"); do
  for p in 1 8; do
    run_iperf "r$r flatnet HF>G>C" "$HF" "$C" 10.99.100.15 "$p"
    [ "$PATHS" = both ] && run_iperf "r$r stock HS>B>A" "$HS" ztA 10.99.100.11 "$p"
  done
done
log "## reverse (far member -> LAN host), 1 and 8 streams, and interop (one run each)"
for p in 1 8; do
  run_iperf "flatnet C>G>HF (-R)" "$HF" "$C" 10.99.100.15 "$p" -R
  [ "$PATHS" = both ] && run_iperf "stock A>B>HS (-R)" "$HS" ztA 10.99.100.11 "$p" -R
done
if [ "$PATHS" = both ]; then
  run_iperf "interop HF>G>stock A" "$HF" ztA 10.99.100.11 1
  run_iperf "interop stock A>G>HF (-R)" "$HF" ztA 10.99.100.11 1 -R
fi

step "where the time goes: perf of G's data plane and flatnetd under 8 streams HF>G>C"
if command -v perf >/dev/null; then
  ip netns exec "$C" iperf3 -s -1 -B 10.99.100.15 >/dev/null 2>&1 &
  srv=$!
  sleep 0.3
  ip netns exec "$HF" timeout 30 iperf3 -c 10.99.100.15 -t 6 -P 8 >/dev/null 2>&1 &
  cl=$!
  sleep 1
  perf record -q -o "$work/c.perf" -p "$cpid" -- sleep 3 >/dev/null 2>&1 &
  cperf=$!
  perf record -q -o "$work/dp.perf" -p "$gdp" -- sleep 3 >/dev/null 2>&1 || true
  wait "$cperf" 2>/dev/null || true
  perf record -q -o "$work/ctl.perf" -p "$gctl" -- sleep 1 >/dev/null 2>&1 || true
  wait "$cl" 2>/dev/null || true
  kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true
  for f in dp c ctl; do
    case $f in
      dp) what="G's data plane (lcore $lcores)" ;;
      c) what="C's flatnetd (the far member)" ;;
      *) what="G's flatnetd" ;;
    esac
    log "## perf: $what, top symbols"
    perf report -q -i "$work/$f.perf" --stdio --sort dso 2>/dev/null | grep -v '^$' | head -n 6 | cut -c1-80 | tee -a "$OUT" || true
    perf report -q -i "$work/$f.perf" --stdio --sort symbol 2>/dev/null | grep -v '^$' | head -n 14 | cut -c1-110 | tee -a "$OUT" || true
  done
fi
step "G's counters (its /metrics, non-zero)"
ip netns exec "$G" curl -sS --max-time 5 -H "X-ZT1-Auth: $(cat "$work/g/authtoken.secret")" \
  http://127.0.0.1:9993/metrics | grep -E "^flatnet_(gateway_(members|peer_keys|mac_routes|subscribers)|dataplane_(vl2|lan|drop)[a-z_0-9]*) " |
  awk '$2 != 0 { printf "  %-52s %s\n", $1, $2 }' | tee -a "$OUT"
log "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${HOLD:-}" ]; then # HOLD=<seconds>: keep everything up to look at it by hand
  echo "holding ${HOLD} s: namespaces $G $C $HF $HS, G's data plane pid $gdp, C's flatnetd pid $cpid"
  sleep "$HOLD"
fi
[ "$fail" -eq 0 ] && echo "PASS (results in $OUT)" || { echo "FAIL"; tail -n 20 "$work/g.log"; exit 1; }

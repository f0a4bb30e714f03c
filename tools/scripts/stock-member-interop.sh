#!/usr/bin/env bash
# Outside CI: a flatnet member (flatnetd) joins a STOCK ZeroTier 1.14.1
# network -- stock root, stock controller (node A) and stock members A and B
# from ../shared/tools/stock-testnet.sh -- and exchanges frames with the
# stock members: ARP, ping, iperf3 both ways.
#
#   STOCK_ZT_BIN=/tmp/zt-stock bash tools/scripts/stock-member-interop.sh
#
# The flatnet member C lives in namespace fnhsc with 10.99.0.13/24 on the
# testnet's bridge (ns ztbr); it gets a fresh identity and the testnet's
# planet, is authorized on A's controller with 10.99.100.13, runs
# `flatnetd --udp 10.99.0.13:9993` and `flatnet join`s ee420f0cda000001.
# NAT=1 / BLOCK_AB=1 are passed to the testnet (stock A and B then sit
# behind NATs / must relay; C is on the bridge itself). Everything it made
# is removed on exit, the testnet with `stock-testnet.sh down`.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
testnet="$here/../shared/tools/stock-testnet.sh"
[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 1; }
: "${STOCK_ZT_BIN:?set STOCK_ZT_BIN to the folder with stock zerotier-one}"
build=${FLATNET_BUILD_DIR:-build}
ninja -C "$here/$build" control/flatnetd tools/ctl/flatnet-cli tools/idtool/flatnet-idtool >/dev/null
bin="$here/$build"
export RUN=${RUN:-/tmp/fnh-stock-testnet}
VECTORS=${VECTORS:-$here/../shared/vectors/zerotier-1.14.1}
C=fnhsc
work=$(mktemp -d /tmp/fnh-interop.XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  ip netns del "$C" 2>/dev/null || true
  ip -n ztbr link del "${C}p" 2>/dev/null || true
  bash "$testnet" down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

step "stock testnet up (stock root 359e3db032, stock controller + member A, stock member B)"
bash "$testnet" up 2>&1 | tail -n 3 | sed 's/^/  /'
NWID=$(cat "$RUN/nwid")

step "flatnet member C: namespace $C, 10.99.0.13 on the testnet's bridge"
ip netns add "$C"
ip -n "$C" link set lo up
ip -n ztbr link add "${C}p" type veth peer name eth0 netns "$C"
ip -n ztbr link set "${C}p" master br0 up
ip -n "$C" addr add 10.99.0.13/24 dev eth0
ip -n "$C" link set eth0 up
ip netns exec "$C" ethtool -K eth0 tx off >/dev/null 2>&1 || true
mkdir -p "$work/c"
"$bin/tools/idtool/flatnet-idtool" generate "$work/c/identity.secret" "$work/c/identity.public" >/dev/null
cp "$VECTORS/world/planet.bin" "$work/c/planet"
CADDR=$(cut -d: -f1 "$work/c/identity.public")
echo "  C = $CADDR"
ip netns exec "$C" "$bin/control/flatnetd" -H "$work/c" --udp 10.99.0.13:9993 </dev/null \
  >"$work/c.log" 2>&1 &
pid=$!
cli() { ip netns exec "$C" "$bin/tools/ctl/flatnet-cli" "-D$work/c" "$@"; }
for _ in $(seq 1 100); do cli info >/dev/null 2>&1 && break; sleep 0.2; done
cli info | sed 's/^/  /'

step "stock controller (A): authorize C with 10.99.100.13"
tok=$(cat "$RUN/a/authtoken.secret")
ip netns exec ztA curl -sS --max-time 5 -X POST -H "X-ZT1-Auth: $tok" \
  -d '{"authorized": true, "ipAssignments": ["10.99.100.13"]}' \
  "http://127.0.0.1:9993/controller/network/$NWID/member/$CADDR" | jq -c '{id, authorized, ipAssignments}' | sed 's/^/  /'

step "C: flatnet join $NWID"
cli join "$NWID" | sed 's/^/  /'
ok=""
for _ in $(seq 1 150); do
  if [ "$(cli get "$NWID" status 2>/dev/null)" = OK ] &&
     ip -n "$C" -o addr show | grep -q "10.99.100.13/"; then ok=1; break; fi
  sleep 0.2
done
cli listnetworks | sed 's/^/  /'
[ -n "$ok" ] || { echo "C did not get the network's config"; tail -n 30 "$work/c.log"; exit 1; }

fail=0
for ip in 10.99.100.11 10.99.100.12; do
  step "C -> stock member $ip: ping (ARP first)"
  ip netns exec "$C" ping -c 4 -i 0.3 -W 2 "$ip" | tail -n 2 | sed 's/^/  /' || fail=1
done
step "stock member A -> C: ping"
ip netns exec ztA ping -c 4 -i 0.3 -W 2 10.99.100.13 | tail -n 2 | sed 's/^/  /' || fail=1
if command -v iperf3 >/dev/null; then
  step "iperf3 C -> A and A -> C (5 s each)"
  ip netns exec ztA iperf3 -s -1 -B 10.99.100.11 >/dev/null 2>&1 &
  s=$!; sleep 0.5
  ip netns exec "$C" timeout 20 iperf3 -c 10.99.100.11 -t 5 -f m 2>&1 | grep -E 'sender|receiver' | sed 's/^/  C->A /' || fail=1
  kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true
  ip netns exec "$C" iperf3 -s -1 -B 10.99.100.13 >/dev/null 2>&1 &
  s=$!; sleep 0.5
  ip netns exec ztA timeout 20 iperf3 -c 10.99.100.13 -t 5 -f m 2>&1 | grep -E 'sender|receiver' | sed 's/^/  A->C /' || fail=1
  kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true
fi
step "C: flatnet listpeers"
cli listpeers | sed 's/^/  /'
[ "$fail" -eq 0 ] && echo "PASS" || { echo "FAIL"; tail -n 30 "$work/c.log"; exit 1; }

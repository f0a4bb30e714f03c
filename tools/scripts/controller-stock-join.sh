#!/bin/bash
# Outside CI (docs/controller-api.md): a stock zerotier-one 1.14.1 node joins a
# network made through flatnetd's /controller API (with `flatnet controller`),
# is refused until authorized, then gets its address from the pool.
#   tools/scripts/controller-stock-join.sh /dir/with/zerotier-one-and-zerotier-cli [build]
# Two namespaces (fna-sj-a: flatnetd as root and controller, 10.77.0.1; fna-sj-b:
# stock, 10.77.0.2) on one veth; everything is removed on exit. Needs root.
# Stock is never part of this tree: build or fetch it elsewhere.
set -u
STOCK=${1:?usage: $0 /dir/with/zerotier-one-and-zerotier-cli [build dir]}
HERE=$(cd "$(dirname "$0")" && pwd)
B=${2:-$HERE/../../build}
W=$(mktemp -d /tmp/fna-sj.XXXXXX)
A=fna-sj-a; S=fna-sj-b
P1=""; P2=""
cleanup() {
  for p in $P2 $P1; do kill "$p" 2>/dev/null; done
  sleep 1
  ip netns del $A 2>/dev/null; ip netns del $S 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT INT TERM
ip netns add $A && ip netns add $S || exit 1
ip link add fnasj0 type veth peer name fnasj1
ip link set fnasj0 netns $A; ip link set fnasj1 netns $S
ip -n $A addr add 10.77.0.1/24 dev fnasj0; ip -n $S addr add 10.77.0.2/24 dev fnasj1
for n in $A $S; do ip -n $n link set lo up; done
ip -n $A link set fnasj0 up; ip -n $S link set fnasj1 up
# flatnetd's identity and a planet naming it as the root.
(cd "$HERE/../../tests/integration" && python3 -c "
from flatnet_procs import identities_and_planet
identities_and_planet('$B/tools/idtool/flatnet-idtool', '$W', ['ctl'], [('ctl', '10.77.0.1')])")
mkdir -p "$W/stock" && cp "$W/ctl/planet" "$W/stock/planet"
echo '{"settings":{"primaryPort":9993,"portMappingEnabled":false,"allowTcpFallbackRelay":false}}' \
  >"$W/stock/local.conf"
ip netns exec $A "$B/control/flatnetd" -H "$W/ctl" --udp 10.77.0.1:9993 -p 9993 \
  >"$W/flatnetd.log" 2>&1 & P1=$!
sleep 2
FC="ip netns exec $A $B/tools/ctl/flatnet-controller -D$W/ctl -p9993"
NW=$($FC create name=stock-join \
  'ipAssignmentPools=[{"ipRangeStart":"10.147.20.10","ipRangeEnd":"10.147.20.50"}]' \
  'routes=[{"target":"10.147.20.0/24"}]' 'v4AssignMode={"zt":true}') || exit 1
echo "network $NW made through the API"
ip netns exec $S "$STOCK/zerotier-one" "$W/stock" >"$W/stock.log" 2>&1 & P2=$!
disown "$P2"  # stock aborts when stopped with TERM; keep bash from reporting it
sleep 3
ZC="ip netns exec $S $STOCK/zerotier-cli -D$W/stock"
SA=$($ZC info | awk '{print $3}')
$ZC join "$NW"
wait_for() {  # wait_for <pattern> <seconds>
  for _ in $(seq 1 "$2"); do
    L=$($ZC listnetworks | tail -1); echo "  $L"
    echo "$L" | grep -q "$1" && return 0
    sleep 1
  done
  return 1
}
wait_for ACCESS_DENIED 20 || { echo "FAIL: stock was not refused"; exit 1; }
$FC authorize "$NW" "$SA"
wait_for " OK .*10\.147\.20\." 30 || { echo "FAIL: no address"; tail "$W/flatnetd.log"; exit 1; }
$FC show "$NW"
ip -n $S -4 addr | grep 10.147.20
echo "PASS: stock $SA joined $NW and got its address from flatnetd's controller"

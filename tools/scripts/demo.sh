#!/usr/bin/env bash
# The README's main job: a virtual Ethernet LAN on one machine.
#
#                        br0 in ns <tag>r: the "internet", 172.31.88.0/24
#        ┌───────────────────────────┼──────────────────────────────┐
#   d0: flatnet-dataplane      ns <tag>na: NAT 172.31.88.21    ns <tag>nb: NAT 172.31.88.22
#   (the root, 172.31.88.1:9993,     │ masquerade                     │ masquerade
#    net_af_packet; no kernel  ns <tag>a: member A 192.168.101.2 ns <tag>b: member B 192.168.102.2
#    address on d0; its              tap zt…: 10.147.17.x/24        tap zt…: 10.147.17.y/24
#    flatnetd is the controller)
#
# The root is flatnet-dataplane (DPDK, net_af_packet) plus its control
# process `flatnetd --dataplane`; members A and B are `flatnetd --udp`,
# each behind its own home-router NAT (nftables: port-preserving masquerade,
# unsolicited inbound dropped). All three have fresh identities and share a
# planet that lists the root. The root's flatnetd is also the network
# controller: it creates a private network with an IPv4 pool and
# authorizes A and B (FLATNET_DEMO_NETWORK=ff0a000000000001 takes the
# ad-hoc network of spec §10.11 instead, no controller). A and B
# `flatnet join` it and each gets a tap interface named as stock names it,
# with its MAC and an IP from the network.
# Between the members' virtual IPs: ARP, `ping` and a short TCP transfer
# (iperf3 when installed) while a firewall in br0 blocks NAT-to-NAT
# datagrams (every frame relayed by the root's fast path, never decrypted
# there), then again once it is lifted and the root's RENDEZVOUS has let A
# and B punch through both NATs (direct). `flatnet listnetworks` on each.
#
# The underlay is 172.31.88.0/24, outside the virtual networks (10.147.17.0/24,
# the ad-hoc 10.0.0.0/8): a member whose root sat inside its own network's
# prefix would route its underlay datagrams into the tap.
#
# Then the office LAN (issue 12): two plain Linux hosts H1 and H2 on a Linux
# bridge (ns <tag>o) are bridged into the network by a flatnet gateway --
# flatnet-dataplane with its underlay port on the internet (172.31.88.30,
# net_af_xdp on veth gu0) and its `lan` port on the office switch
# (net_af_xdp on veth gl0), driven by `flatnetd --dataplane`, which joins
# the network as an active bridge (authorized so by the controller):
#
#   ns <tag>h1: H1 10.147.17.201 ─┐ br0 in ns <tag>o   ns <tag>g: gateway G
#   ns <tag>h2: H2 10.147.17.202 ─┴─ (the office LAN) ── gl0 [DPDK] gu0 ── br0 (internet)
#
# The LAN hosts have no flatnet software: H1 pings B's virtual IP (its ARP
# crosses the gateway as a MULTICAST_FRAME, B's answers come back through
# the gateway's fast path) and runs iperf3 to B, H2 pings A; the gateway's
# counters (its /metrics: the data plane's vl2_* and lan_*) are shown.
#
# Everything runs in namespaces created here and is removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"

[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces, DPDK)"; exit 1; }
bash tools/scripts/setup.sh

build=${FLATNET_BUILD_DIR:-build}
if [ -f "$build/build.ninja" ]; then meson setup --reconfigure "$build" >/dev/null
else meson setup "$build" -Dtests=false >/dev/null; fi
ninja -C "$build" tools/cli/flatnet tools/ctl/flatnet-cli tools/ctl/flatnet-controller tools/idtool/flatnet-idtool \
  tools/tableload/flatnet-tableload dataplane/runtime/flatnet-dataplane control/flatnetd
bin="$here/$build"
flatnet="$bin/tools/cli/flatnet"
dataplane="$bin/dataplane/runtime/flatnet-dataplane"
tag="fnd$$"
R="${tag}r" NA="${tag}na" NB="${tag}nb" A="${tag}a" B="${tag}b"
G="${tag}g" O="${tag}o" H1="${tag}h1" H2="${tag}h2"  # the office LAN and its gateway
work=$(mktemp -d /tmp/flatnet-demo.XXXXXX)
dp_pid="" gw_dp_pid=""
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for p in "$dp_pid" "$gw_dp_pid"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  for ns in "$R" "$NA" "$NB" "$A" "$B" "$G" "$O" "$H1" "$H2"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "identities (flatnet idtool generate) and a planet listing the root (idtool initmoon/genmoon)"
for n in root a b gw; do
  mkdir -p "$work/$n"
  "$flatnet" idtool generate "$work/$n/identity.secret" "$work/$n/identity.public" >/dev/null
  printf '  %-4s %s\n' "$n" "$(cut -d: -f1 "$work/$n/identity.public")"
done
addr() { cut -d: -f1 "$work/$1/identity.public"; }
"$flatnet" idtool initmoon "$work/root/identity.public" | python3 -c '
import json, sys
j = json.load(sys.stdin); j["worldType"] = "planet"; j["roots"][0]["stableEndpoints"] = ["172.31.88.1/9993"]
json.dump(j, sys.stdout)' >"$work/planet.json"
planet=$(cd "$work" && "$flatnet" idtool genmoon planet.json | sed -n 's/.*wrote \([^ ]*\).*/\1/p')
for n in root a b gw; do cp "$work/$planet" "$work/$n/planet"; done
echo "  planet $planet: one root, $(addr root) at 172.31.88.1/9993"

step "namespaces: root in $R, NAT routers in $NA and $NB, nodes in $A and $B"
for ns in "$R" "$NA" "$NB" "$A" "$B"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
# The "internet": bridge br0 in the root's namespace, 172.31.88.0/24, no uplink.
ip -n "$R" link add br0 type bridge && ip -n "$R" link set br0 up
ip -n "$R" link add d0 type veth peer name d0p
ip netns exec "$R" sysctl -qw net.ipv6.conf.d0.disable_ipv6=1 || true
ip -n "$R" link set d0 arp off up && ip -n "$R" link set d0p master br0 up
# Each node sits behind its own home-router NAT: port-preserving masquerade on
# the router's wan0, and unsolicited inbound from the internet dropped.
nat_router() { # nat_router <ns> <wan ip> <lan prefix>
  local ns=$1 wan=$2 lan=$3
  ip -n "$R" link add "${ns}w" type veth peer name wan0 netns "$ns"
  ip -n "$R" link set "${ns}w" master br0 up
  ip -n "$ns" addr add "$wan/24" dev wan0 && ip -n "$ns" link set wan0 up
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$ns" nft -f - <<NFT
table inet home {
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "wan0" ct state new drop
  }
  chain forward {
    type filter hook forward priority 0; policy drop;
    iifname "lan0" oifname "wan0" accept
    iifname "wan0" oifname "lan0" ct state established,related accept
  }
}
table ip homenat {
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    oifname "wan0" ip saddr $lan.0/24 masquerade
  }
}
NFT
}
node_behind() { # node_behind <router ns> <node ns> <lan prefix>
  local r=$1 ns=$2 lan=$3
  ip -n "$r" link add lan0 type veth peer name eth0 netns "$ns"
  ip -n "$r" addr add "$lan.1/24" dev lan0 && ip -n "$r" link set lan0 up
  ip -n "$ns" addr add "$lan.2/24" dev eth0 && ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$lan.1"
  ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1 || true
}
nat_router "$NA" 172.31.88.21 192.168.101
nat_router "$NB" 172.31.88.22 192.168.102
node_behind "$NA" "$A" 192.168.101
node_behind "$NB" "$B" 192.168.102
echo "  A 192.168.101.2 behind NAT 172.31.88.21; B 192.168.102.2 behind NAT 172.31.88.22; root 172.31.88.1"

step "root: flatnet-dataplane on net_af_packet (d0), 172.31.88.1:9993, relay on"
ip netns exec "$R" "$dataplane" --instance "$tag" --port net_af_packet0,iface=d0 \
  --ipv4 172.31.88.1/24 --address "$(addr root)" --workers 0 --relay on --memory-mb 256 \
  -- --log-level='*:warning' >"$work/dataplane.log" 2>&1 &
dp_pid=$!
for _ in $(seq 1 300); do
  grep -qs "flatnet-dataplane: ready" "$work/dataplane.log" && break
  kill -0 "$dp_pid" 2>/dev/null || { cat "$work/dataplane.log"; echo "demo: data plane exited"; exit 1; }
  sleep 0.1
done
grep -q "flatnet-dataplane: ready" "$work/dataplane.log" || { cat "$work/dataplane.log"; exit 1; }
sed 's/^/  /' "$work/dataplane.log" | tail -n 3

step "root control: flatnetd --dataplane $tag"
ip netns exec "$R" "$bin/control/flatnetd" -H "$work/root" --dataplane "$tag" </dev/null >"$work/root.log" 2>&1 &
pids+=($!)

step "members: flatnetd --udp in $A and $B (each with its local API on 127.0.0.1:9993)"
ip netns exec "$A" "$bin/control/flatnetd" -H "$work/a" --udp 192.168.101.2:9993 </dev/null >"$work/a.log" 2>&1 &
pids+=($!)
ip netns exec "$B" "$bin/control/flatnetd" -H "$work/b" --udp 192.168.102.2:9993 </dev/null >"$work/b.log" 2>&1 &
pids+=($!)
cli() { local ns=$1 home=$2; shift 2; ip netns exec "$ns" "$bin/tools/ctl/flatnet-cli" "-D$home" "$@"; }
# Ready when each node lists the root and the root knows both nodes (HELLO done).
for _ in $(seq 1 150); do
  cli "$A" "$work/a" listpeers 2>/dev/null | grep -q "$(addr root).*PLANET" &&
    cli "$B" "$work/b" listpeers 2>/dev/null | grep -q "$(addr root).*PLANET" &&
    cli "$R" "$work/root" listpeers 2>/dev/null | grep -q "$(addr a)" &&
    cli "$R" "$work/root" listpeers 2>/dev/null | grep -q "$(addr b)" && break
  sleep 0.2
done

# A firewall in the bridge drops NAT-to-NAT datagrams at first, as a
# symmetric NAT or a strict firewall would: all A<->B traffic must cross the
# root. Lifting it lets the root's RENDEZVOUS punch a direct path.
nft_block() {
  ip netns exec "$R" nft -f - <<NFT
table bridge fndemo {
  chain blockab { type filter hook forward priority 0; policy accept;
    iifname "${NA}w" oifname "${NB}w" drop
    iifname "${NB}w" oifname "${NA}w" drop
  }
}
NFT
}
nft_block
echo "  a firewall in br0 now drops datagrams between the two NATs: A<->B must cross the root"

# The root's flatnetd is also a network controller (the role is on by
# default): a private network with an IPv4 pool, A and B authorized.
# FLATNET_DEMO_NETWORK=ff0a000000000001 uses the ad-hoc network instead.
ctl() { ip netns exec "$R" "$bin/tools/ctl/flatnet-controller" "-D$work/root" "$@"; }
nwid=${FLATNET_DEMO_NETWORK:-}
if [ -z "$nwid" ]; then
  step "controller (the root's flatnetd): flatnet controller create, authorize A and B"
  nwid=$(ctl create name=demo-lan private=true 'v4AssignMode={"zt":true}' \
    'ipAssignmentPools=[{"ipRangeStart":"10.147.17.10","ipRangeEnd":"10.147.17.200"}]' \
    'routes=[{"target":"10.147.17.0/24","via":null}]')
  echo "  network $nwid (private, pool 10.147.17.10-200, route 10.147.17.0/24)"
  for n in a b; do ctl authorize "$nwid" "$(addr $n)" >/dev/null && echo "  authorized $(addr $n)"; done
fi
office=""
if [ -z "${FLATNET_DEMO_NETWORK:-}" ]; then
  office=1
  step "office LAN: hosts H1 and H2 on a Linux bridge (ns $O), gateway G in $G (172.31.88.30 on the internet)"
  for ns in "$G" "$O" "$H1" "$H2"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip -n "$O" link add br0 type bridge && ip -n "$O" link set br0 up
  # G's two ports: gu0 on the internet's br0, gl0 on the office switch; the
  # data plane owns both (no kernel address, ARP off).
  ip -n "$R" link add "${G}u" type veth peer name gu0 netns "$G"
  ip -n "$R" link set "${G}u" master br0 up
  ip -n "$O" link add gw type veth peer name gl0 netns "$G"
  ip -n "$O" link set gw master br0 up
  for d in gu0 gl0; do
    ip netns exec "$G" sysctl -qw "net.ipv6.conf.$d.disable_ipv6=1" || true
    ip -n "$G" link set "$d" arp off up
  done
  i=1
  for h in "$H1" "$H2"; do
    ip -n "$O" link add "h$i" type veth peer name eth0 netns "$h"
    ip -n "$O" link set "h$i" master br0 up
    ip -n "$h" addr add "10.147.17.20$i/24" dev eth0 && ip -n "$h" link set eth0 up
    ip netns exec "$h" ethtool -K eth0 tx off >/dev/null 2>&1 || true
    i=$((i + 1))
  done
  echo "  H1 10.147.17.201 ($(ip -n "$H1" -br link show dev eth0 | awk '{print $3}')), H2 10.147.17.202: plain Linux, no flatnet"

  step "controller: authorize the gateway $(addr gw) and mark it an active bridge"
  ctl authorize "$nwid" "$(addr gw)" >/dev/null
  ctl set "$nwid" "$(addr gw)" activeBridge=true >/dev/null && echo "  $(addr gw): authorized, activeBridge=true"

  # The root's data plane polls on CPU 0; the gateway's on CPU 1 when there is one.
  # Its ports are net_af_xdp (native XDP on the veths, copy mode): less kernel
  # work per frame than net_af_packet (docs/bench-gateway.md "End to end").
  # rx rings of 4096 (the xsk ring is the port's rx_desc): a short ring
  # overflows while the lcore sleeps or is descheduled on a busy machine, and
  # TCP retransmits. DEMO_GW_PMD=af_packet gives af_packet ports (4096 frames).
  gw_lcores=0@0
  [ "$(nproc)" -ge 2 ] && gw_lcores=0@1
  step "gateway: flatnet-dataplane (underlay gu0, lan gl0 bridged into $nwid, lcore $gw_lcores) + flatnetd --dataplane"
  gw_pmd=${DEMO_GW_PMD:-af_xdp} gw_ring=""
  [ "$gw_pmd" = af_packet ] && gw_ring=",framecnt=4096"
  cat >"$work/gw.json" <<JSON
{"instance": "${G}", "address": "$(addr gw)",
 "ports": [{"devargs": "net_${gw_pmd}0,iface=gu0${gw_ring}"},
           {"devargs": "net_${gw_pmd}1,iface=gl0${gw_ring}", "role": "lan", "network": "$nwid"}],
 "ipv4": "172.31.88.30/24", "relay": false, "workers": 0, "memory_mb": 256, "table_capacity": 1024,
 "rx_desc": 4096,
 "eal": ["--lcores=$gw_lcores"]}
JSON
  ip netns exec "$G" "$dataplane" -c "$work/gw.json" -- --log-level='*:warning' >"$work/gw-dataplane.log" 2>&1 &
  gw_dp_pid=$!
  for _ in $(seq 1 300); do
    grep -qs "flatnet-dataplane: ready" "$work/gw-dataplane.log" && break
    kill -0 "$gw_dp_pid" 2>/dev/null || { cat "$work/gw-dataplane.log"; echo "demo: gateway data plane exited"; exit 1; }
    sleep 0.1
  done
  grep "lan port" "$work/gw-dataplane.log" | sed 's/^/  /'
  ip netns exec "$G" "$bin/control/flatnetd" -H "$work/gw" --dataplane "$G" </dev/null >"$work/gw.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do cli "$G" "$work/gw" info >/dev/null 2>&1 && break; sleep 0.2; done
  grep -m1 "lan port bridges" "$work/gw.log" | sed 's/^/  /' || true
fi

step "members A and B: flatnet join $nwid"
for n in a b; do
  ns=$([ $n = a ] && echo "$A" || echo "$B")
  printf '  %s: %s\n' "${n^^}" "$(cli "$ns" "$work/$n" join "$nwid")"
done
# A member is ready when its network is OK and its tap is up with its IPv4.
vip() { cli "$1" "$2" get "$nwid" ip4 2>/dev/null | head -n 1; }
dev() { cli "$1" "$2" get "$nwid" portDeviceName 2>/dev/null; }
for _ in $(seq 1 150); do
  [ "$(cli "$A" "$work/a" get "$nwid" status 2>/dev/null)" = OK ] &&
    [ "$(cli "$B" "$work/b" get "$nwid" status 2>/dev/null)" = OK ] &&
    [ -n "$(vip "$A" "$work/a")" ] && [ -n "$(vip "$B" "$work/b")" ] &&
    ip -n "$A" -o addr show dev "$(dev "$A" "$work/a")" | grep -q "$(vip "$A" "$work/a")/" &&
    ip -n "$B" -o addr show dev "$(dev "$B" "$work/b")" | grep -q "$(vip "$B" "$work/b")/" && break
  sleep 0.2
done
VA=$(vip "$A" "$work/a") VB=$(vip "$B" "$work/b")
for n in a b; do
  ns=$([ $n = a ] && echo "$A" || echo "$B")
  echo "  ${n^^}: $(ip -n "$ns" -br addr show dev "$(dev "$ns" "$work/$n")" | tr -s ' ')"
done

# A short TCP transfer A -> B between the virtual IPs: iperf3 for 3 s when
# installed, else 8 MiB through python sockets.
transfer() {
  if command -v iperf3 >/dev/null; then
    ip netns exec "$B" iperf3 -s -1 -B "$VB" >/dev/null 2>&1 &
    local srv=$!
    sleep 0.5
    ip netns exec "$A" timeout 20 iperf3 -c "$VB" -t 3 -f m 2>&1 | grep -E 'sender|receiver' | sed 's/^/  /' || true
    kill "$srv" 2>/dev/null || true
    wait "$srv" 2>/dev/null || true
  else
    ip netns exec "$B" timeout 20 python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5201)); s.listen(1); c, _ = s.accept(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
print("  received %d bytes" % n)' "$VB" &
    local srv=$!
    sleep 0.5
    ip netns exec "$A" timeout 20 python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 5201)); t = time.time(); b = b"x" * 65536
for _ in range(128): s.sendall(b)
s.close(); print("  sent 8 MiB in %.2f s" % (time.time() - t))' "$VB" || true
    wait "$srv" 2>/dev/null || true
  fi
}

step "relayed: direct A<->B blocked since before the join; A pings B's virtual IP $VB (ARP, then ICMP through the root)"
ip netns exec "$A" ping -c 4 -i 0.5 -W 2 "$VB" | sed 's/^/  /' || true
echo "  A's neighbour entry: $(ip -n "$A" neigh show "$VB" | tr -s ' ')"
cli "$A" "$work/a" ping "$(addr b)" -c 2 -t 2000 | sed 's/^/  /' || true
step "relayed: TCP A -> B ($VB)"
transfer

step "direct A<->B unblocked: the root introduces the pair again (RENDEZVOUS at most every 30 s per pair)"
ip netns exec "$R" nft delete table bridge fndemo
start=$(date +%s)
for _ in $(seq 1 20); do
  out=$(cli "$A" "$work/a" ping "$(addr b)" -c 4 -t 2000 || true)
  printf '  t=%2ss:%s\n' "$(( $(date +%s) - start ))" \
    "$(printf '%s\n' "$out" | sed -n 's/.* rtt=\([0-9.]*\) ms \(relayed\|direct\)$/ \2 \1ms/p' | tr '\n' ' ')"
  if printf '%s\n' "$out" | grep -q ' direct$'; then break; fi
  sleep 2
done
step "direct: A pings B's virtual IP $VB"
ip netns exec "$A" ping -c 4 -i 0.5 -W 2 "$VB" | sed 's/^/  /' || true
step "direct: TCP A -> B ($VB)"
transfer

for n in a b; do
  ns=$([ $n = a ] && echo "$A" || echo "$B")
  step "member ${n^^}: flatnet listnetworks"
  cli "$ns" "$work/$n" listnetworks | sed 's/^/  /'
done
for n in a b; do
  ns=$([ $n = a ] && echo "$A" || echo "$B")
  step "member ${n^^}: flatnet listpeers"
  cli "$ns" "$work/$n" listpeers | sed 's/^/  /'
done
step "root: flatnet listpeers"
cli "$R" "$work/root" listpeers | sed 's/^/  /'

if [ -n "$office" ]; then
  # The gateway's /metrics: its VL2 tables (flatnet_gateway_*) and the data
  # plane's counters (flatnet_dataplane_*), non-zero only.
  gw_metrics() {
    ip netns exec "$G" curl -sS --max-time 5 -H "X-ZT1-Auth: $(cat "$work/gw/authtoken.secret")" \
      http://127.0.0.1:9993/metrics | grep -E "^flatnet_(gateway_(members|peer_keys|mac_routes|subscribers)|dataplane_(vl2|lan|drop_vl2)[a-z_0-9]*) " |
      awk '$2 != 0 { printf "  %-52s %s\n", $1, $2 }'
  }
  step "gateway G: flatnet listnetworks (an active bridge, no tap: the data plane's lan port is the LAN)"
  for _ in $(seq 1 50); do [ "$(cli "$G" "$work/gw" get "$nwid" status 2>/dev/null)" = OK ] && break; sleep 0.2; done
  cli "$G" "$work/gw" listnetworks | sed 's/^/  /'
  # H1's ARP for B's virtual IP crosses the gateway to B (B LIKEd its ARP
  # group to the gateway once they met); wait until the gateway's tables
  # hold both members and their subscriptions (bounded).
  for _ in $(seq 1 75); do
    m=$(gw_metrics)
    [ "$(awk '/gateway_members/ {print $2}' <<<"$m")" = 2 ] && [ -n "$(awk '/gateway_subscribers/ {print $2}' <<<"$m")" ] && break
    sleep 0.2
  done
  step "office LAN: H1 (10.147.17.201, plain Linux) pings member B's virtual IP $VB through the gateway"
  ip netns exec "$H1" ping -c 4 -i 0.5 -W 2 "$VB" | sed 's/^/  /' || true
  echo "  H1's neighbour entry for B: $(ip -n "$H1" neigh show "$VB" | tr -s ' ') (B's member MAC: ARP crossed the bridge)"
  echo "  B's neighbour entry for H1: $(ip -n "$B" neigh show 10.147.17.201 | tr -s ' ')"
  step "office LAN: H2 (10.147.17.202) pings member A's virtual IP $VA"
  ip netns exec "$H2" ping -c 3 -i 0.5 -W 2 "$VA" | tail -n 2 | sed 's/^/  /' || true
  step "office LAN: iperf3 H1 -> B ($VB) and B -> H1, 3 s each"
  if command -v iperf3 >/dev/null; then
    ip netns exec "$B" iperf3 -s -1 -B "$VB" >/dev/null 2>&1 &
    srv=$!; sleep 0.5
    ip netns exec "$H1" timeout 20 iperf3 -c "$VB" -t 3 -f m 2>&1 | grep -E 'sender|receiver' | sed 's/^/  H1->B /' || true
    kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true
    ip netns exec "$H1" iperf3 -s -1 -B 10.147.17.201 >/dev/null 2>&1 &
    srv=$!; sleep 0.5
    ip netns exec "$B" timeout 20 iperf3 -c 10.147.17.201 -t 3 -f m 2>&1 | grep -E 'sender|receiver' | sed 's/^/  B->H1 /' || true
    kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true
  else
    echo "  (iperf3 not installed)"
  fi
  step "gateway G's counters (its /metrics: VL2 tables, and the data plane's vl2_* / lan_*; non-zero only)"
  gw_metrics
fi

step "root's data-plane counters (DPDK telemetry /flatnet/stats, non-zero only)"
python3 - "$tag" <<'PY' || true
import glob, json, socket, sys
try:
    path = glob.glob("/var/run/dpdk/flatnet-%s/dpdk_telemetry.v2" % sys.argv[1])[0]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.settimeout(10); s.connect(path); s.recv(4096)
    s.send(b"/flatnet/stats"); stats = json.loads(s.recv(1 << 20).decode())["/flatnet/stats"]
except (OSError, IndexError, ValueError) as e:
    sys.exit("  (telemetry not available: %s)" % e)
def walk(prefix, v):
    if isinstance(v, dict):
        for k, x in v.items(): walk(prefix + [str(k)], x)
    elif isinstance(v, (int, float)) and v:
        print("  %-48s %d" % (".".join(prefix), v))
walk([], stats)
PY
step "done (processes and namespaces are removed)"

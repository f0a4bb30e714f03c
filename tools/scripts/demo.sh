#!/usr/bin/env bash
# The README's main job: a local flatnet network on one machine.
#
#   ns <tag>a: a0 10.88.0.11 ─┐                      ┌─ d0: flatnet-dataplane (the root),
#                             ├── br0 in ns <tag>r ──┤      net_af_packet, 10.88.0.1:9993
#   ns <tag>b: b0 10.88.0.12 ─┘                      └─ (no kernel address on d0)
#
# Node A and node B each have a fresh identity and exchange end-to-end
# encrypted VL1 ECHO / OK(ECHO) packets (AES-GMAC-SIV, cipher 3) through the
# root, which relays them on the DPDK fast path without decrypting (hops 0→1).
# Until the control process lands (issue 4) the root learns A's and B's paths
# from flatnet-tableload instead of from their HELLOs.
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
ninja -C "$build" tools/cli/flatnet tools/idtool/flatnet-idtool tools/peer/flatnet-peer \
  tools/tableload/flatnet-tableload dataplane/runtime/flatnet-dataplane

bin="$here/$build"
flatnet="$bin/tools/cli/flatnet"
dataplane="$bin/dataplane/runtime/flatnet-dataplane"
tag="fndemo$$"
R="${tag}r" A="${tag}a" B="${tag}b"
work=$(mktemp -d /tmp/flatnet-demo.XXXXXX)
dp_pid=""

cleanup() {
  [ -n "$dp_pid" ] && kill "$dp_pid" 2>/dev/null && wait "$dp_pid" 2>/dev/null || true
  for ns in "$R" "$A" "$B"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "identities (flatnet idtool generate)"
for n in root a b; do
  "$flatnet" idtool generate "$work/$n.secret" "$work/$n.public" >/dev/null
  printf '  %-4s %s\n' "$n" "$(cut -d: -f1 "$work/$n.public")"
done
addr() { cut -d: -f1 "$work/$1.public"; }

step "namespaces: root in $R, nodes in $A and $B"
for ns in "$R" "$A" "$B"; do ip netns add "$ns"; done
ip -n "$R" link add br0 type bridge && ip -n "$R" link set br0 up
ip -n "$R" link add d0 type veth peer name d0p
ip netns exec "$R" sysctl -qw net.ipv6.conf.d0.disable_ipv6=1 || true
ip -n "$R" link set d0 arp off up && ip -n "$R" link set d0p master br0 up
for n in a b; do
  ns=$([ $n = a ] && echo "$A" || echo "$B"); ip=$([ $n = a ] && echo 10.88.0.11 || echo 10.88.0.12)
  ip -n "$R" link add ${n}0p type veth peer name ${n}0
  ip -n "$R" link set ${n}0 netns "$ns" && ip -n "$R" link set ${n}0p master br0 up
  ip -n "$ns" addr add $ip/24 dev ${n}0 && ip -n "$ns" link set ${n}0 up && ip -n "$ns" link set lo up
  ip netns exec "$ns" ethtool -K ${n}0 tx off >/dev/null 2>&1 || true
done

step "root: flatnet-dataplane on net_af_packet (d0), 10.88.0.1:9993, relay on"
ip netns exec "$R" "$dataplane" --instance "$tag" --port net_af_packet0,iface=d0 \
  --ipv4 10.88.0.1/24 --address "$(addr root)" --workers 0 --relay on --memory-mb 256 \
  -- --log-level='*:warning' >"$work/dataplane.log" 2>&1 &
dp_pid=$!
for _ in $(seq 1 300); do
  grep -q "flatnet-dataplane: ready" "$work/dataplane.log" && break
  kill -0 "$dp_pid" 2>/dev/null || { cat "$work/dataplane.log"; echo "demo: data plane exited"; exit 1; }
  sleep 0.1
done
grep -q "flatnet-dataplane: ready" "$work/dataplane.log" || { cat "$work/dataplane.log"; exit 1; }
sed 's/^/  /' "$work/dataplane.log" | tail -n 3

step "root learns the nodes' paths (flatnet-tableload; HELLO does this once control lands)"
printf 'address,path\n%s,10.88.0.11:9993\n%s,10.88.0.12:9993\n' "$(addr a)" "$(addr b)" >"$work/peers.csv"
ip netns exec "$R" "$bin/tools/tableload/flatnet-tableload" --instance "$tag" load --file "$work/peers.csv"

step "ping of the root's underlay address from node A (answered by the data plane)"
ip netns exec "$A" ping -c 2 -W 2 10.88.0.1 | sed 's/^/  /' || true

step "node B answers, node A pings B through the root (end-to-end encrypted, relayed)"
ip netns exec "$B" "$bin/tools/peer/flatnet-peer" --identity "$work/b.secret" --peer "$work/a.public" \
  --bind 10.88.0.12:9993 --via 10.88.0.1:9993 respond --count 5 --timeout 10000 >"$work/b.log" 2>&1 &
b_pid=$!
sleep 0.3
ip netns exec "$A" "$bin/tools/peer/flatnet-peer" --identity "$work/a.secret" --peer "$work/b.public" \
  --bind 10.88.0.11:9993 --via 10.88.0.1:9993 ping --count 5 --interval 200 | sed 's/^/  A: /'
wait "$b_pid" || true
sed 's/^/  B: /' "$work/b.log"

step "root's data-plane counters (DPDK telemetry /flatnet/stats, non-zero only)"
python3 - "$tag" <<'PY' || true
import glob, json, socket, sys
path = glob.glob("/var/run/dpdk/flatnet-%s/dpdk_telemetry.v2" % sys.argv[1])[0]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.settimeout(5); s.connect(path); s.recv(4096)
s.send(b"/flatnet/stats"); stats = json.loads(s.recv(1 << 20).decode())["/flatnet/stats"]
def walk(prefix, v):
    if isinstance(v, dict):
        for k, x in v.items(): walk(prefix + [str(k)], x)
    elif isinstance(v, (int, float)) and v:
        print("  %-48s %d" % (".".join(prefix), v))
walk([], stats)
PY
step "done (namespaces and processes are removed)"

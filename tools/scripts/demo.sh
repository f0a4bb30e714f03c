#!/usr/bin/env bash
# The README's main job: a local flatnet network on one machine.
#
#   ns <tag>a: a0 10.88.0.11 ─┐                      ┌─ d0: flatnet-dataplane (the root),
#                             ├── br0 in ns <tag>r ──┤      net_af_packet, 10.88.0.1:9993
#   ns <tag>b: b0 10.88.0.12 ─┘                      └─ (no kernel address on d0)
#
# The root is flatnet-dataplane (DPDK, net_af_packet) plus its control
# process `flatnetd --dataplane`; nodes A and B are `flatnetd --udp` leaves.
# All three have fresh identities and share a planet that lists the root.
# The leaves HELLO the root; A pings B with VL1 ECHO (`flatnet ping`): the
# first replies come relayed through the root's fast path (hops 1, never
# decrypted there), then the root's RENDEZVOUS lets A and B punch a direct
# path and the replies turn direct (hops 0).
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
ninja -C "$build" tools/cli/flatnet tools/ctl/flatnet-cli tools/idtool/flatnet-idtool \
  tools/tableload/flatnet-tableload dataplane/runtime/flatnet-dataplane control/flatnetd
bin="$here/$build"
flatnet="$bin/tools/cli/flatnet"
dataplane="$bin/dataplane/runtime/flatnet-dataplane"
tag="fndemo$$"
R="${tag}r" A="${tag}a" B="${tag}b"
work=$(mktemp -d /tmp/flatnet-demo.XXXXXX)
dp_pid=""
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "$dp_pid" ] && kill "$dp_pid" 2>/dev/null && wait "$dp_pid" 2>/dev/null || true
  for ns in "$R" "$A" "$B"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "identities (flatnet idtool generate) and a planet listing the root (idtool initmoon/genmoon)"
for n in root a b; do
  mkdir -p "$work/$n"
  "$flatnet" idtool generate "$work/$n/identity.secret" "$work/$n/identity.public" >/dev/null
  printf '  %-4s %s\n' "$n" "$(cut -d: -f1 "$work/$n/identity.public")"
done
addr() { cut -d: -f1 "$work/$1/identity.public"; }
"$flatnet" idtool initmoon "$work/root/identity.public" | python3 -c '
import json, sys
j = json.load(sys.stdin); j["worldType"] = "planet"; j["roots"][0]["stableEndpoints"] = ["10.88.0.1/9993"]
json.dump(j, sys.stdout)' >"$work/planet.json"
planet=$(cd "$work" && "$flatnet" idtool genmoon planet.json | sed -n 's/.*wrote \([^ ]*\).*/\1/p')
for n in root a b; do cp "$work/$planet" "$work/$n/planet"; done
echo "  planet $planet: one root, $(addr root) at 10.88.0.1/9993"

step "namespaces: root in $R, nodes in $A and $B"
for ns in "$R" "$A" "$B"; do ip netns add "$ns"; done
ip -n "$R" link set lo up
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

step "root control: flatnetd --dataplane $tag"
ip netns exec "$R" "$bin/control/flatnetd" -H "$work/root" --dataplane "$tag" </dev/null >"$work/root.log" 2>&1 &
pids+=($!)

step "nodes: flatnetd --udp in $A and $B (each with its local API on 127.0.0.1:9993)"
ip netns exec "$A" "$bin/control/flatnetd" -H "$work/a" --udp 10.88.0.11:9993 </dev/null >"$work/a.log" 2>&1 &
pids+=($!)
ip netns exec "$B" "$bin/control/flatnetd" -H "$work/b" --udp 10.88.0.12:9993 </dev/null >"$work/b.log" 2>&1 &
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

step "ping of the root's underlay address from node A (answered by the data plane)"
ip netns exec "$A" ping -c 2 -W 2 10.88.0.1 | sed 's/^/  /' || true

# A firewall in the bridge drops direct A<->B datagrams at first, as a
# symmetric NAT or a strict firewall would: all A<->B traffic must cross the
# root. Lifting it lets the root's RENDEZVOUS open a direct path.
nft_block() {
  ip netns exec "$R" nft -f - <<'NFT'
table bridge fndemo {
  chain blockab { type filter hook forward priority 0; policy accept;
    iifname "a0p" oifname "b0p" drop
    iifname "b0p" oifname "a0p" drop
  }
}
NFT
}
step "node A: flatnet ping $(addr b) while direct A<->B is blocked (relayed through the root)"
nft_block
cli "$A" "$work/a" ping "$(addr b)" -c 4 -t 2000 | sed 's/^/  /' || true

step "direct A<->B unblocked: the root introduces the pair again (RENDEZVOUS at most every 30 s per pair); pings turn direct"
ip netns exec "$R" nft delete table bridge fndemo
start=$(date +%s)
for _ in $(seq 1 20); do
  out=$(cli "$A" "$work/a" ping "$(addr b)" -c 4 -t 2000 || true)
  printf '  t=%2ss:%s\n' "$(( $(date +%s) - start ))" \
    "$(printf '%s\n' "$out" | sed -n 's/.* rtt=\([0-9.]*\) ms \(relayed\|direct\)$/ \2 \1ms/p' | tr '\n' ' ')"
  if printf '%s\n' "$out" | grep -q ' direct$'; then
    printf '%s\n' "$out" | sed 's/^/  /'
    break
  fi
  sleep 2
done

for n in a b; do
  ns=$([ $n = a ] && echo "$A" || echo "$B")
  step "node ${n^^}: flatnet listpeers"
  cli "$ns" "$work/$n" listpeers | sed 's/^/  /'
done
step "root: flatnet listpeers"
cli "$R" "$work/root" listpeers | sed 's/^/  /'

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

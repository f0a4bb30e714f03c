#!/usr/bin/env bash
# Drives flatnet-style traffic with standard Debian tools (docs/traffic-tools.md):
#   trafgen (netsniff-ng)  VL1 packets from vl1.trafgen
#   tcpreplay              the stock 1.14.1 captures, rewritten to our address
#   dpdk-testpmd txonly    UDP to :9993 over net_memif (payload is not VL1)
# onto a veth pair whose far end sits in a namespace this script creates.
# Without a data plane the far end is captured with tcpdump and the frames
# are counted and checked; with one (FLATNET_DATAPLANE, or the build's) the
# data plane owns the far end through net_af_packet and its counters are
# printed before and after.
#
#   tools/bench/relay/traffic-tools.sh [-b BUILD] [-n PACKETS] [-K]   (-K: kernel capture only)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build="$repo/build-pktgen"
count=1000
kernel_only=0
while getopts "b:n:K" opt; do
  case $opt in b) build=$OPTARG ;; n) count=$OPTARG ;; K) kernel_only=1 ;; *) sed -n '2,13p' "$0"; exit 2 ;; esac
done
dataplane="${FLATNET_DATAPLANE:-$build/dataplane/runtime/flatnet-dataplane}"
tableload="${FLATNET_TABLELOAD:-$build/tools/tableload/flatnet-tableload}"
use_dp=0
[[ $kernel_only == 0 && -x $dataplane && -x $tableload ]] && use_dp=1
vectors="${FLATNET_VECTORS:-$repo/../shared/vectors}/zerotier-1.14.1"
ns=fnb-tt
a=fnb-tt0   # root namespace: the tools send here
b=fnb-tt1   # in $ns: tcpdump, or the data plane
dp_mac=02:fe:00:00:00:01
dp_ip=10.0.0.1
work=$(mktemp -d /tmp/flatnet-traffic.XXXXXX)
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -n "${dp_pid:-}" ]] && kill -INT "$dp_pid" 2>/dev/null
  wait 2>/dev/null || true
  ip link del "$a" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
for t in trafgen tcpreplay tcprewrite tcpdump; do
  command -v $t >/dev/null || { echo "missing $t: apt-get install netsniff-ng tcpreplay tcpdump" >&2; exit 1; }
done

ip netns add "$ns"
ip link add "$a" type veth peer name "$b" netns "$ns"
ip link set "$a" address 02:fe:00:00:00:02 up
ip -n "$ns" link set "$b" address "$dp_mac" up
# Only the tools send on $a: no kernel chatter (IPv6 DAD, router solicits).
sysctl -qw "net.ipv6.conf.$a.disable_ipv6=1"
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$b.disable_ipv6=1"
# The kernel tools send with a zero or full UDP checksum; keep the veth from
# offloading it (PRODUCT.md "Virtual ports").
ethtool -K "$a" tx off >/dev/null 2>&1 || true

# ---- helpers -----------------------------------------------------------------
capture_start() {  # capture_start NAME N NETNS_PREFIX IFACE FILTER...: tcpdump, up to N frames
  $3 tcpdump -i "$4" -nn -U --immediate-mode -c "$2" -w "$work/$1.pcap" "${@:5}" \
    2>"$work/$1.tcpdump.log" &
  pids+=($!)
  sleep 1
}
capture_stop() {   # capture_stop NAME: waits (<= 10 s) for the capture; prints the frame count
  for _ in $(seq 100); do kill -0 "${pids[-1]}" 2>/dev/null || break; sleep 0.1; done
  kill "${pids[-1]}" 2>/dev/null || true
  wait "${pids[-1]}" 2>/dev/null || true
  unset 'pids[-1]'
  tcpdump -nn -r "$work/$1.pcap" 2>/dev/null | wc -l
}
# Data-plane counters (telemetry /flatnet/stats) as flat JSON.
dp_stats() {
  echo /flatnet/stats | timeout 5 dpdk-telemetry.py -f "$1" 2>/dev/null | python3 -c '
import json, sys
t = sys.stdin.read(); i = t.find("{")
print(json.dumps(json.loads(t[i:t.rfind("}") + 1]).get("/flatnet/stats", {}) if i >= 0 else {}))'
}
dp_delta() {       # dp_delta BEFORE AFTER: the counters that changed
  python3 - "$1" "$2" <<'EOF'
import json, sys
b, a = json.loads(sys.argv[1] or "{}"), json.loads(sys.argv[2] or "{}")
keep = [k for k in a if k not in ("polls", "empty_polls", "idle_sleeps", "pollers") and a[k] != b.get(k, 0)]
print("  data plane: " + (", ".join(f"{k} +{a[k] - b.get(k, 0)}" for k in keep) or "no change"))
EOF
}
check_vl1() {      # check_vl1 PCAP HOPS DST_IP DST_PORT: every frame vl1.trafgen's packet?
  python3 - "$@" <<'EOF'
# VL1 head checks: UDP payload 130, flags 0x88 + hops, the destination and
# source addresses of vl1.trafgen, outer destination as given.
import socket, struct, sys
path, hops, dst_ip, dst_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
d = open(path, "rb").read()
off, n, ok = 24, 0, 0
while off + 16 <= len(d):
    _, _, incl, _ = struct.unpack_from("<IIII", d, off)
    f = d[off + 16: off + 16 + incl]
    off += 16 + incl
    n += 1
    ip, udp, zt = f[14:34], f[34:42], f[42:]
    ok += (socket.inet_ntoa(ip[16:20]) == dst_ip and struct.unpack(">H", udp[2:4])[0] == dst_port
           and len(zt) == 130 and zt[18] == 0x88 + hops
           and zt[8:13].hex() == "89592d13a8" and zt[13:18].hex() == "d399f1ffbb")
print(f"  check: {ok}/{n} frames are vl1.trafgen's packet with hops {hops} to {dst_ip}:{dst_port}")
sys.exit(0 if n and ok == n else 1)
EOF
}

# ---- the far end: tcpdump only, or the data plane on net_af_packet ------------
in_ns="ip netns exec $ns"
if (( use_dp )); then
  echo "== data plane on $b (net_af_packet) in namespace $ns; 100 synthetic peers loaded"
  $in_ns "$dataplane" --instance fnb-tt --port "net_af_packet0,iface=$b" --ipv4 "$dp_ip/24" \
    --gateway4 10.0.0.2 --neighbor "10.0.0.2=02:fe:00:00:00:02" --relay on --workers 1 -- \
    --lcores 0@0,1@1 --no-pci --file-prefix fnb-tt --no-huge -m 256 >"$work/dataplane.log" 2>&1 &
  dp_pid=$!
  for _ in $(seq 100); do [[ -e /dev/shm/flatnet-fnb-tt.ipc ]] && break; sleep 0.1; done
  sleep 1
  echo "  $("$tableload" -i fnb-tt --timeout 30 load --count 100 --seed 1 2>&1 | tail -1)"
fi

send_trafgen() { trafgen --dev "$a" --conf "$here/vl1.trafgen" -n "$count" --cpus 1 -t 100us >"$work/trafgen.log" 2>&1; }

echo "== trafgen: $count VL1 packets (vl1.trafgen: peer 1 -> peer 0)"
if (( use_dp )); then
  before=$(dp_stats fnb-tt)
  # Relayed packets come back out of the data plane towards peer 0's path.
  capture_start trafgen "$count" "" "$a" udp and src host "$dp_ip"
  send_trafgen
  got=$(capture_stop trafgen)
  echo "  sent $count, relayed back to us $got"
  dp_delta "$before" "$(dp_stats fnb-tt)"
  check_vl1 "$work/trafgen.pcap" 1 10.128.0.1 20000
else
  capture_start trafgen "$count" "$in_ns" "$b" udp
  send_trafgen
  got=$(capture_stop trafgen)
  echo "  sent $count, far end captured $got"
  check_vl1 "$work/trafgen.pcap" 0 "$dp_ip" 9993
fi

for cap in testnet-relay/capture-br0.pcap testnet-planet/capture-br0.pcap; do
  [[ -f "$vectors/$cap" ]] || { echo "no $vectors/$cap: skipping tcpreplay"; continue; }
  name=$(echo "$cap" | tr / -)
  echo "== tcpreplay: $cap, destination rewritten to $dp_ip:9993 / $dp_mac"
  # Every IPv4 destination -> the data plane; MACs to ours; checksums fixed.
  tcprewrite --infile="$vectors/$cap" --outfile="$work/$name" \
    --dstipmap=0.0.0.0/0:$dp_ip/32 --enet-dmac=$dp_mac --enet-smac=02:fe:00:00:00:02 --fixcsum
  n=$(tcpdump -nn -r "$work/$name" udp 2>/dev/null | wc -l)
  if (( use_dp )); then
    before=$(dp_stats fnb-tt)
    tcpreplay -i "$a" --pps=20000 "$work/$name" >"$work/$name.log" 2>&1
    sleep 0.5
    echo "  sent $(grep -oP 'Successful packets:\s+\K[0-9]+' "$work/$name.log") ($n UDP)"
    dp_delta "$before" "$(dp_stats fnb-tt)"
  else
    capture_start "$name" "$n" "$in_ns" "$b" udp
    tcpreplay -i "$a" --pps=20000 "$work/$name" >"$work/$name.log" 2>&1
    sent=$(grep -oP 'Successful packets:\s+\K[0-9]+' "$work/$name.log")
    got=$(capture_stop "$name")
    to_dp=$(tcpdump -nn -r "$work/$name.pcap" "udp and dst host $dp_ip and dst port 9993" 2>/dev/null | wc -l)
    echo "  sent $sent, far end captured $got UDP frames, $to_dp of them to $dp_ip:9993"
  fi
done

if (( use_dp )); then
  kill -INT "$dp_pid"; wait "$dp_pid" 2>/dev/null || true; dp_pid=""
  echo "== dpdk-testpmd txonly over net_memif -> a second data plane (about 4 s)"
  sock=/tmp/flatnet-traffic-memif.sock
  rm -f "$sock"
  "$dataplane" --instance fnb-tx --port "net_memif0,role=server,socket=$sock,mac=$dp_mac" \
    --ipv4 "$dp_ip/24" --gateway4 10.0.0.2 --neighbor "10.0.0.2=02:fe:00:00:00:02" --relay on --workers 1 -- \
    --lcores 0@0,1@1 --no-pci --file-prefix fnb-tx --no-huge -m 256 >"$work/dataplane-tx.log" 2>&1 &
  dp_pid=$!
  for _ in $(seq 100); do [[ -e /dev/shm/flatnet-fnb-tx.ipc ]] && break; sleep 0.1; done
  sleep 1
  before=$(dp_stats fnb-tx)
  timeout -s INT 6 dpdk-testpmd --lcores 0@1,1@0 --no-pci --file-prefix fnb-txonly --no-huge -m 256 \
    --vdev="net_memif0,role=client,socket=$sock,mac=02:fe:00:00:00:02" -- \
    --forward-mode=txonly --eth-peer=0,$dp_mac --tx-ip=10.128.0.2,$dp_ip --tx-udp=20001,9993 \
    --txpkts=172 --total-num-mbufs=16384 --auto-start --stats-period=1 </dev/null >"$work/testpmd-txonly.log" 2>&1 || true
  sleep 0.5
  echo "  testpmd: $(grep -oE 'TX-packets: +[0-9]+' "$work/testpmd-txonly.log" | tail -1)"
  dp_delta "$before" "$(dp_stats fnb-tx)"
  kill -INT "$dp_pid"; wait "$dp_pid" 2>/dev/null || true; dp_pid=""
fi
echo "captures and logs: $work"

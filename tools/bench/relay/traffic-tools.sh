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
#   tools/bench/relay/traffic-tools.sh [-b BUILD] [-n PACKETS]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build="$repo/build-pktgen"
count=1000
while getopts "b:n:" opt; do
  case $opt in b) build=$OPTARG ;; n) count=$OPTARG ;; *) sed -n '2,13p' "$0"; exit 2 ;; esac
done
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
ip link set "$a" up
ip -n "$ns" link set "$b" address "$dp_mac" up
# Only the tools send on $a: no kernel chatter (IPv6 DAD, router solicits).
sysctl -qw "net.ipv6.conf.$a.disable_ipv6=1"
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$b.disable_ipv6=1"

capture_start() {  # capture_start NAME N: tcpdump on the far end, UDP, up to N frames
  ip netns exec "$ns" tcpdump -i "$b" -nn -U --immediate-mode -c "$2" -w "$work/$1.pcap" udp \
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

echo "== trafgen: $count VL1 packets (vl1.trafgen)"
capture_start trafgen "$count"
trafgen --dev "$a" --conf "$here/vl1.trafgen" -n "$count" --cpus 1 -t 20us >"$work/trafgen.log" 2>&1
got=$(capture_stop trafgen)
echo "sent $count, far end captured $got"
python3 - "$work/trafgen.pcap" <<'EOF'
# Check what arrived is a VL1 head: UDP to 9993, 130 bytes, flags 0x88,
# destination and source as configured.
import struct, sys
d = open(sys.argv[1], "rb").read()
off, n, ok = 24, 0, 0
while off + 16 <= len(d):
    _, _, incl, _ = struct.unpack_from("<IIII", d, off)
    f = d[off + 16: off + 16 + incl]
    off += 16 + incl
    n += 1
    udp, zt = f[34:42], f[42:]
    ok += (struct.unpack(">H", udp[2:4])[0] == 9993 and len(zt) == 130 and zt[18] == 0x88
           and zt[8:13].hex() == "89592d13a8" and zt[13:18].hex() == "d399f1ffbb")
print(f"trafgen check: {ok}/{n} frames are the configured VL1 packet")
sys.exit(0 if n and ok == n else 1)
EOF

for cap in testnet-relay/capture-br0.pcap testnet-planet/capture-br0.pcap; do
  [[ -f "$vectors/$cap" ]] || { echo "no $vectors/$cap: skipping tcpreplay"; continue; }
  name=$(echo "$cap" | tr / -)
  echo "== tcpreplay: $cap, destination rewritten to $dp_ip:9993 / $dp_mac"
  # Every IPv4 destination -> the data plane; MACs to ours; checksums fixed.
  tcprewrite --infile="$vectors/$cap" --outfile="$work/$name" \
    --dstipmap=0.0.0.0/0:$dp_ip/32 --enet-dmac=$dp_mac --enet-smac=02:fe:00:00:00:02 --fixcsum
  capture_start "$name" "$(tcpdump -nn -r "$work/$name" udp 2>/dev/null | wc -l)"
  tcpreplay -i "$a" --pps=20000 "$work/$name" >"$work/$name.log" 2>&1
  sent=$(grep -oP 'Successful packets:\s+\K[0-9]+' "$work/$name.log")
  got=$(capture_stop "$name")
  to_dp=$(tcpdump -nn -r "$work/$name.pcap" "udp and dst host $dp_ip and dst port 9993" 2>/dev/null | wc -l)
  echo "sent $sent, far end captured $got UDP frames, $to_dp of them to $dp_ip:9993"
done
echo "captures and logs: $work"

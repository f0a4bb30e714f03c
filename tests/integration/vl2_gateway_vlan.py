#!/usr/bin/env python3
"""Integration: a gateway bridging two networks on one LAN port (issue 12,
docs/gateway.md "VLAN-mapped networks"): untagged frames into network N1,
802.1Q VLAN 10 into network N2 (the data plane's "vlans"). The topology of
vl2_gateway.py (the gateway fixture, vl2_gateway_fixture.py; namespaces
prefixed fgv):

    ns <p>r root R, ns <p>c controller, ns <p>a member C (tap, in N2 only)
    ns <p>g flatnet-dataplane (af_packet underlay gu0, lan gl0) + flatnetd --dataplane
    ns <p>l LAN host H eth0 (veth to gl0)

This kernel has no 8021q module, so H's VLAN 10 frames are crafted by a
small raw-socket tool (AF_PACKET on eth0; the tag of a received frame is
read from PACKET_AUXDATA, where the kernel puts it).

Checks, bounded:
 1. the gateway's control joins N1 and N2 by itself (no taps), both as
    an active bridge, and installs both networks' tables (C in N2's);
 2. an ARP request for C's address sent by H tagged VLAN 10 crosses the
    gateway into N2 (tag stripped) and C's ARP reply comes back to H tagged
    VLAN 10 (tag pushed), with C's MAC.
Exit 77 (meson: skipped) when not root or `ip` is missing. Namespaces,
processes and files are removed whatever happens.
"""
import re
import sys

from flatnet_procs import wait_for
from netns_topology import in_ns
from vl2_gateway_fixture import GatewayTest, run_gateway_test

VID = 10
H_VLAN_IP = "10.147.19.250"

# Sends a VLAN-tagged ARP request from eth0 every 0.5 s until a tagged ARP
# reply from the address asked for arrives (or the time is up); prints
# "reply <mac> vlan <vid>".
ARP_TOOL = r"""
import socket, struct, sys, time
ifname, src_ip, dst_ip, vid, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
SOL_PACKET, PACKET_AUXDATA, TP_STATUS_VLAN_VALID = 263, 8, 0x10
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((ifname, 0))
s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
s.settimeout(0.2)
mac = s.getsockname()[4][:6]
arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac, socket.inet_aton(src_ip), b"\0" * 6,
                  socket.inet_aton(dst_ip))
frame = b"\xff" * 6 + mac + struct.pack("!HHH", 0x8100, vid, 0x0806) + arp
end = time.time() + timeout
next_send = 0
while time.time() < end:
    if time.time() >= next_send:
        s.send(frame)
        next_send = time.time() + 0.5
    try:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(64))
    except socket.timeout:
        continue
    tag = None
    for level, kind, cdata in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(cdata) >= 20:
            status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", cdata[:20])
            if status & TP_STATUS_VLAN_VALID:
                tag = tci & 0xfff
    if tag is None and len(data) >= 18 and data[12:14] == b"\x81\x00":  # not moved to auxdata
        tag = struct.unpack("!H", data[14:16])[0] & 0xfff
        data = data[:12] + data[16:]
    if len(data) < 42 or data[12:14] != b"\x08\x06" or data[0:6] != mac:
        continue
    op = struct.unpack("!H", data[20:22])[0]
    if op == 2 and data[28:32] == socket.inet_aton(dst_ip):
        print("reply %s vlan %s" % (data[22:28].hex(":"), tag), flush=True)
        sys.exit(0)
sys.exit(1)
"""


class Test(GatewayTest):
    TAG, NET = "fgv", 94

    def main(self):
        names = ["r", "c", "a"]
        self.topology(names)
        n1 = self.create_network("fgv-untagged", "10.147.18")
        n2 = self.create_network("fgv-vlan10", "10.147.19")
        for nw in (n1, n2):
            self.authorize_bridge(nw)
        self.controller("authorize", n2, self.addr["a"])
        self.cli("a", "join", n2)
        net_c = self.wait_ok("a", n2)
        c_ip = self.ipv4(net_c)
        c_mac = net_c["mac"].lower()

        # 1. both networks joined, no taps, tables installed
        self.start_gateway(n1, lan={"vlans": {str(VID): n2}})
        for nw in (n1, n2):
            self.wait_bridge(nw)
        wait_for("the networks in G's VL2 tables",
                 lambda: self.metrics("g").get("flatnet_gateway_barriers_confirmed_total", 0) > 0, 20)
        print("ok: G joined %s (untagged) and %s (VLAN %d) as an active bridge, no taps; tables installed"
              % (n1, n2, VID))

        # 2. a tagged ARP request from the LAN into N2, the tagged reply back
        r = in_ns(self.ns("l"), sys.executable, "-c", ARP_TOOL, "eth0", H_VLAN_IP, c_ip, str(VID), "30",
                  check=False, timeout=60)
        m = re.search(r"reply (\S+) vlan (\S+)", r.stdout)
        assert m, "no tagged ARP reply from C (%s):\n%s" % (c_ip, r.stdout)
        assert m.group(1) == c_mac, (m.group(1), c_mac)
        assert m.group(2) == str(VID), "reply tagged %s, not VLAN %d" % (m.group(2), VID)
        metrics = self.metrics("g")
        c = self.dp_counters()
        print("ok: H's ARP request for C (%s) tagged VLAN %d answered by C (%s), tagged VLAN %s; G's tables: "
              "members %d; data plane: lan_rx %d lan_tx %d" % (
                  c_ip, VID, m.group(1), m.group(2), metrics.get("flatnet_gateway_members", 0),
                  c.get("lan_rx_packets", 0), c.get("lan_tx_packets", 0)))


def main():
    return run_gateway_test(Test, sys.argv, ("c", "a", "g", "dpg"))


if __name__ == "__main__":
    sys.exit(main())

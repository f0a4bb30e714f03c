#!/usr/bin/env python3
"""Integration: multicast across a flatnet gateway (issue 12, docs/gateway.md
"Multicast groups of the LAN"), in the topology of vl2_gateway.py (the
gateway fixture, vl2_gateway_fixture.py; namespaces prefixed fgl):

    ns <p>r root R, ns <p>c controller, ns <p>a member A (tap), ns <p>b member
    B (tap, IPv6 off: it sends no multicast, so it never talks to the gateway)
    ns <p>g flatnet-dataplane (af_packet underlay gu0, lan gl0) + flatnetd --dataplane
    ns <p>l LAN host H eth0 10.147.18.250 (veth to gl0)

Checks, bounded:
 0. H pings B, which has never talked to the gateway: H's ARP request is a
    VL2_GROUP event (sent to (ff:ff:ff:ff:ff:ff, B's IP)), control gathers
    that group from the root, asks B (a subscriber it has not admitted) for
    its credentials, installs it, and H's next ARP request reaches B;
 1. H joins 239.1.2.3 (a socket with IP_ADD_MEMBERSHIP: the kernel sends an
    IGMPv3 report to 224.0.0.22): the gateway's data plane sees the report
    on the lan port and posts a VL2_GROUP event; control counts the group
    (flatnet_gateway_lan_groups) and the member LIKEs it;
 2. A sends UDP datagrams to 239.1.2.3: H receives one (MULTICAST_FRAME to
    the gateway, out of the lan port);
 3. A joins 239.1.2.4 on its tap (its LIKE reaches the gateway's tables): H
    sends to 239.1.2.4 and A receives it.
Exit 77 (meson: skipped) when not root or `ip` is missing. Namespaces,
processes and files are removed whatever happens.
"""
import subprocess
import sys
import time

from flatnet_procs import wait_for
from vl2_gateway_fixture import GatewayTest, H_IP, run_gateway_test

PORT = 5007

# Joins `group` on the interface with address `ip`, prints "ready", then the
# first datagram's text (or nothing after `timeout` seconds).
RECEIVER = r"""
import socket, struct, sys
group, ip, port, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((group, port))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(group) + socket.inet_aton(ip))
s.settimeout(timeout)
print("ready", flush=True)
try:
    print(s.recv(2048).decode(), flush=True)
except socket.timeout:
    pass
"""

# Sends `count` datagrams to group:port from the interface with address
# `ip`, `gap` seconds apart.
SENDER = r"""
import socket, sys, time
group, ip, port, count, gap = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ip))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
for i in range(count):
    s.sendto(("hello %s #%d" % (group, i)).encode(), (group, port))
    time.sleep(gap)
"""


class Test(GatewayTest):
    TAG, NET = "fgl", 94

    def receiver(self, name, group, ip, timeout=30):
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(name), sys.executable, "-c", RECEIVER, group, ip,
                              str(PORT), str(timeout)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert p.stdout.readline().strip() == "ready", "receiver in %s did not start" % name
        return p

    def multicast(self, src, src_ip, dst, dst_ip, group, count=60, gap=0.25):
        """dst joins `group`, src sends to it until dst received one (or
        `count` datagrams went); returns what dst received."""
        rx = self.receiver(dst, group, dst_ip)
        tx = subprocess.Popen(["ip", "netns", "exec", self.ns(src), sys.executable, "-c", SENDER, group, src_ip,
                               str(PORT), str(count), str(gap)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        try:
            got = rx.communicate(timeout=count * gap + 40)[0].strip()
        finally:
            for p in (rx, tx):
                if p.poll() is None:
                    p.kill()
                p.wait()
        return got

    def main(self):
        names = ["r", "c", "a", "b"]
        self.topology(names, ipv6_off=["b"])
        nwid = self.create_network("fgl-office", "10.147.18")
        for n in ("a", "b"):
            self.controller("authorize", nwid, self.addr[n])
        self.authorize_bridge(nwid)
        self.cli("b", "join", nwid)
        b_ip = self.ipv4(self.wait_ok("b", nwid))
        self.start_gateway(nwid)
        wait_for("G OK", lambda: (self.network("g", nwid) or {}).get("status") == "OK", 30)
        wait_for("the network in G's VL2 tables", lambda: self.installed(0), 30)

        # 0. ARP from the LAN for a member that never talked to the gateway
        m = self.metrics("g")
        assert m.get("flatnet_gateway_members", -1) == 0, m
        gathers = m.get("flatnet_vl2_gathers_sent_total", 0)
        t0 = time.time()
        self.ping("l", b_ip)
        m = self.metrics("g")
        assert m.get("flatnet_vl2_gathers_sent_total", 0) > gathers, m
        print("ok: H pings B (%s), which had not talked to the gateway: gathered, admitted, reached in %.1f s "
              "(G's tables: %d member(s), %d subscriber(s))" % (b_ip, time.time() - t0,
                                                                m.get("flatnet_gateway_members", 0),
                                                                m.get("flatnet_gateway_subscribers", 0)))

        self.cli("a", "join", nwid)
        a_ip = self.ipv4(self.wait_ok("a", nwid))
        wait_for("A and B in G's VL2 tables", lambda: self.installed(2), 30)
        self.ping("a", H_IP)  # the bridge works before we look at multicast
        print("ok: gateway installed; A pings H")

        # 1 + 2. a group joined on the LAN reaches... the LAN, from a member
        group = "239.1.2.3"
        before = self.metrics("g").get("flatnet_vl2_likes_sent_total", 0)
        rx = self.receiver("l", group, H_IP, timeout=60)
        try:
            m = wait_for("G learned H's group from its IGMP report",
                         lambda: (lambda m: m if m.get("flatnet_gateway_lan_groups", 0) >= 1 else None)(
                             self.metrics("g")), 20)
            wait_for("G LIKEd the LAN's group",
                     lambda: self.metrics("g").get("flatnet_vl2_likes_sent_total", 0) > before, 20)
            c = self.dp_counters()
            print("ok: H joined %s: G's data plane posted %d group events, control holds %d LAN group(s)" % (
                group, c.get("vl2_group_events", 0), m["flatnet_gateway_lan_groups"]))
            tx = subprocess.Popen(["ip", "netns", "exec", self.ns("a"), sys.executable, "-c", SENDER, group, a_ip,
                                   str(PORT), "60", "0.25"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            try:
                got = rx.communicate(timeout=60)[0].strip()
            finally:
                if tx.poll() is None:
                    tx.kill()
                tx.wait()
        finally:
            if rx.poll() is None:
                rx.kill()
            rx.wait()
        assert "hello %s" % group in got, "H did not receive A's datagram to %s: %r" % (group, got)
        print("ok: A -> %s reached H on the LAN: %r" % (group, got.splitlines()[-1]))

        # 3. a group a member joined, sent to from the LAN
        group = "239.1.2.4"
        got = self.multicast("l", H_IP, "a", a_ip, group)
        assert "hello %s" % group in got, "A did not receive H's datagram to %s: %r" % (group, got)
        print("ok: H -> %s reached A: %r" % (group, got.splitlines()[-1]))
        c = self.dp_counters()
        print("gateway counters: " + ", ".join("%s %d" % (k, v) for k, v in sorted(c.items())
                                                 if v and ("group" in k or "multicast" in k)))


def main():
    return run_gateway_test(Test, sys.argv, ("c", "a", "g", "dpg"))


if __name__ == "__main__":
    sys.exit(main())

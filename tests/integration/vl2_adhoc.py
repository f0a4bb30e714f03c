#!/usr/bin/env python3
"""Integration: flatnetd members on an ad-hoc network (spec §10.11: no
controller, the ID ff0a000000000001 configures itself: public, IPv4
10.x.y.z/8 from each member's address, multicast limit 1024).

A flatnetd root and three members A, B, C, each in its own namespace on
one bridge (vl2_net.py). Checks, each bounded:
 1. `flatnet join` on each: "200 join OK"; networks.d/<nwid>.conf and
    .local.conf written as stock writes them;
 2. each goes OK: the tap (stock name) is up with the member's MAC (§5.2,
    as listnetworks shows it), MTU from the config and the IPv4 address;
    `flatnet listnetworks` and `get <nwid> ip4` show it;
 3. ARP and ping A -> B, A -> C, C -> B over the virtual network (A's
    neighbour entry for B is B's member MAC);
 4. TCP: a 4 MiB transfer A -> B (python sockets), all bytes arrive. A
    and B run with the tap offload (flatnetd's default: vnet header, TSO
    super-frames cut by the sender, runs of a flow written to B's tap as
    super-frames by its GRO), A with two tap queues and an I/O thread each
    (--tap-queues 2); C runs with --no-tap-offload (a plain tap): C -> B
    and A -> C arrive whole too;
 5. B restarted: its network comes back from networks.d (no join), the
    tap back up with its address, and A pings B again; the tap of a
    stopped flatnetd is gone;
 6. `flatnet leave` on C: "200 leave OK", C's tap disappears, its
    networks.d files are removed, listnetworks is empty.
Exit 77 (meson: skipped) when not root or `ip` is missing.
"""
import os
import re
import sys
import tempfile
import time

from flatnet_procs import read, wait_for
from netns_topology import in_ns, run
from vl2_net import Nodes, planet_for, run_test, underlay

NWID = "ff0a000000000001"


class Test(Nodes):
    def __init__(self, flatnetd, cli, idtool):
        super().__init__(tempfile.mkdtemp(prefix="fnh-adhoc."), "fnh%da" % (os.getpid() % 1000),
                         flatnetd, cli)
        self.idtool = idtool
        self.created = []

    def main(self):
        names = ["r", "a", "b", "c"]
        self.ips = underlay(self.prefix, 91, names, self.created)
        self.addr = planet_for(self.idtool, self.work, names, "r", self.ips["r"])
        for n in names:
            # A and B: the tap offload (the default), A with two tap queues
            # and an I/O thread each (--tap-queues); C a plain tap.
            extra = {"a": ["--tap-queues", "2"], "c": ["--no-tap-offload"]}
            self.start_node(n, extra=extra.get(n, []))
        members = ["a", "b", "c"]

        # 1. join
        for n in members:
            out = self.cli(n, "join", NWID).stdout
            assert out.strip() == "200 join OK", out
            d = os.path.join(self.home(n), "networks.d")
            lc = read(os.path.join(d, NWID + ".local.conf"))
            assert lc == "allowManaged=1\nallowGlobal=0\nallowDefault=0\nallowDNS=0\n", lc
            assert os.path.exists(os.path.join(d, NWID + ".conf"))
        print("ok: joined %s on A, B, C (networks.d/%s.conf and .local.conf written)" % (NWID, NWID))

        # 2. OK, taps up with address, MAC, MTU
        net = {}
        for n in members:
            net[n] = self.wait_ok(n, NWID)
            dev = net[n]["portDeviceName"]
            link = in_ns(self.ns(n), "ip", "-o", "link", "show", "dev", dev).stdout
            assert net[n]["mac"] in link, (net[n]["mac"], link)
            assert "mtu %d " % net[n]["mtu"] in link, link
            ip4 = self.cli(n, "get", NWID, "ip4").stdout.strip()
            assert ip4 == self.ipv4(net[n]), (ip4, net[n])
            lines = self.cli(n, "listnetworks").stdout.splitlines()
            assert lines[0] == "200 listnetworks <nwid> <name> <mac> <status> <type> <dev> <ZT assigned ips>", lines
            assert re.match(r"200 listnetworks %s adhoc-10\.0\.0\.0 %s OK PUBLIC %s \S+" %
                            (NWID, net[n]["mac"], dev), lines[1]), lines
            print("ok: %s %s" % (n.upper(), lines[1]))
        ip = {n: self.ipv4(net[n]) for n in members}

        # 3. ARP + ping
        for src, dst in (("a", "b"), ("a", "c"), ("c", "b")):
            out = self.ping(src, ip[dst])
            print("ok: ping %s -> %s (%s): %s" % (src.upper(), dst.upper(), ip[dst],
                                                 out.strip().splitlines()[-1]))
        neigh = in_ns(self.ns("a"), "ip", "neigh", "show", ip["b"]).stdout
        assert net["b"]["mac"] in neigh, neigh
        print("ok: A's ARP entry for B: %s" % neigh.strip())

        # 4. TCP
        got, secs = self.tcp_transfer("b", "a", ip["b"])
        assert got == 4 << 20, got
        print("ok: TCP A -> B: %d bytes in %.2f s" % (got, secs))
        # C with a plain tap: sending and receiving, to and from offload taps.
        got, secs = self.tcp_transfer("b", "c", ip["b"])
        assert got == 4 << 20, got
        got2, secs2 = self.tcp_transfer("c", "a", ip["c"], port=5202)
        assert got2 == 4 << 20, got2
        m = re.search(r"^flatnet_member_tap_rx_gso_total (\d+)", self.cli("a", "/metrics").stdout, re.M)
        assert m and int(m.group(1)) > 0, "A cut no TCP super-frame"
        g = re.search(r"^flatnet_member_tap_gro_super_frames_total (\d+)",
                      self.cli("b", "/metrics").stdout, re.M)
        assert g, "B has no write-side GRO counter"
        print("ok: TCP C -> B %.2f s, A -> C %.2f s (A's tap with TSO: %s super-frames cut; "
              "B's GRO: %s super-frames written)" % (secs, secs2, m.group(1), g.group(1)))

        # 5. restart B: back from networks.d
        dev_b = net["b"]["portDeviceName"]
        self.stop("b")
        wait_for("B's tap removed when flatnetd stops", lambda: not self.tap_exists("b", dev_b), 10)
        self.start_node("b")
        n2 = self.wait_ok("b", NWID)
        assert n2["portDeviceName"] == dev_b and self.ipv4(n2) == ip["b"], n2
        self.ping("a", ip["b"])
        print("ok: B restarted: %s back from networks.d, tap %s up, A pings B" % (NWID, dev_b))

        # 6. leave
        dev_c = net["c"]["portDeviceName"]
        out = self.cli("c", "leave", NWID).stdout
        assert out.strip() == "200 leave OK", out
        wait_for("C's tap removed on leave", lambda: not self.tap_exists("c", dev_c), 10)
        d = os.path.join(self.home("c"), "networks.d")
        assert not os.path.exists(os.path.join(d, NWID + ".conf"))
        assert not os.path.exists(os.path.join(d, NWID + ".local.conf"))
        lines = self.cli("c", "listnetworks").stdout.splitlines()
        assert len(lines) == 1, lines
        print("ok: C left: tap %s removed, networks.d files removed" % dev_c)

    def cleanup(self):
        self.teardown(self.created)


def main():
    return run_test(Test, sys.argv, 3, "vl2_adhoc.py <flatnetd> <flatnet-cli> <flatnet-idtool>",
                    ("r", "a", "b", "c"))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Integration: a flatnetd member in bridge mode -- a LAN host behind it is
reached from another member through EXT_FRAME (issue 10, "a member behind a
bridge").

A flatnetd root R, a flatnetd controller C, member A, and member B started
with `--bridge brlan`: B's tap is enslaved to the Linux bridge brlan in B's
namespace, beside a veth to the LAN host H (ns <p>h, eth0 10.147.17.250/24,
no flatnet). The controller marks B an active bridge. Checks, bounded:
 1. A and B authorized and OK; B's tap is brlan's port (master brlan);
 2. A pings H (10.147.17.250): ARP for H reaches B as an active bridge,
    H's answer comes back through B (EXT_FRAME); A's neighbour entry for H
    is H's own MAC, not B's;
 3. a TCP transfer A -> H.
Exit 77 (meson: skipped) when not root or `ip` is missing.
"""
import os
import sys
import tempfile

from flatnet_procs import wait_for
from netns_topology import in_ns, run
from vl2_net import Nodes, lan_host, planet_for, run_test, underlay

H_IP = "10.147.17.250"


class Test(Nodes):
    def __init__(self, flatnetd, cli, ctl, idtool):
        super().__init__(tempfile.mkdtemp(prefix="fnh-br."), "fnh%db" % (os.getpid() % 1000),
                         flatnetd, cli)
        self.ctl, self.idtool = ctl, idtool
        self.created = []

    def controller(self, *args):
        return run("ip", "netns", "exec", self.ns("c"), self.ctl, "-D" + self.home("c"), *args)

    def lan(self):
        """ns <p>h with eth0 H_IP/24 on a veth whose other end is a port of
        brlan in B's namespace."""
        h, b = self.ns("h"), self.ns("b")
        run("ip", "netns", "add", h)
        self.created.append(h)
        in_ns(h, "ip", "link", "set", "lo", "up")
        in_ns(b, "ip", "link", "add", "brlan", "type", "bridge")
        in_ns(b, "ip", "link", "set", "brlan", "up")
        in_ns(b, "ip", "link", "add", "lanb", "type", "veth", "peer", "name", "eth0", "netns", h)
        in_ns(b, "ip", "link", "set", "lanb", "master", "brlan", "up")
        return lan_host(h, H_IP)

    def main(self):
        names = ["r", "c", "a", "b"]
        self.ips = underlay(self.prefix, 93, names, self.created)
        self.addr = planet_for(self.idtool, self.work, names, "r", self.ips["r"])
        h_mac = self.lan()
        for n in ("r", "c", "a"):
            self.start_node(n)
        self.start_node("b", extra=["--bridge", "brlan"])

        nwid = self.controller(
            "create", "name=fnh-bridged", "private=true", "v4AssignMode={\"zt\":true}",
            'ipAssignmentPools=[{"ipRangeStart":"10.147.17.10","ipRangeEnd":"10.147.17.200"}]',
            'routes=[{"target":"10.147.17.0/24","via":null}]').stdout.strip()
        self.controller("authorize", nwid, self.addr["a"])
        self.controller("authorize", nwid, self.addr["b"])
        self.controller("set", nwid, self.addr["b"], "activeBridge=true")
        # A bridge's tap carries the LAN's addresses, not the network's.
        self.cli("b", "join", nwid)
        self.cli("b", "set", nwid, "allowManaged=0")
        self.cli("a", "join", nwid)

        # 1. OK; B's tap in brlan
        net_a = self.wait_ok("a", nwid)
        def b_ok():
            n = self.network("b", nwid)
            return n if n and n["status"] == "OK" and n["bridge"] else None
        net_b = wait_for("B OK as an active bridge", b_ok, 30)
        link = in_ns(self.ns("b"), "ip", "-o", "link", "show", "dev", net_b["portDeviceName"]).stdout
        assert "master brlan" in link, link
        print("ok: B is an active bridge; tap %s is a port of brlan" % net_b["portDeviceName"])

        # 2. A reaches H through B
        out = self.ping("a", H_IP)
        print("ok: ping A -> H (%s, behind B): %s" % (H_IP, out.strip().splitlines()[-1]))
        neigh = in_ns(self.ns("a"), "ip", "neigh", "show", H_IP).stdout
        assert h_mac in neigh and net_b["mac"] not in neigh, (neigh, h_mac)
        print("ok: A's ARP entry for H: %s (H's own MAC, learned behind B)" % neigh.strip())

        # 3. TCP A -> H
        got, secs = self.tcp_transfer("h", "a", H_IP)
        assert got == 4 << 20, got
        print("ok: TCP A -> H: %d bytes in %.2f s" % (got, secs))

    def cleanup(self):
        self.teardown(self.created)


def main():
    return run_test(Test, sys.argv, 4, "vl2_bridge.py <flatnetd> <flatnet-cli> <flatnet-controller> <flatnet-idtool>",
                    ("c", "a", "b"), needs="network namespaces, taps, bridges")


if __name__ == "__main__":
    sys.exit(main())

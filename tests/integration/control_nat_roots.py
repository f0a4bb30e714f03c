#!/usr/bin/env python3
"""Integration: two flatnet roots in one planet, two leaves each behind its
own home-router NAT.

Topology (created here, names unique to this run, removed on exit):

                         br0 in ns <p>r: the "internet", 10.91.0.0/24
     ┌──────────────┬──────────────┴──────────────┬──────────────────────┐
  d1: root 1      d2: root 2            ns <p>na: NAT 10.91.0.21   ns <p>nb: NAT 10.91.0.22
  10.91.0.1       10.91.0.2                       │ masquerade              │ masquerade
  (flatnet-dataplane on net_af_packet +   ns <p>a: A 192.168.111.2   ns <p>b: B 192.168.112.2
   flatnetd --dataplane, each)

The NAT routers masquerade (port-preserving) and drop unsolicited inbound,
like home routers. The planet (flatnet-idtool initmoon/genmoon) lists both
roots. Leaves run `flatnetd --udp <lan ip>:9993 --ping <other leaf>,<root1>,<root2>`.

Checks, each bounded:
 1. both leaves HELLO both roots through their NATs (ECHO answers from each);
 2. with NAT-to-NAT datagrams dropped in br0, A's ECHOs to B are answered
    relayed (hops 1);
 3. root 1 is stopped (control and data plane): relayed replies resume
    through root 2 (the gap is printed; bound 75 s = one HELLO round + slack);
 3b. root 2's control is killed (-9) for 8 s: its data plane (which control
    had given the planet's other root as sibling) keeps relaying
    A <-> B (the ping loss is printed); restarted, it answers both leaves'
    ECHOs within 10 s;
 4. unblocked, root 2's RENDEZVOUS lets A and B punch through both NATs:
    replies turn direct (hops 0), no relayed replies after that, and B's
    path to A is A's NAT's public address (B's HTTP API /peer/<A>).

Exit 77 (meson: skipped) when not root or `ip`/`nft` is missing.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from flatnet_procs import Procs, bridge_block, identities_and_planet, read, wait_for
from netns_topology import home_router, in_ns, run, skip

R1_IP, R2_IP = "10.91.0.1", "10.91.0.2"
NATA_IP, NATB_IP = "10.91.0.21", "10.91.0.22"
A_LAN, B_LAN = "192.168.111", "192.168.112"


class Test(Procs):
    def __init__(self, flatnetd, dataplane, idtool, tableload):
        self.flatnetd, self.dataplane, self.idtool, self.tableload = flatnetd, dataplane, idtool, tableload
        tag = "fn%d" % (os.getpid() % 100000)
        self.tag = tag
        self.ns_r, self.ns_na, self.ns_nb = tag + "r", tag + "na", tag + "nb"
        self.ns_a, self.ns_b = tag + "a", tag + "b"
        self.created = []
        Procs.__init__(self, tempfile.mkdtemp(prefix="flatnet-nat-"))

    # ---- setup ----
    def topology(self):
        r = self.ns_r
        run("ip", "netns", "add", r)
        self.created.append(r)
        in_ns(r, "ip", "link", "set", "lo", "up")
        in_ns(r, "ip", "link", "add", "br0", "type", "bridge")
        in_ns(r, "ip", "link", "set", "br0", "up")
        for d in ("d1", "d2"):  # the roots' ports: no kernel address, ARP or IPv6
            in_ns(r, "ip", "link", "add", d, "type", "veth", "peer", "name", d + "p")
            in_ns(r, "sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % d, check=False)
            in_ns(r, "ip", "link", "set", d, "arp", "off", "up")
            in_ns(r, "ip", "link", "set", d + "p", "master", "br0", "up")
        home_router(r, self.ns_na, NATA_IP, self.ns_a, A_LAN, self.created)
        home_router(r, self.ns_nb, NATB_IP, self.ns_b, B_LAN, self.created)

    def identities(self):
        self.addr = identities_and_planet(self.idtool, self.work, ("r1", "r2", "a", "b"),
                                          [("r1", R1_IP), ("r2", R2_IP)])

    def start_root(self, n, port, ip):
        self.run_dataplane("dp" + n, self.dataplane, self.ns_r, self.tag + n, port, ip, self.addr[n])
        self.flatnetd_proc(n, self.ns_r, ["--dataplane", self.tag + n])

    def flatnetd_proc(self, name, ns, backend, ping=(), api=False):
        self.run_flatnetd(name, self.flatnetd, ns, os.path.join(self.work, name), backend, ping, api)

    def block(self, on):
        """Drops (or stops dropping) NAT-to-NAT datagrams in the bridge."""
        bridge_block(self.ns_r, "fnat", self.ns_na + "w", self.ns_nb + "w", on)

    def api_peer(self, ns, home, addr):
        token = read(os.path.join(self.work, home, "authtoken.secret")).strip()
        q = ("import urllib.request,sys; r=urllib.request.Request('http://127.0.0.1:9993/peer/%s',"
             "headers={'X-ZT1-Auth':sys.argv[1]}); print(urllib.request.urlopen(r,timeout=5).read().decode())"
             % addr)
        return json.loads(in_ns(ns, sys.executable, "-c", q, token).stdout)

    # ---- the test ----
    def main(self):
        self.topology()
        self.identities()
        A, B, R1, R2 = self.addr["a"], self.addr["b"], self.addr["r1"], self.addr["r2"]
        self.start_root("r1", "d1", R1_IP)
        self.start_root("r2", "d2", R2_IP)
        self.block(True)
        self.flatnetd_proc("a", self.ns_a, ["--udp", A_LAN + ".2:9993"], ping=(B, R1, R2))
        self.flatnetd_proc("b", self.ns_b, ["--udp", B_LAN + ".2:9993"], ping=(A, R1, R2), api=True)

        # 1: both leaves reach both roots through their NATs.
        for leaf in ("a", "b"):
            for root in (R1, R2):
                wait_for("%s's ECHO to root %s answered" % (leaf, root),
                         lambda: self.alive(leaf) and self.replies(leaf, root), 20)
        print("ok: leaves A and B (each behind its own NAT) reach both roots")

        # 2: relayed while NAT-to-NAT is blocked.
        wait_for("a relayed reply from B at A", lambda: "1" in self.replies("a", B), 20)
        print("ok: A -> B ECHO answered through a root (hops 1)")

        # 3: stop root 1 entirely; relaying continues through root 2.
        before = len(self.replies("a", B))
        t0 = time.time()
        self.stop("r1")
        self.stop("dpr1")
        wait_for("relayed replies from B after root 1 stopped",
                 lambda: self.alive("a") and self.alive("r2")
                 and "1" in self.replies("a", B)[before:], 75)
        gap = time.time() - t0
        after = self.replies("a", B)[before:]
        print("ok: root 1 stopped; relayed replies through root 2 after %.1f s (%d replies since)"
              % (gap, len(after)))

        # 3b: kill -9 root 2's control for 8 s: its data plane keeps relaying
        # A <-> B (A pings B once a second; the loss is printed). Restarted,
        # it answers both leaves' ECHOs within 10 s (from the data plane's
        # table and its peers cache).
        time.sleep(6)  # the peers cache is written every 5 s
        n0, ra0, rb0 = len(self.replies("a", B)), len(self.replies("a", R2)), len(self.replies("b", R2))
        self.stop("r2", signal.SIGKILL)
        t_kill = time.time()
        # Meanwhile: root 2's control had told its data plane where the
        # planet's other root is (unknown destinations go there).
        out = in_ns(self.ns_r, self.tableload, "--instance", self.tag + "r2", "list").stdout
        assert "config sibling %s:9993" % R1_IP in out, "no sibling root in root 2's data plane:\n" + out
        print("ok: root 2's data plane has the planet's other root as its sibling (%s:9993)" % R1_IP)
        outage = 8.0
        time.sleep(max(0.0, outage - (time.time() - t_kill)))
        during = self.replies("a", B)[n0:]
        assert "1" in during, "no relayed A -> B replies while root 2's control was dead"
        print("ok: root 2's control dead for %.0f s: %d of ~%d A -> B pings answered (relayed by "
              "its data plane), loss %.0f%%" % (outage, len(during), int(outage),
                                               100.0 * max(0.0, 1 - len(during) / outage)))
        t1 = time.time()
        self.flatnetd_proc("r2", self.ns_r, ["--dataplane", self.tag + "r2"])
        wait_for("restarted root 2 answers A's and B's ECHO",
                 lambda: self.alive("r2") and len(self.replies("a", R2)) > ra0
                 and len(self.replies("b", R2)) > rb0, 10)
        print("ok: restarted root 2 answers A's and B's ECHO after %.1f s" % (time.time() - t1))

        # 4: unblock; root 2's next RENDEZVOUS for the pair (at most 30 s
        # after its first, the per-pair gate) lets A and B punch through.
        self.block(False)
        wait_for("a direct reply from B at A", lambda: "0" in self.replies("a", B)[before:], 45)
        first_direct = self.replies("a", B).index("0", before)
        time.sleep(3)
        tail = self.replies("a", B)[first_direct:]
        assert "1" not in tail, "relayed replies after the direct path formed: %s" % tail
        assert len(tail) >= 2, "too few direct replies: %s" % tail
        peer = self.api_peer(self.ns_b, "b", A)
        addrs = [p.get("address", "") for p in peer.get("paths", [])]
        assert any(a.startswith(NATA_IP + "/") for a in addrs), \
            "B's paths to A are not A's NAT address %s: %s" % (NATA_IP, addrs)
        print("ok: direct path through both NATs (B reaches A at %s), %d direct replies, none relayed"
              % (",".join(addrs), len(tail)))

    def cleanup(self):
        self.teardown(self.created)


def main():
    if len(sys.argv) < 5:
        print("usage: control_nat_roots.py <flatnetd> <flatnet-dataplane> <flatnet-idtool> <flatnet-tableload>")
        return 2
    if os.geteuid() != 0:
        skip("needs root (network namespaces, DPDK)")
    for tool in ("ip", "nft"):
        if not shutil.which(tool):
            skip("'%s' not found" % tool)
    t = Test(*[os.path.abspath(p) for p in sys.argv[1:5]])
    try:
        t.main()
        return 0
    except Exception as e:
        print("FAIL: %s" % e)
        t.stop_controls()
        t.print_tails(("r1", "r2", "a", "b", "dpr1", "dpr2"))
        return 1
    finally:
        t.cleanup()


if __name__ == "__main__":
    sys.exit(main())

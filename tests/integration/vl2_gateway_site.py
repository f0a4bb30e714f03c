#!/usr/bin/env python3
"""Integration: two flatnet gateways join two LANs into one network (site
to site, issue 12) -- each a flatnet-dataplane with an af_packet underlay
and an af_packet `lan` port, driven by its flatnetd --dataplane, both
authorized as active bridges, and one flatnet member M.

    ns <p>r root R ──────┐
    ns <p>c controller ──┼─ br0 (ns <p>br, 10.<n>.0.0/24)
    ns <p>m member M ────┤  (flatnetd with a tap, joins after the gateways)
    ns <p>ga gateway GA ─┤  gu0 ... gl0 ── eth0 of LAN host HA (ns <p>la)
    ns <p>gb gateway GB ─┘  gu0 ... gl0 ── eth0 of LAN host HB (ns <p>lb)

    HA 10.147.19.11 ─ GA ─(underlay)─ GB ─ HB 10.147.19.22
                          └── M (10.147.19.1xx)

Checks, bounded:
 1. GA and GB join the network the lan ports bridge, each an active bridge,
    and each installs the other as a member; member M joins and each
    gateway installs it too (flatnet_gateway_members 2);
 2. HA pings HB: HA's ARP broadcast leaves GA as a MULTICAST_FRAME to the
    network's bridges, HB's answer comes back as an EXT_FRAME (GB learned
    HA's MAC behind GA from the multicast frame); HA's neighbour entry for
    HB is HB's own MAC; then HB pings HA (neighbours flushed);
 3. TCP HA -> HB and HB -> HA (4 MiB each): every frame crosses as a
    unicast EXT_FRAME bridge to bridge (each gateway's vl2_encap_unicast
    grows by at least the segments carried, vl2_encap_flooded does not
    grow: the remote MAC is in its table behind the other bridge), the
    other gateway decapsulates them (vl2_decap_frames), and the 1,514-byte
    frames are fragmented (vl2_encap_fragments) and joined (vl2_reasm_done);
 4. HA pings M before M sent anything to the LAN: HA's ARP reaches M only
    if M LIKEd its groups to GA, which it does once it admits GA -- GA's
    control must show M its credentials (the fast path's frames carry none).
Each data plane runs on its own CPU (`--lcores 0@0` / `0@1`) when the
machine has two. Exit 77 (meson: skipped) when not root or `ip` is missing.
Namespaces, processes and files are removed whatever happens.
"""
import json
import os
import re
import shutil
import sys
import tempfile
import time

from flatnet_procs import read, wait_for
from netns_topology import in_ns, run
from vl2_net import Nodes, planet_for, run_test, underlay

NET = 95
HOSTS = {"a": "10.147.19.11", "b": "10.147.19.22"}
GW_IPS = {"a": "10.%d.0.21" % NET, "b": "10.%d.0.22" % NET}
NBYTES = 4 << 20


class Test(Nodes):
    def __init__(self, flatnetd, cli, ctl, idtool, dataplane, tableload):
        super().__init__(tempfile.mkdtemp(prefix="fgs."), "fgs%d" % (os.getpid() % 1000), flatnetd, cli)
        self.ctl, self.idtool, self.dp, self.tableload = ctl, idtool, dataplane, tableload
        self.created = []
        self.macs = {}

    def controller(self, *args):
        return run("ip", "netns", "exec", self.ns("c"), self.ctl, "-D" + self.home("c"), *args)

    def site(self, s):
        """ns <p>g<s> with gu0 (a port of br0, no address: the data plane
        owns it) and gl0, a veth to host H<s>'s eth0 in ns <p>l<s>."""
        g, l, br = self.ns("g" + s), self.ns("l" + s), self.ns("br")
        for ns in (g, l):
            run("ip", "netns", "add", ns)
            self.created.append(ns)
            in_ns(ns, "ip", "link", "set", "lo", "up")
        in_ns(br, "ip", "link", "add", g + "p", "type", "veth", "peer", "name", "gu0", "netns", g)
        in_ns(br, "ip", "link", "set", g + "p", "master", "br0", "up")
        in_ns(g, "ip", "link", "add", "gl0", "type", "veth", "peer", "name", "eth0", "netns", l)
        for dev in ("gu0", "gl0"):
            in_ns(g, "sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % dev, check=False)
            in_ns(g, "ip", "link", "set", dev, "arp", "off", "up")
        in_ns(l, "ip", "addr", "add", HOSTS[s] + "/24", "dev", "eth0")
        in_ns(l, "ip", "link", "set", "eth0", "up")
        if shutil.which("ethtool"):
            in_ns(l, "ethtool", "-K", "eth0", "tx", "off", check=False)
        link = in_ns(l, "ip", "-o", "link", "show", "dev", "eth0").stdout
        self.macs[s] = re.search(r"link/ether (\S+)", link).group(1)

    def start_gateway(self, s, nwid, cpu):
        """flatnet-dataplane of site s (instance <p>i<s>, EAL file prefix
        <p>e<s>, its lcore on `cpu` when given) and its flatnetd --dataplane."""
        inst = self.prefix + "i" + s
        eal = ["--file-prefix=%se%s" % (self.prefix, s)]
        if cpu is not None:
            eal.append("--lcores=0@%d" % cpu)
        cfg = {
            "instance": inst,
            "ports": [{"devargs": "net_af_packet0,iface=gu0"},
                      {"devargs": "net_af_packet1,iface=gl0", "role": "lan", "network": nwid}],
            "ipv4": GW_IPS[s] + "/24", "address": self.addr["g" + s], "relay": False,
            "workers": 0, "memory_mb": 256, "table_capacity": 1024, "eal": eal,
        }
        path = os.path.join(self.work, "dp%s.json" % s)
        with open(path, "w") as f:
            json.dump(cfg, f)
        name = "dp" + s
        self.start(name, ["ip", "netns", "exec", self.ns("g" + s), self.dp, "-c", path, "--",
                          "--log-level=*:warning"], mode="w")
        wait_for("flatnet-dataplane %s ready" % name, lambda: self.alive(name) and
                 "flatnet-dataplane: ready" in self.logtext(name), 30)
        g = "g" + s
        self.start(g, ["ip", "netns", "exec", self.ns(g), self.flatnetd, "-H", self.home(g),
                       "--dataplane", inst, "--log-level", "debug"])
        wait_for("%s's API" % g, lambda: self.alive(g) and self.cli(g, "info", check=False).returncode == 0, 20)

    def metrics(self, name):
        token = read(self.home(name) + "/authtoken.secret").strip()
        q = ("import urllib.request,sys; r=urllib.request.Request('http://127.0.0.1:9993/metrics',"
             "headers={'X-ZT1-Auth':sys.argv[1]}); print(urllib.request.urlopen(r,timeout=5).read().decode())")
        r = run("ip", "netns", "exec", self.ns(name), sys.executable, "-c", q, token, check=False)
        out = {}
        for line in r.stdout.splitlines() if r.returncode == 0 else []:
            m = re.match(r"^([a-z_0-9]+) (\S+)$", line)
            if m:
                out[m.group(1)] = float(m.group(2))
        return out

    def installed(self, g):
        """True once gateway g's VL2 tables hold the other gateway and M, confirmed."""
        m = self.metrics(g)
        return m.get("flatnet_gateway_members", -1) == 2 and m.get("flatnet_gateway_pending", 1) == 0 \
            and m.get("flatnet_gateway_in_flight", 1) == 0 and m.get("flatnet_gateway_barriers_confirmed_total", 0) > 0

    def counters(self, s):
        """Data plane s's counters (totals), published every 100 ms: read
        after a 0.3 s pause so the last frames are in."""
        time.sleep(0.3)
        r = run(self.tableload, "--instance", self.prefix + "i" + s, "stats", "--json", check=False)
        if r.returncode != 0:
            return {}
        return {k: v[0] for k, v in json.loads(r.stdout.strip().splitlines()[-1])["counters"].items()}

    @staticmethod
    def delta(after, before, key):
        return after.get(key, 0) - before.get(key, 0)

    def transfer(self, src, dst):
        """NBYTES of TCP from LAN host H<src> to H<dst>; asserts every
        frame crossed bridge to bridge as a unicast EXT_FRAME."""
        before = {s: self.counters(s) for s in ("a", "b")}
        got, secs = self.tcp_transfer("l" + dst, "l" + src, HOSTS[dst], NBYTES)
        assert got == NBYTES, got
        after = {s: self.counters(s) for s in ("a", "b")}
        # The data segments at least (MSS 1,448 on a 1,500-byte MTU), less a
        # margin: TCP may send a few shorter segments, which need no fragments.
        segs = NBYTES // 1448 * 9 // 10
        uni = self.delta(after[src], before[src], "vl2_encap_unicast")
        flood = self.delta(after[src], before[src], "vl2_encap_flooded") + \
            self.delta(after[dst], before[dst], "vl2_encap_flooded")
        frags = self.delta(after[src], before[src], "vl2_encap_fragments")
        decap = self.delta(after[dst], before[dst], "vl2_decap_frames")
        reasm = self.delta(after[dst], before[dst], "vl2_reasm_done")
        back = self.delta(after[dst], before[dst], "vl2_encap_unicast")
        print("ok: TCP H%s -> H%s: %d bytes in %.2f s; G%s encap unicast +%d (fragments +%d), flooded +%d "
              "(both); G%s decap +%d (joined +%d), acks back unicast +%d" % (
                  src.upper(), dst.upper(), got, secs, src.upper(), uni, frags, flood, dst.upper(), decap,
                  reasm, back))
        assert uni >= segs, "G%s sent %d unicast frames for >= %d segments" % (src.upper(), uni, segs)
        assert flood == 0, "%d frames flooded: the remote MAC was not learned behind the bridge" % flood
        assert frags >= segs, "1,514-byte frames not fragmented (%d)" % frags
        assert decap >= segs and reasm >= segs, (decap, reasm)
        assert back > 0, "no ACKs back as unicast"

    def main(self):
        t_start = time.time()
        names = ["r", "c", "m"]
        self.ips = underlay(self.prefix, NET, names, self.created)
        self.addr = planet_for(self.idtool, self.work, names + ["ga", "gb"], "r", self.ips["r"])
        for s in ("a", "b"):
            self.site(s)
        for n in names:
            self.start_node(n)
        nwid = self.controller(
            "create", "name=fgs-sites", "private=true", "v4AssignMode={\"zt\":true}",
            'ipAssignmentPools=[{"ipRangeStart":"10.147.19.100","ipRangeEnd":"10.147.19.200"}]',
            'routes=[{"target":"10.147.19.0/24","via":null}]').stdout.strip()
        self.controller("authorize", nwid, self.addr["m"])
        for g in ("ga", "gb"):
            self.controller("authorize", nwid, self.addr[g])
            self.controller("set", nwid, self.addr[g], "activeBridge=true")
        cpus = os.cpu_count() or 1
        for i, s in enumerate(("a", "b")):
            self.start_gateway(s, nwid, i if cpus >= 2 else None)
        print("data planes: %s" % ("GA on CPU 0, GB on CPU 1" if cpus >= 2 else "one CPU, shared"))

        # 1. both join as active bridges, each installs the other
        for g in ("ga", "gb"):
            def ok(g=g):
                n = self.network(g, nwid)
                return n if n and n["status"] == "OK" and n["bridge"] else None
            net = wait_for("%s OK as an active bridge" % g, ok, 30)
            assert not net.get("portDeviceName"), net
        self.cli("m", "join", nwid)
        m_ip = self.ipv4(self.wait_ok("m", nwid))
        for g in ("ga", "gb"):
            wait_for("the other gateway in %s's VL2 tables" % g, lambda g=g: self.installed(g), 30)
        print("ok: GA and GB joined %s as active bridges; each holds the other and M (%s) in its VL2 tables"
              % (nwid, m_ip))

        # 2. ARP and ping both ways
        out = self.ping("la", HOSTS["b"])
        print("ok: ping HA -> HB (%s): %s" % (HOSTS["b"], out.strip().splitlines()[-1]))
        neigh = in_ns(self.ns("la"), "ip", "neigh", "show", HOSTS["b"]).stdout
        assert self.macs["b"] in neigh, (neigh, self.macs["b"])
        in_ns(self.ns("lb"), "ip", "neigh", "flush", "dev", "eth0", check=False)
        out = self.ping("lb", HOSTS["a"])
        print("ok: ping HB -> HA (%s): %s" % (HOSTS["a"], out.strip().splitlines()[-1]))
        neigh = in_ns(self.ns("lb"), "ip", "neigh", "show", HOSTS["a"]).stdout
        assert self.macs["a"] in neigh, (neigh, self.macs["a"])
        for s in ("a", "b"):
            c = self.counters(s)
            assert c.get("vl2_learn_posted", 0) > 0, c
            print("G%s counters: %s" % (s.upper(), json.dumps(
                {k: v for k, v in c.items() if v and ("vl2" in k or "lan" in k)})))

        # 3. TCP both ways, bridge to bridge
        self.transfer("a", "b")
        self.transfer("b", "a")

        # 4. a LAN host reaches a member that never sent to the LAN
        wait_for("M's LIKEs in GA's tables", lambda: self.metrics("ga").get("flatnet_gateway_subscribers", 0) > 0, 20)
        out = self.ping("la", m_ip)
        print("ok: ping HA -> M (%s), M silent before: %s" % (m_ip, out.strip().splitlines()[-1]))
        print("test time %.1f s" % (time.time() - t_start))

    def cleanup(self):
        self.teardown(self.created)


def main():
    return run_test(Test, sys.argv, 6, "vl2_gateway_site.py <flatnetd> <flatnet-cli> <flatnet-controller> "
                    "<flatnet-idtool> <flatnet-dataplane> <flatnet-tableload>",
                    ("c", "m", "ga", "gb", "dpa", "dpb"))


if __name__ == "__main__":
    sys.exit(main())

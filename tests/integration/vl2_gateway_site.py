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
import sys
import time

from flatnet_procs import wait_for
from netns_topology import in_ns
from vl2_gateway_fixture import GatewayTest, run_gateway_test

NET = 95
HOSTS = {"a": "10.147.19.11", "b": "10.147.19.22"}
GW_IPS = {"a": "10.%d.0.21" % NET, "b": "10.%d.0.22" % NET}
NBYTES = 4 << 20


class Test(GatewayTest):
    TAG = "fgs"
    NET = NET

    def counters(self, s):
        """Data plane s's counters (totals), published every 100 ms: read
        after a 0.3 s pause so the last frames are in."""
        time.sleep(0.3)
        return self.dp_counters("g" + s)

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
        self.macs = self.topology(names, HOSTS)
        nwid = self.create_network("fgs-sites", "10.147.19", first=100)
        self.controller("authorize", nwid, self.addr["m"])
        for g in ("ga", "gb"):
            self.authorize_bridge(nwid, g)
        # 1. both join as active bridges, each installs the other
        m_ip = self.two_gateways(nwid, GW_IPS)
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


def main():
    return run_gateway_test(Test, sys.argv, ("c", "m", "ga", "gb", "dpga", "dpgb"))


if __name__ == "__main__":
    sys.exit(main())

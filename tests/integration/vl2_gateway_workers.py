#!/usr/bin/env python3
"""Integration: a flatnet gateway with two workers (issue 12, "Multi-core";
docs/gateway.md "Several workers"), in the topology of vl2_gateway.py (its
Test class; namespaces prefixed fnr):

    ns <p>r root R, ns <p>c controller, ns <p>a member A (tap)
    ns <p>g flatnet-dataplane, workers 2: af_packet qpairs=2 on the underlay
            gu0 and on the LAN gl0 (kernel fanout hash) + flatnetd --dataplane
    ns <p>l LAN host H eth0 10.147.18.250 (veth to gl0)

The machine may have fewer cores than lcores: the workers share them with
the main lcore and everything else (the idle back-off makes that work).

Checks, bounded:
 1. the data plane runs two workers with two queue pairs on each port;
 2. A pings H and H pings A (ARP both ways across the gateway);
 3. 8 parallel TCP streams H -> A, then 8 A -> H (python sockets, 2 MiB
    each, seeded pseudo-random bytes): every stream arrives complete and
    intact (SHA-256 on both ends);
 4. both workers carried LAN frames (the per-worker counters of the data
    plane's counters block), and vl2_flow_moves_* is in /metrics;
 5. reported, not asserted (they depend on the kernel's fanout rollover
    under load, i.e. on timing): vl2_flow_moves_decap / _encap (frames of a
    flow seen on another worker than its last one within 10 ms) and the
    receivers' TcpExtTCPOFOQueue.
Exit 77 (meson: skipped) when not root or `ip` is missing. Namespaces,
processes and files are removed whatever happens.
"""
import json
import re
import subprocess
import sys

from flatnet_procs import wait_for
from netns_topology import in_ns
from vl2_gateway_fixture import GatewayTest, H_IP, run_gateway_test

STREAMS = 8
STREAM_BYTES = 2 << 20
PORT = 5301

# Accepts `n` connections, reads each to its end; prints "ready", then one
# line per stream: "<index> <bytes> <sha256>" (the index is the stream's
# first 4 bytes).
SERVER = r"""
import hashlib, socket, sys, threading
ip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((ip, port)); s.listen(n); s.settimeout(60)
print("ready", flush=True)
out, lock = [], threading.Lock()
def take(c):
    c.settimeout(60); h = hashlib.sha256(); total = 0; first = b""
    while True:
        b = c.recv(1 << 16)
        if not b: break
        if len(first) < 4: first += b[:4 - len(first)]
        h.update(b); total += len(b)
    c.sendall(b"done"); c.close()
    with lock: out.append("%d %d %s" % (int.from_bytes(first, "big") if len(first) == 4 else -1, total, h.hexdigest()))
ts = []
for _ in range(n):
    c, _ = s.accept(); t = threading.Thread(target=take, args=(c,)); t.start(); ts.append(t)
for t in ts: t.join(90)
print("\n".join(sorted(out)), flush=True)
"""

# Opens `n` connections at once, sends `size` seeded pseudo-random bytes on
# each (the stream's index in the first 4), prints the same lines as SERVER.
CLIENT = r"""
import hashlib, random, socket, sys, threading
ip, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out, lock = [], threading.Lock()
def send(i):
    data = i.to_bytes(4, "big") + random.Random(i).randbytes(size - 4)
    s = socket.create_connection((ip, port), timeout=30); s.settimeout(60)
    s.sendall(data); s.shutdown(socket.SHUT_WR); s.recv(16); s.close()
    with lock: out.append("%d %d %s" % (i, len(data), hashlib.sha256(data).hexdigest()))
ts = [threading.Thread(target=send, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join(120)
print("\n".join(sorted(out)), flush=True)
"""


class Test(GatewayTest):
    TAG, NET = "fnr", 94

    def per_worker(self):
        """counter -> [worker 0, worker 1] from the data plane's counters block."""
        r = subprocess.run([self.tableload, "--instance", self.instance, "stats", "--json"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        rows = json.loads(r.stdout.strip().splitlines()[-1])["counters"]
        return {k: v[1:3] for k, v in rows.items()}  # [total, channel 0, channel 1, main]

    def ofo(self, name):
        """TcpExtTCPOFOQueue of the namespace (segments queued out of order)."""
        text = in_ns(self.ns(name), "cat", "/proc/net/netstat").stdout.splitlines()
        for head, vals in zip(text[::2], text[1::2]):
            if head.startswith("TcpExt:"):
                return int(dict(zip(head.split()[1:], vals.split()[1:])).get("TCPOFOQueue", 0))
        return 0

    def streams(self, server, client, server_ip):
        """STREAMS parallel TCP streams client -> server; asserts each
        arrived whole and intact; returns the number of streams."""
        srv = subprocess.Popen(["ip", "netns", "exec", self.ns(server), sys.executable, "-c", SERVER, server_ip,
                                str(PORT), str(STREAMS)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
        try:
            assert srv.stdout.readline().strip() == "ready", "stream server in %s did not start" % server
            sent = in_ns(self.ns(client), sys.executable, "-c", CLIENT, server_ip, str(PORT), str(STREAMS),
                         str(STREAM_BYTES), timeout=180).stdout.split("\n")
            got = srv.communicate(timeout=120)[0].split("\n")
        finally:
            if srv.poll() is None:
                srv.kill()
                srv.wait()
        line = re.compile(r"^-?\d+ \d+ [0-9a-f]{64}$")
        sent = sorted(x for x in sent if line.match(x.strip()))
        got = sorted(x for x in got if line.match(x.strip()))
        assert len(sent) == STREAMS, "client %s finished %d of %d streams: %r" % (client, len(sent), STREAMS, sent)
        assert got == sent, "streams %s -> %s differ:\nsent %r\ngot  %r" % (client, server, sent, got)
        return len(got)

    def main(self):
        names = ["r", "c", "a"]
        self.topology(names)
        nwid = self.create_network("fnr-office", "10.147.18")
        self.controller("authorize", nwid, self.addr["a"])
        self.authorize_bridge(nwid)
        self.cli("a", "join", nwid)
        a_ip = self.ipv4(self.wait_ok("a", nwid))

        # 1. two workers, two queue pairs on each port
        self.start_gateway(nwid, devargs=",qpairs=2", config={"workers": 2})
        log = self.logtext("dpg")
        assert re.search(r"queues 2 rss \S+ workers 2", log), log
        assert re.search(r"lan port \S+ \(net_af_packet\) mac \S+ queues 2", log), log
        wait_for("G OK", lambda: (self.network("g", nwid) or {}).get("status") == "OK", 30)
        wait_for("the network in G's VL2 tables",
                 lambda: self.metrics("g").get("flatnet_gateway_barriers_confirmed_total", 0) > 0, 20)
        print("ok: G runs 2 workers, af_packet qpairs=2 on the underlay and the LAN port")

        # 2. ARP and ping both ways
        self.ping("a", H_IP)
        wait_for("A's LIKEs in G's VL2 tables",
                 lambda: self.metrics("g").get("flatnet_gateway_subscribers", 0) > 0, 20)
        in_ns(self.ns("l"), "ip", "neigh", "flush", "dev", "eth0", check=False)
        out = self.ping("l", a_ip)
        print("ok: A pings H, H pings A (%s): %s" % (a_ip, out.strip().splitlines()[-1]))

        # 3. parallel streams both ways, intact
        ofo0 = {n: self.ofo(n) for n in ("a", "l")}
        self.streams("a", "l", a_ip)
        print("ok: %d TCP streams H -> A of %d bytes each, intact (SHA-256)" % (STREAMS, STREAM_BYTES))
        self.streams("l", "a", H_IP)
        print("ok: %d TCP streams A -> H of %d bytes each, intact (SHA-256)" % (STREAMS, STREAM_BYTES))

        # 4. both workers carried frames; the move counters are published
        w = self.per_worker()
        print("per worker: " + ", ".join("%s %s" % (k, w[k]) for k in (
            "rx_packets", "lan_rx_packets", "lan_tx_packets", "vl2_decap_frames", "vl2_encap_unicast",
            "vl2_flow_moves_decap", "vl2_flow_moves_encap")))
        assert all(v > 0 for v in w["lan_rx_packets"]), "a worker received no LAN frame: %r" % w["lan_rx_packets"]
        assert all(v > 0 for v in w["polls"]), w["polls"]
        m = self.metrics("g")
        assert "flatnet_dataplane_vl2_flow_moves_decap_total" in m, sorted(k for k in m if "dataplane" in k)
        assert "flatnet_dataplane_vl2_flow_moves_encap_total" in m, sorted(k for k in m if "dataplane" in k)
        print("ok: both workers carried LAN frames (lan_rx_packets %r)" % w["lan_rx_packets"])

        # 5. reordering risk and reordering seen, reported
        ofo = {n: self.ofo(n) - ofo0[n] for n in ("a", "l")}
        print("report: vl2_flow_moves decap %d encap %d (/metrics %d / %d); TcpExtTCPOFOQueue A +%d, H +%d" % (
            sum(w["vl2_flow_moves_decap"]), sum(w["vl2_flow_moves_encap"]),
            m["flatnet_dataplane_vl2_flow_moves_decap_total"], m["flatnet_dataplane_vl2_flow_moves_encap_total"],
            ofo["a"], ofo["l"]))


def main():
    return run_gateway_test(Test, sys.argv, ("c", "a", "g", "dpg"))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Authorize through the /controller API on a network of N members (issue 11's
"authorize one member p50/p99 <= 5 ms / 20 ms through the API"). Makes a
stock-layout controller.d with one network of N members (as members that
joined: identity, one IP, versions), imports it with flatnet-ctlstore into a
fresh home, starts flatnetd on a free loopback port, then times `--samples`
POSTs {"authorized": true/false} to random members over one keep-alive
connection (client time, so HTTP and JSON are included), and a few reads.
    controller-api-bench.py <build dir> [--members 100000] [--samples 1000]"""
import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from controller_node import Node  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--members", type=int, default=100000)
    ap.add_argument("--samples", type=int, default=1000)
    a = ap.parse_args()
    b = os.path.abspath(a.build)
    work = tempfile.mkdtemp(prefix="fna-bench-")
    node = Node(b + "/control/flatnetd", b + "/tools/idtool/flatnet-idtool", work)
    try:
        address = open(node.home + "/identity.public").read().split(":")[0]
        nwid = address + "00beef"
        d = os.path.join(work, "controller.d", "network")
        os.makedirs(os.path.join(d, nwid, "member"))
        with open(os.path.join(d, nwid + ".json"), "w") as f:
            json.dump({"id": nwid, "nwid": nwid, "objtype": "network", "name": "bench",
                       "private": True, "revision": 1}, f)
        addrs = ["%010x" % (0x1000000000 + i) for i in range(a.members)]
        for i, m in enumerate(addrs):
            with open(os.path.join(d, nwid, "member", m + ".json"), "w") as f:
                json.dump({"id": m, "address": m, "nwid": nwid, "objtype": "member",
                           "authorized": True, "revision": 1,
                           "identity": m + ":0:" + "ab" * 64,
                           "ipAssignments": ["10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)],
                           "vMajor": 1, "vMinor": 14, "vRev": 1, "vProto": 12}, f)
        t = time.time()
        subprocess.run([b + "/tools/ctlstore/flatnet-ctlstore", "-D" + node.home, "import",
                        os.path.join(work, "controller.d")], check=True, stdout=subprocess.DEVNULL)
        print("imported %d members in %.1f s" % (a.members, time.time() - t))
        node.start()
        c = http.client.HTTPConnection("127.0.0.1", node.port, timeout=30)
        hdr = {"X-ZT1-Auth": node.token, "Content-Type": "application/json"}

        def timed(method, path, body=None):
            t0 = time.perf_counter()
            c.request(method, path, body=body, headers=hdr)
            r = c.getresponse()
            r.read()
            assert r.status == 200, (method, path, r.status)
            return (time.perf_counter() - t0) * 1000

        rng = random.Random(1)
        base = "/controller/network/%s/member/" % nwid
        auth = [timed("POST", base + rng.choice(addrs),
                      json.dumps({"authorized": bool(i % 2)})) for i in range(a.samples)]
        get = [timed("GET", base + rng.choice(addrs)) for _ in range(a.samples)]
        net = [timed("GET", "/controller/network/" + nwid) for _ in range(200)]
        t = time.perf_counter()
        timed("GET", "/controller/network/%s/member" % nwid)
        listing = (time.perf_counter() - t) * 1000
        rss = 0
        with open("/proc/%d/status" % node.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) // 1024
        print("members %d, samples %d" % (a.members, a.samples))
        for name, xs in (("authorize (POST)", auth), ("get member", get), ("get network", net)):
            print("%-18s p50 %.2f ms  p99 %.2f ms" % (name, pct(xs, 50), pct(xs, 99)))
        print("%-18s %.0f ms (all %d ids)" % ("list members", listing, a.members))
        print("flatnetd RSS %d MiB" % rss)
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

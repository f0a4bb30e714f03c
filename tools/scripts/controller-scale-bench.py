#!/usr/bin/env python3
"""Issue 11's scale rows through the local API, flatnetd beside stock 1.14.1's
file-backed controller, in one run on one machine (docs/bench-controller.md).

    controller-scale-bench.py <build dir> <stock zerotier-one> [--members 100000]
        [--stock-members 1000,10000] [--samples 500] [--rounds 5]

Needs root: it makes a network namespace (fnc-bench-<pid>) with loopback and
a veth pair whose both ends stay inside (stock binds no loopback address for
VL1, so its UDP is reached on the veth's 10.77.0.1), and runs itself, flatnetd and every stock node inside it, so stock (which
would otherwise call its planet's roots) reaches nothing; the namespace and
temp homes are removed after. Stock is never part of this tree: build or
fetch 1.14.1 elsewhere and give the binary's path.

Both sides get their members the same way -- not by generating identities:
a stock-layout controller.d (one network, N members that joined: an identity
string, one IP, versions) is written once; flatnetd imports it into its
SQLite store with flatnet-ctlstore, stock reads it at start (its FileDB). All
daemons run at once, and the timed rounds alternate between them, so each
round of each side sees the same machine load:
  - authorize one member: POST .../member/<addr> {"authorized": bool}
  - create one member: POST .../member/<new addr>
  - get one member, get the network
  - (each request on a new connection, connect time included)
  - a config request over UDP (flatnet-bench-ncr-probe: one member with a real
    identity, authorized on every side, times request -> whole verified config)
  - list members (GET .../member): every member in one answer on both sides
    (stock's only list; neither API pages it)
Memory: the daemon's RSS with the network minus its RSS with an empty
controller, per member. Prints a table of medians over rounds (with min-max
across rounds) and writes the raw numbers as JSON with --json."""
import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def write_controller_d(root, nwid, n):
    """A stock controller.d with one private network of n members."""
    d = os.path.join(root, "network")
    os.makedirs(os.path.join(d, nwid, "member"))
    with open(os.path.join(d, nwid + ".json"), "w") as f:
        json.dump({"id": nwid, "nwid": nwid, "objtype": "network", "name": "bench",
                   "private": True, "revision": 1,
                   "v4AssignMode": {"zt": True},
                   "routes": [{"target": "10.0.0.0/8", "via": None}],
                   "ipAssignmentPools": [{"ipRangeStart": "10.0.0.1",
                                          "ipRangeEnd": "10.255.255.254"}]}, f)
    addrs = ["%010x" % (0x1000000000 + i) for i in range(n)]
    for i, m in enumerate(addrs):
        with open(os.path.join(d, nwid, "member", m + ".json"), "w") as f:
            json.dump({"id": m, "address": m, "nwid": nwid, "objtype": "member",
                       "authorized": True, "revision": 1, "activeBridge": False,
                       "identity": m + ":0:" + "ab" * 64,
                       "ipAssignments": ["10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)],
                       "vMajor": 1, "vMinor": 14, "vRev": 1, "vProto": 12}, f)
    return addrs


class Api:
    # One connection per request (as curl and most UI back ends' default
    # clients do). On a kept-alive connection every stock answer waits ~40 ms:
    # it writes its answer in pieces with Nagle on, and the client delays its
    # ACK -- a client artefact, not the controller's cost.
    def __init__(self, port, token):
        self.port = port
        self.hdr = {"X-ZT1-Auth": token, "Content-Type": "application/json"}

    def timed(self, method, path, body=None):
        t0 = time.perf_counter()
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        c.request(method, path, body=body, headers=self.hdr)
        r = c.getresponse()
        data = r.read()
        ms = (time.perf_counter() - t0) * 1000
        c.close()
        if r.status != 200:
            raise RuntimeError("%s %s: %d %s" % (method, path, r.status, data[:200]))
        return ms, data


def wait_api(port, token, proc, timeout=600):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("daemon exited with %d" % proc.returncode)
        try:
            Api(port, token).timed("GET", "/controller")
            return
        except (OSError, RuntimeError, http.client.HTTPException):
            time.sleep(0.2)
    raise RuntimeError("API on %d did not answer" % port)


class Stock:
    """Stock zerotier-one with its own temp home, a controller.d of n members."""
    # Stock binds no loopback address for VL1: it answers UDP on the veth's.
    udp_ip = "10.77.0.1"

    def __init__(self, binary, work, name, port, n):
        self.home = os.path.join(work, name)
        os.makedirs(self.home)
        idtool = os.path.join(os.path.dirname(binary), "zerotier-idtool")
        subprocess.run([idtool, "generate", self.home + "/identity.secret",
                        self.home + "/identity.public"], check=True, stdout=subprocess.DEVNULL)
        self.address = open(self.home + "/identity.public").read().split(":")[0]
        self.nwid = self.address + "00beef"
        self.binary, self.port, self.n = binary, port, n
        with open(self.home + "/local.conf", "w") as f:
            json.dump({"settings": {"primaryPort": port, "portMappingEnabled": False,
                                    "allowTcpFallbackRelay": False}}, f)
        self.addrs = []
        self.proc = None

    def fill(self):
        t = time.time()
        self.addrs = write_controller_d(os.path.join(self.home, "controller.d"), self.nwid, self.n)
        return time.time() - t

    def start(self):
        self.log = open(self.home + "/stock.log", "w")
        self.proc = subprocess.Popen([self.binary, "-p%d" % self.port, self.home],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        while not os.path.exists(self.home + "/authtoken.secret"):
            time.sleep(0.1)
        time.sleep(0.2)
        self.token = open(self.home + "/authtoken.secret").read().strip()
        t = time.time()
        wait_api(self.port, self.token, self.proc)
        # Stock answers before its DB finished loading: wait until the list is whole.
        api = Api(self.port, self.token)
        end = time.time() + 900
        while self.addrs:
            if time.time() > end or self.proc.poll() is not None:
                raise RuntimeError("stock did not load its %d members" % self.n)
            try:
                _, body = api.timed("GET", "/controller/network/%s/member" % self.nwid)
                if len(json.loads(body)) >= self.n:
                    break
            except RuntimeError:
                pass
            time.sleep(0.5)
        return time.time() - t

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Flatnet:
    udp_ip = "127.0.0.1"
    def __init__(self, build, work, n):
        from controller_node import Node
        self.node = Node(build + "/control/flatnetd", build + "/tools/idtool/flatnet-idtool",
                         os.path.join(work, "flatnet"))
        self.build, self.n = build, n
        self.address = open(self.node.home + "/identity.public").read().split(":")[0]
        self.nwid = self.address + "00beef"
        self.addrs = []

    def fill(self, work):
        t = time.time()
        src = os.path.join(work, "flatnet-controller.d")
        self.addrs = write_controller_d(src, self.nwid, self.n)
        subprocess.run([self.build + "/tools/ctlstore/flatnet-ctlstore", "-D" + self.node.home,
                        "import", src], check=True, stdout=subprocess.DEVNULL)
        shutil.rmtree(src)
        return time.time() - t

    def start(self):
        t = time.time()
        self.node.start()
        return time.time() - t

    @property
    def proc(self):
        return self.node.proc

    @property
    def home(self):
        return self.node.home

    @property
    def port(self):
        return self.node.port

    @property
    def token(self):
        return self.node.token

    def stop(self):
        self.node.stop()


def probe(a, side, member, samples):
    """flatnet-bench-ncr-probe: one member's config requests to side's controller
    over UDP, timed from the request to the whole verified config."""
    p = subprocess.run([a.build + "/tools/bench/controller/flatnet-bench-ncr-probe",
                        member + "/identity.secret", side.home + "/identity.public",
                        side.udp_ip, str(side.port), side.nwid, str(samples)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("probe: %s %s" % (p.stdout, p.stderr))
    return json.loads(p.stdout)


def one_round(side, samples, rng, new_base):
    api = Api(side.port, side.token)
    base = "/controller/network/%s/member/" % side.nwid
    r = {}
    r["authorize"] = [api.timed("POST", base + rng.choice(side.addrs),
                                json.dumps({"authorized": bool(i % 2)}))[0]
                      for i in range(samples)]
    r["create"] = [api.timed("POST", base + "%010x" % (new_base + i),
                             json.dumps({"authorized": True}))[0] for i in range(samples // 5)]
    r["get_member"] = [api.timed("GET", base + rng.choice(side.addrs))[0] for _ in range(samples)]
    r["get_network"] = [api.timed("GET", "/controller/network/" + side.nwid)[0]
                        for _ in range(samples // 5)]
    ms, body = api.timed("GET", "/controller/network/%s/member" % side.nwid)
    r["list"] = [ms]
    r["list_count"] = len(json.loads(body))
    return r


def inner(a):
    work = tempfile.mkdtemp(prefix="fnc-bench-")
    sides = {}
    out = {"load_before": os.getloadavg(), "members": a.members, "rounds": a.rounds,
           "samples": a.samples}
    try:
        # Empty controllers first: the RSS baseline.
        fl = Flatnet(os.path.abspath(a.build), work, a.members)
        fl.start()
        wait_api(fl.port, fl.token, fl.proc)
        time.sleep(1)
        fl_rss0 = rss_kib(fl.proc.pid)
        fl.stop()
        stocks = []
        for i, n in enumerate(int(x) for x in a.stock_members.split(",") if x):
            s = Stock(a.stock, work, "stock-%d" % n, 29990 + i, n)
            s.start()
            time.sleep(1)
            s.rss0 = rss_kib(s.proc.pid)
            s.stop()
            stocks.append(s)
        setup = {}
        setup["flatnet %d" % a.members] = {"fill_s": fl.fill(work), "start_s": fl.start()}
        sides["flatnet %d" % a.members] = fl
        for s in stocks:
            shutil.rmtree(os.path.join(s.home, "controller.d"), ignore_errors=True)
            fill = s.fill()
            setup["stock %d" % s.n] = {"fill_s": fill, "start_s": s.start()}
            sides["stock %d" % s.n] = s
        out["setup"] = setup
        time.sleep(2)
        mem = {"flatnet %d" % a.members: (fl_rss0, rss_kib(fl.proc.pid))}
        for s in stocks:
            mem["stock %d" % s.n] = (s.rss0, rss_kib(s.proc.pid))
        out["rss_kib_empty_full"] = mem
        rng = random.Random(7)
        member = None
        if a.ncr_samples:
            # One real identity (the controllers check it): the probe's member,
            # authorized on every side.
            member = os.path.join(work, "probe-member")
            os.makedirs(member)
            subprocess.run([a.build + "/tools/idtool/flatnet-idtool", "generate",
                            member + "/identity.secret", member + "/identity.public"],
                           check=True, stdout=subprocess.DEVNULL)
            maddr = open(member + "/identity.public").read().split(":")[0]
            for side in sides.values():
                Api(side.port, side.token).timed(
                    "POST", "/controller/network/%s/member/%s" % (side.nwid, maddr),
                    json.dumps({"authorized": True}))
        rounds = {k: [] for k in sides}
        for r in range(a.rounds):
            for k, side in sides.items():
                t = time.time()
                res = one_round(side, a.samples, rng, 0x2000000000 + r * 100000)
                if member:
                    res["ncr"] = probe(a, side, member, max(1, a.ncr_samples // a.rounds))
                res["load"] = os.getloadavg()[0]
                rounds[k].append(res)
                print("round %d %-14s %.1f s (load %.1f)" % (r, k, time.time() - t, res["load"]),
                      file=sys.stderr, flush=True)
        for k, side in sides.items():
            mem[k] = mem[k] + (rss_kib(side.proc.pid),)
        out["rounds_raw"] = rounds
        out["load_after"] = os.getloadavg()
    finally:
        for side in sides.values():
            side.stop()
        shutil.rmtree(work, ignore_errors=True)
    return out


def report(out):
    print("load average before %s, after %s (2 vCPU)" % (
        " ".join("%.1f" % x for x in out["load_before"]),
        " ".join("%.1f" % x for x in out["load_after"])))
    for k, v in out["setup"].items():
        print("%-14s fill %.1f s, start until the API lists all members %.1f s" % (
            k, v["fill_s"], v["start_s"]))
    rows = [("authorize one member", "authorize"), ("create one member", "create"),
            ("get one member", "get_member"), ("get the network", "get_network")]
    sides = list(out["rounds_raw"])
    print("\n| operation (ms; median of %d rounds, [min-max over rounds]) | %s |" % (
        out["rounds"], " | ".join(sides)))
    print("|---|%s" % ("---|" * len(sides)))

    def cell(vals):
        return "%.2f [%.2f-%.2f]" % (statistics.median(vals), min(vals), max(vals))
    for label, key in rows:
        for p in (50, 99):
            cells = []
            for k in sides:
                cells.append(cell([pct(r[key], p) for r in out["rounds_raw"][k]]))
            print("| %s p%d | %s |" % (label, p, " | ".join(cells)))
    cells = []
    for k in sides:
        rr = out["rounds_raw"][k]
        cells.append("%s (%d ids)" % (cell([r["list"][0] for r in rr]), rr[-1]["list_count"]))
    print("| list members, one unpaged answer | %s |" % " | ".join(cells))
    if "ncr" in out["rounds_raw"][sides[0]][0]:
        for p in ("p50", "p99"):
            cells = []
            for k in sides:
                rr = out["rounds_raw"][k]
                cells.append(cell([r["ncr"][p + "_us"] / 1000 for r in rr]) + " (%d)" % sum(
                    r["ncr"]["n"] for r in rr))
            print("| config request over UDP, request to verified config %s | %s |" % (
                p, " | ".join(cells)))
    cells = []
    for k in sides:
        e, f = out["rss_kib_empty_full"][k][:2]
        n = out["rounds_raw"][k][-1]["list_count"]
        cells.append("%.0f B (%.1f -> %.1f MiB)" % ((f - e) * 1024.0 / n, e / 1024, f / 1024))
    print("| memory per member (RSS delta / members) | %s |" % " | ".join(cells))
    print("| round loads | %s |" % " | ".join(
        " ".join("%.1f" % r["load"] for r in out["rounds_raw"][k]) for k in sides))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("stock")
    ap.add_argument("--members", type=int, default=100000)
    ap.add_argument("--stock-members", default="1000,10000")
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--ncr-samples", type=int, default=30,
                    help="config requests timed per side over UDP (0: none)")
    ap.add_argument("--json")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    if a.inner:
        json.dump(inner(a), sys.stdout)
        return
    ns = "fnc-bench-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        # A veth pair with both ends in the namespace: an address stock binds
        # (it skips loopback interfaces), reached only from inside.
        for cmd in (["link", "add", "fnc-va", "type", "veth", "peer", "name", "fnc-vb"],
                    ["addr", "add", Stock.udp_ip + "/24", "dev", "fnc-va"],
                    ["link", "set", "fnc-va", "up"], ["link", "set", "fnc-vb", "up"]):
            subprocess.run(["ip", "-n", ns] + cmd, check=True)
        args = [sys.executable, os.path.abspath(__file__), os.path.abspath(a.build),
                os.path.abspath(a.stock), "--members", str(a.members), "--stock-members",
                a.stock_members, "--samples", str(a.samples), "--rounds", str(a.rounds),
                "--ncr-samples", str(a.ncr_samples), "--inner"]
        p = subprocess.run(["ip", "netns", "exec", ns] + args, stdout=subprocess.PIPE, check=True)
        out = json.loads(p.stdout)
    finally:
        subprocess.run(["ip", "netns", "del", ns])
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f)
    report(out)


if __name__ == "__main__":
    main()

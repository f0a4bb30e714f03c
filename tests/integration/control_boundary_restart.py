#!/usr/bin/env python3
"""Integration: restart without loss across the control <-> data-plane
boundary (issue 9 §1), with a root holding 100,000 peers.

Topology (created here, names unique to this run, removed on exit):

    ns <p>a: a0 10.86.0.11 ─┐                    ┌─ d0: flatnet-dataplane (net_af_packet),
                            ├─ br0 in ns <p>r ───┤     10.86.0.1:9993, relay on, and
    ns <p>b: b0 10.86.0.12 ─┘                    └─     flatnetd --dataplane (the root)

The root's peers.d holds N synthetic peers (default 100,000) plus A and B
(synthetic too, with the real addresses of a0 and b0): random public keys
under made-up addresses, restored through the peers-cache path, which skips
the memory-hard check (control/service/peers_cache.hpp says why that is
sound: only flatnetd writes those 0600 files). A and B are not flatnetd
processes: A's namespace sends VL1 packets addressed to B to the root, and
B's namespace counts what the data plane relays to it.

Checks, each bounded:
 1. the root restores all N+2 peers from its cache and the data plane
    confirms them (flatnet_boundary_confirmed in /metrics);
 2. the data plane restarts under the running root: every peer is back in
    its table within 10 s (the root's reconciler reports them confirmed;
    then, with the root stopped, flatnet-tableload's dump lists every one
    with its path);
 3. control restarts under relayed load (A -> B through the root): started,
    killed with SIGKILL mid-stream and started again; no peer is lost (the
    dump lists every one afterwards) and the loss of relayed packets is
    printed;
 4. a data plane with path_max_idle 2 s ages B out; the next packets for B
    bring it back (UNKNOWN_DEST -> the root re-upserts it): A -> B is
    relayed again.

Exit 77 (meson: skipped) when not root or `ip` is missing.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from flatnet_procs import Procs, identities_and_planet, read, wait_for
from netns_topology import bridge_topology, in_ns, run, skip

R_IP, A_IP, B_IP = "10.86.0.1", "10.86.0.11", "10.86.0.12"
N = int(os.environ.get("FLATNET_BOUNDARY_PEERS", "100000"))
A_ADDR, B_ADDR = "3e00000001", "3e00000002"
RESTART_BOUND_S = 10.0

# Counts UDP datagrams arriving on B_IP:9993 whose first 4 bytes are MAGIC;
# prints the count at SIGINT or after `wait_s`.
RECV_CODE = r"""
import socket, sys, time
magic, wait_s = bytes.fromhex(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind((sys.argv[3], 9993))
print("ready", flush=True)
n, end = 0, time.time() + wait_s
try:
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            d = s.recv(65535)
        except socket.timeout:
            break
        if d[:4] == magic:
            n += 1
except KeyboardInterrupt:  # the test is done sending
    pass
print(n, flush=True)
"""

# Sends `count` VL1 packets A -> B to the root at `pps`; each starts with
# MAGIC (the packet ID's first 4 bytes). Prints how many it sent.
SEND_CODE = r"""
import socket, struct, sys, time
magic, count, pps = bytes.fromhex(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
dst, src, root = bytes.fromhex(sys.argv[4]), bytes.fromhex(sys.argv[5]), sys.argv[6]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.time()
for i in range(count):
    pkt = magic + struct.pack("!I", i) + dst + src + bytes([0x80 | 8]) + b"\x5a" * 8 + b"\x06" + b"x" * 40
    s.sendto(pkt, (root, 9993))
    delay = t0 + (i + 1) / pps - time.time()
    if delay > 0:
        time.sleep(delay)
print(count, flush=True)
"""


T0 = time.time()


def say(text):
    print("[%5.1f s] %s" % (time.time() - T0, text), flush=True)


class Test(Procs):
    def __init__(self, flatnetd, dataplane, tableload, idtool):
        self.flatnetd, self.dataplane, self.tableload, self.idtool = flatnetd, dataplane, tableload, idtool
        tag = "fb%d" % (os.getpid() % 100000)
        self.tag = tag
        self.ns_r, self.ns_a, self.ns_b = tag + "r", tag + "a", tag + "b"
        self.created = []
        self.roots = 0
        # tmpfs when there is one: N small files cost ~4 KiB of RAM each
        # there (~450 MB in all), but unlinking them on a disk mounted with
        # `discard` took 150 s here.
        shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
        Procs.__init__(self, tempfile.mkdtemp(prefix="flatnet-boundary-", dir=shm))
        self.home = os.path.join(self.work, "r")

    # ---- setup ----
    def synthetic_peers(self):
        """N + 2 peers.d files: random public keys under made-up addresses
        (never through the memory-hard check), 0600 as flatnetd writes them."""
        d = os.path.join(self.home, "peers.d")
        os.makedirs(d, mode=0o700)
        keys = os.urandom(64 * (N + 2)).hex()
        self.want = {A_ADDR: A_IP + ":9993", B_ADDR: B_IP + ":9993"}
        for i in range(N):
            self.want["%010x" % (0x2000000000 + i)] = "172.%d.%d.%d:9993" % (
                16 + (i >> 16), (i >> 8) & 255, i & 255)
        for k, (addr, path) in enumerate(self.want.items()):
            fd = os.open(os.path.join(d, addr + ".peer"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, ("%s:0:%s\n%s\n" % (addr, keys[k * 128:(k + 1) * 128],
                                             path.replace(":", "/"))).encode())
            os.close(fd)

    def start_dataplane(self, extra=()):
        self.run_dataplane("dp", self.dataplane, self.ns_r, self.tag, "d0", R_IP, self.addr["r"],
                           table_capacity=262144, extra=extra)

    def start_root(self):
        self.roots += 1
        name = "root%d" % self.roots
        self.run_flatnetd(name, self.flatnetd, self.ns_r, self.home, ["--dataplane", self.tag],
                          api=True)
        return name

    def metrics(self, name):
        """The root's /metrics as {name: value}; {} while it does not answer."""
        if not self.alive(name) or "HTTP API on port" not in self.logtext(name):
            return {}
        token = read(self.home + "/authtoken.secret").strip()
        q = ("import urllib.request,sys; r=urllib.request.Request('http://127.0.0.1:9993/metrics',"
             "headers={'X-ZT1-Auth':sys.argv[1]}); print(urllib.request.urlopen(r,timeout=5).read().decode())")
        r = run("ip", "netns", "exec", self.ns_r, sys.executable, "-c", q, token, check=False)
        if r.returncode != 0:
            return {}
        out = {}
        for line in r.stdout.splitlines():
            m = re.match(r"^([a-z_0-9]+) (\S+)$", line)
            if m:
                out[m.group(1)] = float(m.group(2))
        return out

    def reconciled(self, name, dumps=1):
        """True once the root has read `dumps` table dumps and the data plane
        has confirmed every wanted peer (nothing pending or in flight)."""
        m = self.metrics(name)
        return (m.get("flatnet_boundary_dumps_total", 0) >= dumps
                and m.get("flatnet_boundary_desired", 0) >= N + 2
                and m.get("flatnet_boundary_confirmed", 0) == m.get("flatnet_boundary_desired")
                and m.get("flatnet_boundary_pending", 1) == 0
                and m.get("flatnet_boundary_in_flight", 1) == 0) and m

    def dump_check(self, what):
        """With no control attached: every wanted peer is in the data plane's
        table dump, with its path."""
        out = in_ns(self.ns_r, self.tableload, "--instance", self.tag, "--timeout", "30", "list",
                    timeout=60).stdout
        got = {}
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 2 and re.match(r"^[0-9a-f]{10}$", f[0]):
                got[f[0]] = f[1]
        missing = [a for a, p in self.want.items() if got.get(a) != p]
        assert not missing, "%s: %d of %d peers missing or wrong in the dump (first %s -> %s)" % (
            what, len(missing), len(self.want), missing[0], got.get(missing[0]))
        say("ok: %s: the data plane's dump lists all %d peers with their paths" % (what, len(self.want)))

    def relayed_load(self, count, pps, during):
        """Sends `count` A -> B packets at `pps` while calling during();
        returns (sent, received at B)."""
        magic = os.urandom(4)
        recv = subprocess.Popen(["ip", "netns", "exec", self.ns_b, sys.executable, "-c", RECV_CODE,
                                 magic.hex(), str(count / pps + 15), B_IP],
                                stdout=subprocess.PIPE, text=True)
        send = None
        try:
            assert recv.stdout.readline().strip() == "ready"
            send = subprocess.Popen(["ip", "netns", "exec", self.ns_a, sys.executable, "-c", SEND_CODE,
                                     magic.hex(), str(count), str(pps), B_ADDR, A_ADDR, R_IP],
                                    stdout=subprocess.PIPE, text=True)
            during()
            sent = int(send.communicate(timeout=count / pps + 30)[0].strip())
            time.sleep(1)
            recv.send_signal(signal.SIGINT)
            out = recv.communicate(timeout=10)[0].strip().splitlines()
        finally:
            for p in (send, recv):
                if p and p.poll() is None:
                    p.kill()
                    p.wait()
        got = int(out[-1]) if out and out[-1].isdigit() else 0
        return sent, got

    # ---- the test ----
    def main(self):
        bridge_topology(self.ns_r, [(self.ns_a, "a0", A_IP, None), (self.ns_b, "b0", B_IP, None)],
                        self.created)
        in_ns(self.ns_r, "ip", "link", "set", "lo", "up")  # the root's HTTP API
        self.addr = identities_and_planet(self.idtool, self.work, ("r",), [("r", R_IP)])
        t = time.time()
        self.synthetic_peers()
        say("setup: %d synthetic peers.d entries written in %.1f s" % (N + 2, time.time() - t))

        # 1: the root restores every cached peer and the data plane confirms them.
        self.start_dataplane()
        t = time.time()
        root = self.start_root()
        m = wait_for("all %d peers restored and confirmed" % (N + 2), lambda: self.reconciled(root), 120)
        say("ok: root restored %d peers from its cache, all confirmed by the data plane, in %.1f s"
              % (m["flatnet_control_peers"], time.time() - t))

        # 2: the data plane restarts under the running root.
        t_stop = time.time()
        self.stop("dp")
        self.start_dataplane()
        t = time.time()
        m = wait_for("every peer back in the restarted data plane", lambda: self.reconciled(root, 2),
                     RESTART_BOUND_S + 20)
        took = time.time() - t
        say("measured: data plane restart: %d peers back in its table %.1f s after it was ready, "
              "%.1f s after the old one was told to stop "
              "(dumps %d, incomplete %d, commands %d, ring full %d, retries %d)"
              % (m["flatnet_boundary_confirmed"], took, time.time() - t_stop,
                 m["flatnet_boundary_dumps_total"],
                 m["flatnet_boundary_dumps_incomplete_total"],
                 m["flatnet_boundary_commands_sent_total"], m["flatnet_boundary_ring_full_total"],
                 m["flatnet_boundary_retries_total"]))
        assert took <= RESTART_BOUND_S, "peers back after %.1f s (bound %.0f s)" % (took, RESTART_BOUND_S)
        self.stop(root)
        say("root stopped")
        self.dump_check("after the data plane restart")

        # 3: control restarts under relayed load: started, SIGKILLed mid-stream, started again.
        state = {}

        def restart_control():
            state["r1"] = self.start_root()
            time.sleep(3)
            self.stop(state["r1"], signal.SIGKILL)
            time.sleep(0.5)
            state["r2"] = self.start_root()
            state["t2"] = time.time()

        sent, got = self.relayed_load(8000, 1000, restart_control)
        root = state["r2"]
        m = wait_for("the restarted root reconciled with the data plane", lambda: self.reconciled(root), 120)
        say("measured: the restarted root had all %d peers restored and confirmed %.1f s after its "
            "start (dump incomplete %d, commands %d)"
            % (m["flatnet_boundary_confirmed"], time.time() - state["t2"],
               m["flatnet_boundary_dumps_incomplete_total"], m["flatnet_boundary_commands_sent_total"]))
        say("measured: control restarted twice under relayed load A -> B: %d sent, %d relayed, "
              "%d lost (%.2f%%)" % (sent, got, sent - got, 100.0 * (sent - got) / max(sent, 1)))
        assert got > 0, "nothing relayed while control restarted"
        assert m["flatnet_boundary_stale_deleted_total"] == 0, m
        self.stop(root)
        say("root stopped")
        self.dump_check("after control restarts under load")

        # 4: ageing: a data plane that forgets idle paths after 2 s; only A and
        # B in the cache this time, so the check is quick.
        self.stop("dp")
        say("data plane stopped")
        d = os.path.join(self.home, "peers.d")
        os.rename(d, d + ".full")  # out of the way in O(1); removed at cleanup
        os.makedirs(d, mode=0o700)
        for a in (A_ADDR, B_ADDR):
            shutil.copy2(os.path.join(d + ".full", a + ".peer"), d)
        say("cache cut to A and B")
        self.start_dataplane(extra=("--path-max-idle-s", "2"))
        say("data plane started")
        root = self.start_root()
        wait_for("B aged out by the data plane",
                 lambda: self.metrics(root).get("flatnet_boundary_expired", 0) >= 1
                 and self.metrics(root).get("flatnet_boundary_path_expired_total", 0) >= 1, 30)
        say("B aged out")
        sent, got = self.relayed_load(50, 10, lambda: None)
        m = self.metrics(root)
        say("measured: aged-out B: %d of %d packets relayed, UNKNOWN_DEST re-upserts %d"
              % (got, sent, m.get("flatnet_boundary_unknown_dest_resent_total", 0)))
        assert m.get("flatnet_boundary_unknown_dest_resent_total", 0) >= 1, m
        assert got >= 1, "B never came back after being aged out"
        say("ok: B aged out by the data plane came back on its next packets")

    def cleanup(self):
        self.teardown(self.created)


def main():
    if len(sys.argv) < 5:
        print("usage: control_boundary_restart.py <flatnetd> <flatnet-dataplane> <flatnet-tableload> "
              "<flatnet-idtool>")
        return 2
    if os.geteuid() != 0:
        skip("needs root (network namespaces, DPDK)")
    if not shutil.which("ip"):
        skip("'ip' not found")
    t = Test(*[os.path.abspath(p) for p in sys.argv[1:5]])
    t0 = time.time()
    try:
        t.main()
        print("wall time %.1f s" % (time.time() - t0))
        return 0
    except Exception as e:
        print("FAIL: %s" % e)
        t.stop_controls()
        t.print_tails(["root%d" % i for i in range(1, t.roots + 1)] + ["dp"])
        return 1
    finally:
        t.cleanup()


if __name__ == "__main__":
    sys.exit(main())

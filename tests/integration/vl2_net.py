"""Shared helpers of the VL2 member tests (vl2_*.py): a flat underlay of
network namespaces on one Linux bridge, flatnetd nodes on kernel UDP
sockets (one root, members), and the member's view through flatnet-cli.

    ns <p>r (root) r0 10.<n>.0.1 ─┐
    ns <p>a        a0 10.<n>.0.11 ├─ br0 in ns <p>br
    ns <p>b        b0 10.<n>.0.12 ┘   ...

Everything is bounded; the caller's teardown deletes what `created` lists.
"""
import json
import os
import re
import shutil
import subprocess
import time

from flatnet_procs import Procs, read, wait_for
from netns_topology import in_ns, run, skip


def underlay(prefix, net, names, created):
    """ns <prefix>br with br0, and per name ns <prefix><name> with
    <name>0 = 10.<net>.0.<ip>/24 on a veth into br0. Returns {name: ip}."""
    br = prefix + "br"
    run("ip", "netns", "add", br)
    created.append(br)
    in_ns(br, "ip", "link", "add", "br0", "type", "bridge")
    in_ns(br, "ip", "link", "set", "br0", "up")
    ips = {}
    for i, n in enumerate(names):
        ns = prefix + n
        run("ip", "netns", "add", ns)
        created.append(ns)
        ip = "10.%d.0.%d" % (net, 1 if i == 0 else 10 + i)
        ifname = n + "0"
        in_ns(br, "ip", "link", "add", ns + "p", "type", "veth", "peer", "name", ifname,
              "netns", ns)
        in_ns(br, "ip", "link", "set", ns + "p", "master", "br0", "up")
        in_ns(ns, "ip", "addr", "add", ip + "/24", "dev", ifname)
        in_ns(ns, "ip", "link", "set", ifname, "up")
        in_ns(ns, "ip", "link", "set", "lo", "up")
        if shutil.which("ethtool"):
            in_ns(ns, "ethtool", "-K", ifname, "tx", "off", check=False)
        ips[n] = ip
    return ips


def lan_host(ns, ip):
    """A LAN host's end of its veth, already moved into ns as eth0: ip/24,
    up, and its checksums finished by the kernel (tx offload off: no NIC
    finishes them on the way); returns its MAC."""
    in_ns(ns, "ip", "addr", "add", ip + "/24", "dev", "eth0")
    in_ns(ns, "ip", "link", "set", "eth0", "up")
    if shutil.which("ethtool"):
        in_ns(ns, "ethtool", "-K", "eth0", "tx", "off", check=False)
    link = in_ns(ns, "ip", "-o", "link", "show", "dev", "eth0").stdout
    return re.search(r"link/ether (\S+)", link).group(1)


class Nodes(Procs):
    """flatnetd nodes by name: ns <prefix><name>, home <work>/<name>,
    `flatnetd --udp <ip>:9993` with its API on 127.0.0.1:9993 of its ns."""

    def __init__(self, work, prefix, flatnetd, cli):
        super().__init__(work)
        self.prefix, self.flatnetd, self.cli_bin = prefix, flatnetd, cli
        self.ips = {}

    def ns(self, name):
        return self.prefix + name

    def home(self, name):
        return os.path.join(self.work, name)

    def start_node(self, name, extra=()):
        self.start(name, ["ip", "netns", "exec", self.ns(name), self.flatnetd, "-H",
                          self.home(name), "--udp", self.ips[name] + ":9993",
                          "--log-level", "debug"] + list(extra))
        wait_for("%s's API" % name,
                 lambda: self.alive(name) and self.cli(name, "info", check=False).returncode == 0,
                 20)

    def cli(self, name, *args, check=True):
        return run("ip", "netns", "exec", self.ns(name), self.cli_bin, "-D" + self.home(name),
                   *args, check=check)

    def network(self, name, nwid):
        """The /network/<nwid> object (via `-j listnetworks`), or None."""
        r = self.cli(name, "-j", "listnetworks", check=False)
        if r.returncode != 0:  # e.g. 503 while the loop is busy: the caller's wait retries
            print("note: %s listnetworks: exit %d: %s" % (name, r.returncode, r.stdout.strip()[:300]))
            return None
        for n in json.loads(r.stdout):
            if n.get("nwid") == nwid:
                return n
        return None

    def wait_ok(self, name, nwid, timeout=30):
        """Until the network is OK with its tap up and every assigned IPv4
        address on it; returns the network object."""
        def ready():
            n = self.network(name, nwid)
            if not n or n["status"] != "OK" or not n["assignedAddresses"]:
                return None
            link = in_ns(self.ns(name), "ip", "-o", "addr", "show", "dev",
                         n["portDeviceName"], check=False).stdout
            up = "UP" in in_ns(self.ns(name), "ip", "-o", "link", "show", "dev",
                               n["portDeviceName"], check=False).stdout.split(">")[0]
            want = [a for a in n["assignedAddresses"] if "." in a]
            return n if up and all(a in link for a in want) else None
        return wait_for("%s: network %s OK, tap up with its addresses" % (name, nwid), ready,
                        timeout)

    def ipv4(self, net):
        return [a.split("/")[0] for a in net["assignedAddresses"] if "." in a][0]

    def ping(self, name, ip, tries=10):
        """ping from `name` until one run of 3 gets replies (the first
        needs ARP through the network's multicast); returns ping's output."""
        last = None
        for _ in range(tries):
            last = in_ns(self.ns(name), "ping", "-c", "3", "-i", "0.3", "-W", "2", ip,
                         check=False, timeout=15)
            if last.returncode == 0:
                return last.stdout
        raise AssertionError("%s cannot ping %s:\n%s" % (name, ip, last.stdout))

    def tcp_transfer(self, server, client, server_ip, nbytes=4 << 20, port=5201):
        """A TCP transfer of `nbytes` from client to server (python sockets);
        returns (bytes received, seconds)."""
        srv = subprocess.Popen(
            ["ip", "netns", "exec", self.ns(server), "python3", "-c", TCP_SERVER, server_ip,
             str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert srv.stdout.readline().strip() == "ready"
            out = in_ns(self.ns(client), "python3", "-c", TCP_CLIENT, server_ip, str(port),
                        str(nbytes), timeout=60).stdout
            got = srv.communicate(timeout=30)[0].strip()
        finally:
            if srv.poll() is None:
                srv.kill()
                srv.wait()
        return int(got), float(out.strip())

    def tap_exists(self, name, dev):
        return in_ns(self.ns(name), "ip", "link", "show", "dev", dev, check=False).returncode == 0


TCP_SERVER = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(30)
print("ready", flush=True)
c, _ = s.accept(); c.settimeout(30); n = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    n += len(b)
c.sendall(b"done"); c.close(); print(n, flush=True)
"""

TCP_CLIENT = r"""
import socket, sys, time
ip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((ip, port), timeout=20)
buf = b"\xa5" * (1 << 16); t0 = time.time(); sent = 0
while sent < n:
    k = s.send(buf[:min(len(buf), n - sent)]); sent += k
s.shutdown(socket.SHUT_WR); s.recv(16); print("%.3f" % (time.time() - t0))
"""


def planet_for(idtool, work, names, root, root_ip):
    """Identities for every name and a planet naming `root` at root_ip/9993."""
    from flatnet_procs import identities_and_planet
    return identities_and_planet(idtool, work, names, [(root, root_ip)])


def run_test(make, argv, args, usage, tails, needs="network namespaces, taps"):
    """The VL2 tests' main(): `args` binaries from argv (else usage, exit
    2), skipped (77) without root or `ip`, then make(*binaries).main();
    PASS/FAIL printed, the processes' log tails on failure, and the test's
    cleanup() always."""
    if len(argv) < args + 1:
        print("usage: %s" % usage)
        return 2
    if os.geteuid() != 0:
        skip("needs root (%s)" % needs)
    if not shutil.which("ip"):
        skip("'ip' not found")
    t = make(*[os.path.abspath(p) for p in argv[1:args + 1]])
    try:
        t.main()
        print("PASS")
        return 0
    except Exception as e:  # noqa: BLE001 -- reported, then cleaned up
        print("FAIL: %s" % e)
        if hasattr(t, "on_failure"):
            t.on_failure()
        t.stop_all()
        t.print_tails(tails, lines=40)
        return 1
    finally:
        t.cleanup()

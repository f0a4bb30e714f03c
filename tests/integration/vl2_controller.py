#!/usr/bin/env python3
"""Integration: flatnetd members of a private network of a flatnet
controller (issue 10 with issue 11).

A flatnetd root R, a flatnetd controller C (the role is on by default) and
members A and B, each in its own namespace on one bridge (vl2_net.py).
Checks, each bounded:
 1. `flatnet controller create` on C: a private network with an IPv4 pool
    and its on-link route; A and B `flatnet join` it and, not yet
    authorized, see ACCESS_DENIED;
 2. `flatnet controller authorize` both: each goes OK with an address from
    the pool on its tap (up, stock name, member MAC, the config's MTU);
    networks.d/<nwid>.conf holds the controller's config;
 3. ARP, ping A -> B, and a 4 MiB TCP transfer A -> B; then the network's
    rules set to drop TCP to port 22 (stock's rule JSON through the
    controller): the controller pushes the new config (within 20 s, far
    below the members' 60 s refresh); A -> B:22 does not connect,
    A -> B:2222 does;
 3c. C restarted: the network is still listed; A leaves and joins again
    and gets its config from the restarted C with the same address;
 3d. a public network of C admits B without authorization (OK, an address
    from its pool);
 4. B deauthorized while A pings it every 100 ms: no reply from B later
    than 2 s after the deauthorization was acknowledged, and B's status
    turns ACCESS_DENIED with its tap down (pushed by the controller, or at
    B's next config refresh, 60 s as stock);
 5. `flatnet leave` on A removes its tap and its networks.d files.
Exit 77 (meson: skipped) when not root or `ip` is missing.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from flatnet_procs import read, wait_for
from netns_topology import in_ns, run
from vl2_net import Nodes, planet_for, run_test, underlay


# Stock's rule JSON: TCP to destination port 22 dropped, the rest accepted.
DROP_TCP_22 = [
    {"type": "MATCH_IP_PROTOCOL", "not": False, "or": False, "ipProtocol": 6},
    {"type": "MATCH_IP_DEST_PORT_RANGE", "not": False, "or": False, "start": 22, "end": 22},
    {"type": "ACTION_DROP"},
    {"type": "ACTION_ACCEPT"},
]
LISTEN = r"""
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(4); print("ready", flush=True)
time.sleep(20)
"""
CONNECT = r"""
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()
except OSError:
    sys.exit(1)
"""


class Test(Nodes):
    def __init__(self, flatnetd, cli, ctl, idtool):
        super().__init__(tempfile.mkdtemp(prefix="fnh-ctl."), "fnh%dc" % (os.getpid() % 1000),
                         flatnetd, cli)
        self.ctl, self.idtool = ctl, idtool
        self.created = []

    def controller(self, *args):
        return run("ip", "netns", "exec", self.ns("c"), self.ctl, "-D" + self.home("c"), *args)

    def tcp_connects(self, client, server, ip, port):
        """Whether a TCP connection from `client` to ip:port (a listener in
        `server`'s namespace) is accepted within 3 s."""
        srv = subprocess.Popen(["ip", "netns", "exec", self.ns(server), "python3", "-c",
                                LISTEN, ip, str(port)], stdout=subprocess.PIPE, text=True)
        try:
            assert srv.stdout.readline().strip() == "ready"
            r = in_ns(self.ns(client), "python3", "-c", CONNECT, ip, str(port), check=False)
            return r.returncode == 0
        finally:
            srv.kill()
            srv.wait()

    def status(self, name, nwid):
        n = self.network(name, nwid)
        return n["status"] if n else None

    def main(self):
        names = ["r", "c", "a", "b"]
        self.ips = underlay(self.prefix, 92, names, self.created)
        self.addr = planet_for(self.idtool, self.work, names, "r", self.ips["r"])
        for n in names:
            self.start_node(n)

        # 1. a private network; unauthorized members are denied
        nwid = self.controller(
            "create", "name=fnh-lan", "private=true", "v4AssignMode={\"zt\":true}",
            'ipAssignmentPools=[{"ipRangeStart":"10.147.17.10","ipRangeEnd":"10.147.17.200"}]',
            'routes=[{"target":"10.147.17.0/24","via":null}]').stdout.strip()
        assert re.fullmatch(r"[0-9a-f]{16}", nwid) and nwid.startswith(self.addr["c"]), nwid
        print("ok: controller %s created private network %s" % (self.addr["c"], nwid))
        for n in ("a", "b"):
            assert self.cli(n, "join", nwid).stdout.strip() == "200 join OK"
        for n in ("a", "b"):
            wait_for("%s: ACCESS_DENIED before authorization" % n,
                     lambda: self.status(n, nwid) == "ACCESS_DENIED", 30)
        print("ok: A and B joined, ACCESS_DENIED while not authorized")

        # 2. authorized: OK, address from the pool on an up tap
        for n in ("a", "b"):
            self.controller("authorize", nwid, self.addr[n])
        net = {n: self.wait_ok(n, nwid) for n in ("a", "b")}
        ip = {}
        for n in ("a", "b"):
            ip[n] = self.ipv4(net[n])
            assert ip[n].startswith("10.147.17."), net[n]
            dev = net[n]["portDeviceName"]
            link = in_ns(self.ns(n), "ip", "-o", "link", "show", "dev", dev).stdout
            assert net[n]["mac"] in link and "mtu %d " % net[n]["mtu"] in link, link
            conf = read(os.path.join(self.home(n), "networks.d", nwid + ".conf"))
            assert "fnh-lan" in conf, conf[:200]
            print("ok: %s" % self.cli(n, "listnetworks").stdout.splitlines()[1])

        # 3. ARP, ping, TCP
        out = self.ping("a", ip["b"])
        print("ok: ping A -> B: %s" % out.strip().splitlines()[-1])
        neigh = in_ns(self.ns("a"), "ip", "neigh", "show", ip["b"]).stdout
        assert net["b"]["mac"] in neigh, neigh
        print("ok: A's ARP entry for B: %s" % neigh.strip())
        got, secs = self.tcp_transfer("b", "a", ip["b"])
        assert got == 4 << 20, got
        print("ok: TCP A -> B: %d bytes in %.2f s" % (got, secs))

        # 3b. a rule that drops TCP to port 22 drops it; other TCP passes
        rev = {n: self.network(n, nwid)["netconfRevision"] for n in ("a", "b")}
        self.controller("set", nwid, 'rules=' + json.dumps(DROP_TCP_22))
        # Pushed by the controller: well within the members' own 60 s refresh.
        t_set = time.time()
        for n in ("a", "b"):
            wait_for("%s: the config with the new rules, pushed" % n,
                     lambda: (self.network(n, nwid) or {}).get("netconfRevision", 0) > rev[n], 20)
        t_push = time.time() - t_set
        assert not self.tcp_connects("a", "b", ip["b"], 22), "TCP to port 22 was not dropped"
        assert self.tcp_connects("a", "b", ip["b"], 2222), "TCP to port 2222 was dropped"
        print("ok: rules (drop TCP dport 22, accept the rest) pushed to both in %.2f s: "
              "A -> B:22 dropped, A -> B:2222 connects" % t_push)

        # 3c. the controller restarted: same network ID, same addresses, the
        # members OK again (their refresh or the restarted controller's answer)
        self.stop("c")
        self.start_node("c")
        # A leaves and joins again, so its config comes fresh from the
        # restarted controller (not from A's networks.d).
        assert self.cli("a", "leave", nwid).stdout.strip() == "200 leave OK"
        wait_for("A's network gone", lambda: self.network("a", nwid) is None, 10)
        assert self.cli("a", "join", nwid).stdout.strip() == "200 join OK"
        for n in ("a", "b"):
            again = self.wait_ok(n, nwid, timeout=30)
            assert self.ipv4(again) == ip[n], (n, self.ipv4(again), ip[n])
        net["a"] = self.network("a", nwid)
        listed = self.controller("list").stdout.split()
        assert nwid in listed, listed
        print("ok: controller restarted: network %s listed, A and B keep %s and %s" %
              (nwid, ip["a"], ip["b"]))

        # 3d. a public network admits a member nobody authorized
        pub = self.controller(
            "create", "name=fnh-pub", "private=false", "v4AssignMode={\"zt\":true}",
            'ipAssignmentPools=[{"ipRangeStart":"10.147.18.10","ipRangeEnd":"10.147.18.200"}]',
            'routes=[{"target":"10.147.18.0/24","via":null}]').stdout.strip()
        assert self.cli("b", "join", pub).stdout.strip() == "200 join OK"
        pnet = self.wait_ok("b", pub)
        assert self.ipv4(pnet).startswith("10.147.18."), pnet
        assert self.cli("b", "leave", pub).stdout.strip() == "200 leave OK"
        print("ok: public network %s admitted B unauthorized with %s" % (pub, self.ipv4(pnet)))

        # 4. deauthorized while online: cut off within 2 s
        pinger = subprocess.Popen(["ip", "netns", "exec", self.ns("a"), "ping", "-D", "-n",
                                   "-i", "0.1", "-W", "1", "-w", "12", ip["b"]],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(2)
            self.controller("deauthorize", nwid, self.addr["b"])
            t_deauth = time.time()
            out = pinger.communicate(timeout=30)[0]
        finally:
            if pinger.poll() is None:
                pinger.kill()
                pinger.wait()
        replies = [float(m) for m in re.findall(r"^\[(\d+\.\d+)\] \d+ bytes from", out, re.M)]
        before = [t for t in replies if t < t_deauth]
        after = [t - t_deauth for t in replies if t >= t_deauth]
        assert before, "no replies before the deauthorization:\n" + out
        assert not after or max(after) <= 2.0, \
            "B still answered %.2f s after its deauthorization" % max(after)
        print("ok: B deauthorized: %d replies before, last reply %.2f s after (bound 2 s)" %
              (len(before), max(after) if after else 0.0))
        # The controller's push, or at the latest B's next refresh (60 s, as stock).
        wait_for("B's status ACCESS_DENIED", lambda: self.status("b", nwid) == "ACCESS_DENIED", 75)
        dev_b = net["b"]["portDeviceName"]
        link = in_ns(self.ns("b"), "ip", "-o", "link", "show", "dev", dev_b).stdout
        assert "UP" not in link.split(">")[0], link
        print("ok: B's status ACCESS_DENIED, tap %s down" % dev_b)

        # 5. leave
        dev_a = net["a"]["portDeviceName"]
        assert self.cli("a", "leave", nwid).stdout.strip() == "200 leave OK"
        wait_for("A's tap removed on leave", lambda: not self.tap_exists("a", dev_a), 10)
        assert not os.path.exists(os.path.join(self.home("a"), "networks.d", nwid + ".conf"))
        print("ok: A left: tap %s and networks.d files removed" % dev_a)

    def cleanup(self):
        self.teardown(self.created)


def main():
    return run_test(Test, sys.argv, 4, "vl2_controller.py <flatnetd> <flatnet-cli> <flatnet-controller> <flatnet-idtool>",
                    ("r", "c", "a", "b"))


if __name__ == "__main__":
    sys.exit(main())

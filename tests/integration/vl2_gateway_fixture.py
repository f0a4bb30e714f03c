"""The gateway tests' fixture (vl2_gateway*.py): the underlay of vl2_net.py
with a root, a controller and members, and one or more flatnet gateways,
each a flatnet-dataplane (af_packet underlay gu0, af_packet `lan` port gl0)
driven by its flatnetd --dataplane, with one LAN host behind it.

    ns <p>r root R ──────┐
    ns <p>c controller ──┼─ br0 (ns <p>br, 10.<net>.0.0/24)
    ns <p>a member ... ──┤
    ns <p>g<s> gateway ──┘  gu0 (owned by the data plane) ... gl0 ── eth0 of
                            the LAN host in ns <p>l<s>

A gateway is named by its suffix s: "" for a test's only gateway (ns g,
LAN ns l, control "g", data plane "dpg", instance <p>i), "a" and "b" for two
(ns ga / la, control "ga", data plane "dpga", instance <p>ia, ...).

A test subclasses GatewayTest, sets TAG (its namespace prefix, with the
pid's last three digits) and NET, writes main(), and calls run_gateway_test
from its main(); the fixture's cleanup() stops every process and deletes
every namespace and file, whatever happened.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

from flatnet_procs import read, wait_for
from netns_topology import in_ns, run
from vl2_net import Nodes, lan_host, planet_for, run_test, underlay

H_IP = "10.147.18.250"  # the LAN host of a test's only gateway
BINARIES = ("flatnetd", "flatnet-cli", "flatnet-controller", "flatnet-idtool", "flatnet-dataplane",
            "flatnet-tableload")


class GatewayTest(Nodes):
    TAG = "fgx"  # a test's own namespace prefix (and its temporary directory's)
    NET = 94     # the underlay is 10.<NET>.0.0/24

    def __init__(self, flatnetd, cli, ctl, idtool, dataplane, tableload):
        super().__init__(tempfile.mkdtemp(prefix=self.TAG + "."), "%s%d" % (self.TAG, os.getpid() % 1000),
                         flatnetd, cli)
        self.ctl, self.idtool, self.dp, self.tableload = ctl, idtool, dataplane, tableload
        self.created = []
        self.dp_cfgs = {}
        self.instance = self.instance_of("g")  # the only gateway's, in a test with one

    # -- topology and the controller --

    def topology(self, names, hosts=None, ipv6_off=()):
        """The underlay with `names` (the root "r" first), identities and a
        planet for them and for a gateway g<s> per entry of `hosts` ({s: the
        LAN host's IP}; default one gateway "g" with H_IP), each gateway's
        namespaces (lan_site), then every node started (those in `ipv6_off`
        with IPv6 off first: they send no multicast). Returns {s: the LAN
        host's MAC}."""
        hosts = {"": H_IP} if hosts is None else hosts
        self.ips = underlay(self.prefix, self.NET, names, self.created)
        self.addr = planet_for(self.idtool, self.work, names + ["g" + s for s in hosts], "r", self.ips["r"])
        macs = {s: self.lan_site(s, ip) for s, ip in hosts.items()}
        for n in ipv6_off:
            in_ns(self.ns(n), "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            in_ns(self.ns(n), "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
        for n in names:
            self.start_node(n)
        return macs

    def lan_site(self, s, host_ip):
        """ns <p>g<s> (gateway_ns) with gl0 a veth to the LAN host's eth0
        (host_ip/24) in ns <p>l<s>. Returns the host's MAC. A test with
        another LAN (e.g. one bridge for two gateways) overrides this."""
        l = self.ns("l" + s)
        self.add_netns(l)
        self.gateway_ns(s, "eth0", l)
        return lan_host(l, host_ip)

    def add_netns(self, ns):
        """Namespace ns with lo up, in self.created at once (cleanup deletes it)."""
        run("ip", "netns", "add", ns)
        self.created.append(ns)
        in_ns(ns, "ip", "link", "set", "lo", "up")

    def gateway_ns(self, s, peer, peer_ns):
        """ns <p>g<s> with gu0 (a port of br0, no address: the data plane
        owns the gateway's underlay address) and gl0, a veth whose other
        end is `peer` in ns `peer_ns` (the LAN side); both up, ARP and
        IPv6 off."""
        g, br = self.ns("g" + s), self.ns("br")
        self.add_netns(g)
        in_ns(br, "ip", "link", "add", g + "p", "type", "veth", "peer", "name", "gu0", "netns", g)
        in_ns(br, "ip", "link", "set", g + "p", "master", "br0", "up")
        in_ns(g, "ip", "link", "add", "gl0", "type", "veth", "peer", "name", peer, "netns", peer_ns)
        for dev in ("gu0", "gl0"):
            in_ns(g, "sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % dev, check=False)
            in_ns(g, "ip", "link", "set", dev, "arp", "off", "up")

    def controller(self, *args):
        return run("ip", "netns", "exec", self.ns("c"), self.ctl, "-D" + self.home("c"), *args)

    def create_network(self, name, subnet, first=10, last=200):
        """A private network on the controller with ZT-assigned IPv4 from
        <subnet>.<first>-.<last> and the route <subnet>.0/24; its nwid."""
        return self.controller(
            "create", "name=" + name, "private=true", "v4AssignMode={\"zt\":true}",
            'ipAssignmentPools=[{"ipRangeStart":"%s.%d","ipRangeEnd":"%s.%d"}]' % (subnet, first, subnet, last),
            'routes=[{"target":"%s.0/24","via":null}]' % subnet).stdout.strip()

    def authorize_bridge(self, nwid, g="g"):
        """Gateway g authorized in nwid as an active bridge."""
        self.controller("authorize", nwid, self.addr[g])
        self.controller("set", nwid, self.addr[g], "activeBridge=true")

    # -- the gateway's two processes --

    def start_gateway(self, nwid, s="", ip=None, lan=None, ports=(), devargs="", config=None):
        """Gateway g<s>: its data plane's config <work>/dpg<s>.json (instance
        <p>i<s>; port 0 the underlay gu0 owning `ip`, default 10.<NET>.0.20;
        port 1 the lan port gl0 bridging nwid, with the keys of `lan` added,
        e.g. "vlans"; then `ports`; `devargs` appended to both af_packet
        ports' devargs, e.g. ",qpairs=2"; the keys of `config` added at the
        top, e.g. "workers" or "eal"), then the data plane and its flatnetd
        --dataplane."""
        g = "g" + s
        cfg = {
            "instance": self.instance_of(g),
            "ports": [{"devargs": "net_af_packet0,iface=gu0" + devargs},
                      dict({"devargs": "net_af_packet1,iface=gl0" + devargs, "role": "lan", "network": nwid},
                           **(lan or {}))] + list(ports),
            "ipv4": (ip or "10.%d.0.20" % self.NET) + "/24", "address": self.addr[g], "relay": False,
            "workers": 0, "memory_mb": 256, "table_capacity": 1024,
        }
        cfg.update(config or {})
        self.dp_cfgs[g] = os.path.join(self.work, "dp%s.json" % g)
        with open(self.dp_cfgs[g], "w") as f:
            json.dump(cfg, f)
        self.start_dataplane(g)
        self.start_control(g)

    def instance_of(self, g):
        """The data plane's instance name (also its EAL file prefix unless
        the config says otherwise): <p>i<s>."""
        return self.prefix + "i" + g[1:]

    def start_dataplane(self, g="g"):
        """Gateway g's data plane ("dp<g>", its log truncated) from the config
        start_gateway wrote; returns once it says it is ready."""
        name = "dp" + g
        self.start(name, ["ip", "netns", "exec", self.ns(g), self.dp, "-c", self.dp_cfgs[g], "--",
                          "--log-level=*:warning"], mode="w")
        wait_for("flatnet-dataplane %s ready" % name, lambda: self.alive(name) and
                 "flatnet-dataplane: ready" in self.logtext(name), 30)

    def start_control(self, g="g"):
        """Gateway g's flatnetd --dataplane; returns once its API answers."""
        self.start(g, ["ip", "netns", "exec", self.ns(g), self.flatnetd, "-H", self.home(g),
                       "--dataplane", self.instance_of(g), "--log-level", "debug"])
        wait_for("%s's API" % g, lambda: self.alive(g) and self.cli(g, "info", check=False).returncode == 0, 20)

    # -- what the gateway says --

    def wait_bridge(self, nwid, g="g"):
        """Until gateway g is OK in nwid as an active bridge; asserts it has
        no tap (the lan port bridges the network) and returns the network."""
        def ok():
            n = self.network(g, nwid)
            return n if n and n["status"] == "OK" and n["bridge"] else None
        net = wait_for("%s OK in %s as an active bridge" % (g, nwid), ok, 30)
        assert not net.get("portDeviceName"), net
        return net

    def two_gateways(self, nwid, ips, member="m"):
        """Gateways GA and GB (`ips`: "a"/"b" -> underlay address; each data
        plane on its own CPU when there are two, its own EAL file prefix)
        join `nwid` as active bridges, `member` joins it, and each gateway
        installs the other and the member. Returns the member's IPv4."""
        cpus = os.cpu_count() or 1
        for i, s in enumerate(("a", "b")):
            eal = ["--file-prefix=%se%s" % (self.prefix, s)] + (["--lcores=0@%d" % i] if cpus >= 2 else [])
            self.start_gateway(nwid, s, ip=ips[s], config={"eal": eal})
        print("data planes: %s" % ("GA on CPU 0, GB on CPU 1" if cpus >= 2 else "one CPU, shared"))
        for g in ("ga", "gb"):
            self.wait_bridge(nwid, g)
        self.cli(member, "join", nwid)
        m_ip = self.ipv4(self.wait_ok(member, nwid))
        for g in ("ga", "gb"):
            wait_for("the other gateway and %s in %s's VL2 tables" % (member, g), lambda g=g: self.installed(2, g), 30)
        return m_ip

    def api(self, name, path):
        """GET <path> of node `name`'s local API (with its auth token): the
        body, or None when it did not answer (a loaded machine: the
        caller's wait asks again)."""
        token = read(self.home(name) + "/authtoken.secret").strip()
        q = ("import urllib.request,sys; r=urllib.request.Request('http://127.0.0.1:9993'+sys.argv[2],"
             "headers={'X-ZT1-Auth':sys.argv[1]}); print(urllib.request.urlopen(r,timeout=5).read().decode())")
        try:
            r = run("ip", "netns", "exec", self.ns(name), sys.executable, "-c", q, token, path, check=False)
        except subprocess.TimeoutExpired:
            print("note: %s %s timed out" % (name, path))
            return None
        return r.stdout if r.returncode == 0 else None

    def metrics(self, name):
        """Node `name`'s /metrics as {name: value} ({} when it did not answer)."""
        out = {}
        for line in (self.api(name, "/metrics") or "").splitlines():
            m = re.match(r"^([a-z_0-9]+) (\S+)$", line)
            if m:
                out[m.group(1)] = float(m.group(2))
        return out

    def status(self, name):
        body = self.api(name, "/status")
        return json.loads(body) if body else {}

    def installed(self, members=1, g="g"):
        """True once gateway g's VL2 tables hold `members` members, confirmed."""
        m = self.metrics(g)
        return m.get("flatnet_gateway_members", -1) == members and m.get("flatnet_gateway_pending", 1) == 0 \
            and m.get("flatnet_gateway_in_flight", 1) == 0 and m.get("flatnet_gateway_barriers_confirmed_total", 0) > 0

    def dp_counters(self, g="g"):
        """Gateway g's data-plane counters (totals) through the telemetry
        (flatnet-tableload stats), {} when it did not answer."""
        r = run(self.tableload, "--instance", self.instance_of(g), "stats", "--json", check=False)
        if r.returncode != 0:
            return {}
        return {k: v[0] for k, v in json.loads(r.stdout.strip().splitlines()[-1])["counters"].items()}

    def on_failure(self):
        """What a failed run prints before its processes stop (run_test):
        each gateway's non-zero drops and VL2 counters, for the reason a
        frame did not cross."""
        for g in sorted(self.dp_cfgs):
            try:
                c = self.dp_counters(g)
            except Exception as e:  # noqa: BLE001 -- a diagnosis must not hide the failure
                c = {"error": str(e)}
            print("---- %s data-plane counters ----\n%s" % (g, json.dumps(
                {k: v for k, v in c.items() if v and ("drop" in k or "vl2" in k or "lan" in k)}, sort_keys=True)))

    def cleanup(self):
        self.teardown(self.created)


def run_gateway_test(make, argv, tails):
    """A gateway test's main(): run_test with the six binaries of BINARIES."""
    usage = "%s %s" % (os.path.basename(argv[0]), " ".join("<%s>" % b for b in BINARIES))
    return run_test(make, argv, len(BINARIES), usage, tails)

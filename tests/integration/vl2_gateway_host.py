#!/usr/bin/env python3
"""Integration: a gateway's `host` port (issue 12 "Ports and roles",
docs/gateway.md "The host port"): the gateway machine itself is a member
through a DPDK net_tap port, in the topology of vl2_gateway.py (its Test
class; namespaces prefixed fgh):

    ns <p>r root R, ns <p>c controller, ns <p>a member A (tap)
    ns <p>g flatnet-dataplane (af_packet underlay gu0, lan gl0, host port
            net_tap fghhost0) + flatnetd --dataplane
    ns <p>l LAN host H eth0 10.147.18.250 (veth to gl0)

Checks, bounded:
 1. G's flatnetd finds fghhost0 by the IPC header, gives it G's member MAC
    (§5.2), brings it up and puts G's managed address on it; /status lists
    the host port in gatewayPorts;
 2. ns g pings A by its virtual IP through fghhost0 (ARP out as a
    MULTICAST_FRAME, A's answer to G's member MAC back to the host port,
    then FRAMEs both ways), and A pings G's host address;
 3. H on the LAN pings G's host address: switched between the lan and the
    host port inside the data plane (host_rx / host_tx counted).
Exit 77 (meson: skipped) when not root or `ip` is missing. Namespaces,
processes and files are removed whatever happens.
"""
import json
import os
import re
import sys
import tempfile

from flatnet_procs import read, wait_for
from netns_topology import in_ns, run
from vl2_gateway import H_IP, NET, Test as GatewayTest
from vl2_net import Nodes, planet_for, run_test, underlay

HOST_IF = "fghhost0"


class Test(GatewayTest):
    def __init__(self, flatnetd, cli, ctl, idtool, dataplane, tableload):
        Nodes.__init__(self, tempfile.mkdtemp(prefix="fgh."), "fgh%d" % (os.getpid() % 1000), flatnetd, cli)
        self.ctl, self.idtool, self.dp, self.tableload = ctl, idtool, dataplane, tableload
        self.created = []

    def start_gateway(self, nwid):
        """As vl2_gateway's, with a host port on the lan port's network."""
        self.instance = self.prefix + "i"  # also the EAL file prefix
        cfg = {
            "instance": self.instance,
            "ports": [{"devargs": "net_af_packet0,iface=gu0"},
                      {"devargs": "net_af_packet1,iface=gl0", "role": "lan", "network": nwid},
                      {"devargs": "net_tap0,iface=" + HOST_IF, "role": "host"}],
            "ipv4": "10.%d.0.20/24" % NET, "address": self.addr["g"], "relay": False,
            "workers": 0, "memory_mb": 256, "table_capacity": 1024,
        }
        self.dp_cfg = os.path.join(self.work, "dp.json")
        with open(self.dp_cfg, "w") as f:
            json.dump(cfg, f)
        self.start_dataplane()
        self.start_control()

    def status(self, name):
        token = read(self.home(name) + "/authtoken.secret").strip()
        q = ("import urllib.request,sys; r=urllib.request.Request('http://127.0.0.1:9993/status',"
             "headers={'X-ZT1-Auth':sys.argv[1]}); print(urllib.request.urlopen(r,timeout=5).read().decode())")
        r = run("ip", "netns", "exec", self.ns(name), sys.executable, "-c", q, token, check=False)
        return json.loads(r.stdout) if r.returncode == 0 else {}

    def host_ready(self, want_ip):
        link = in_ns(self.ns("g"), "ip", "-o", "link", "show", "dev", HOST_IF, check=False).stdout
        addr = in_ns(self.ns("g"), "ip", "-o", "addr", "show", "dev", HOST_IF, check=False).stdout
        mac = re.search(r"link/ether (\S+)", link)
        if "UP" in link.split(">")[0] and want_ip in addr and mac:
            return mac.group(1)
        return None

    def main(self):
        names = ["r", "c", "a"]
        self.ips = underlay(self.prefix, NET, names, self.created)
        self.addr = planet_for(self.idtool, self.work, names + ["g"], "r", self.ips["r"])
        self.gateway_ns()
        for n in names:
            self.start_node(n)
        nwid = self.controller(
            "create", "name=fgh-office", "private=true", "v4AssignMode={\"zt\":true}",
            'ipAssignmentPools=[{"ipRangeStart":"10.147.18.10","ipRangeEnd":"10.147.18.200"}]',
            'routes=[{"target":"10.147.18.0/24","via":null}]').stdout.strip()
        for n in ("a", "g"):
            self.controller("authorize", nwid, self.addr[n])
        self.controller("set", nwid, self.addr["g"], "activeBridge=true")
        self.cli("a", "join", nwid)
        a_ip = self.ipv4(self.wait_ok("a", nwid))
        self.start_gateway(nwid)
        assert "host port" in self.logtext("dpg") and HOST_IF in self.logtext("dpg"), self.logtext("dpg")
        g_net = wait_for("G OK with an address",
                         lambda: (lambda n: n if n and n.get("status") == "OK" and n.get("assignedAddresses")
                                  else None)(self.network("g", nwid)), 30)
        g_ip = self.ipv4(g_net)
        wait_for("A in G's VL2 tables", lambda: self.installed(1), 30)

        # 1. the interface: member MAC, up, managed address; /status
        mac = wait_for("%s up with %s" % (HOST_IF, g_ip), lambda: self.host_ready(g_ip), 20)
        assert mac.lower() == g_net["mac"].lower(), (mac, g_net["mac"])
        ports = self.status("g").get("gatewayPorts", [])
        host = [p for p in ports if p.get("role") == "host"]
        assert host and host[0]["interface"] == HOST_IF and host[0]["nwid"] == nwid and host[0]["up"], ports
        print("ok: %s has G's member MAC %s and address %s; /status gatewayPorts %s" % (HOST_IF, mac, g_ip,
                                                                                       json.dumps(ports)))

        # 2. the gateway machine and a member, by their virtual IPs
        self.ping("g", a_ip)
        print("ok: ns g pings A (%s) through %s" % (a_ip, HOST_IF))
        self.ping("a", g_ip)
        print("ok: A pings G's host address %s" % g_ip)

        # 3. the LAN and the host port, switched in the data plane
        before = self.dp_counters()
        self.ping("l", g_ip)
        c = self.dp_counters()
        assert c.get("host_rx_packets", 0) > before.get("host_rx_packets", 0), c
        print("ok: H on the LAN pings G's host address; gateway counters: " +
              ", ".join("%s %d" % (k, v) for k, v in sorted(c.items()) if v and (k.startswith("host_") or
                                                                                 k.startswith("lan_"))))


def main():
    return run_test(Test, sys.argv, 6, "vl2_gateway_host.py <flatnetd> <flatnet-cli> <flatnet-controller> "
                    "<flatnet-idtool> <flatnet-dataplane> <flatnet-tableload>", ("c", "a", "g", "dpg"))


if __name__ == "__main__":
    sys.exit(main())

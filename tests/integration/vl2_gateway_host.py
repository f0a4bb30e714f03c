#!/usr/bin/env python3
"""Integration: a gateway's `host` port (issue 12 "Ports and roles",
docs/gateway.md "The host port"): the gateway machine itself is a member
through a DPDK net_tap port, in the topology of vl2_gateway.py (the
gateway fixture, vl2_gateway_fixture.py; namespaces prefixed fgh):

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
import re
import sys

from flatnet_procs import wait_for
from netns_topology import in_ns
from vl2_gateway_fixture import GatewayTest, run_gateway_test

HOST_IF = "fghhost0"


class Test(GatewayTest):
    TAG, NET = "fgh", 94

    def host_ready(self, want_ip):
        link = in_ns(self.ns("g"), "ip", "-o", "link", "show", "dev", HOST_IF, check=False).stdout
        addr = in_ns(self.ns("g"), "ip", "-o", "addr", "show", "dev", HOST_IF, check=False).stdout
        mac = re.search(r"link/ether (\S+)", link)
        if "UP" in link.split(">")[0] and want_ip in addr and mac:
            return mac.group(1)
        return None

    def main(self):
        names = ["r", "c", "a"]
        self.topology(names)
        nwid = self.create_network("fgh-office", "10.147.18")
        self.controller("authorize", nwid, self.addr["a"])
        self.authorize_bridge(nwid)
        self.cli("a", "join", nwid)
        a_ip = self.ipv4(self.wait_ok("a", nwid))
        # The gateway with a host port (net_tap) on the lan port's network.
        self.start_gateway(nwid, ports=[{"devargs": "net_tap0,iface=" + HOST_IF, "role": "host"}])
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
    return run_gateway_test(Test, sys.argv, ("c", "a", "g", "dpg"))


if __name__ == "__main__":
    sys.exit(main())

"""Shared helpers of the integration tests: commands in namespaces, and the
one topology they all use -- a Linux bridge in the data plane's namespace,
the data plane's own veth end (d0: no kernel address, no ARP, no IPv6;
PRODUCT.md "Virtual ports"), and one veth per kernel-stack peer namespace.

    ns <peer>: <if> ip ─┐
                        ├─ br0 in ns <bridge> ── d0 (the data plane's port)
    ns <peer>: <if> ip ─┘
"""
import shutil
import subprocess
import sys

STEP_TIMEOUT = 10.0


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def run(*args, check=True, timeout=STEP_TIMEOUT, **kw):
    return subprocess.run(list(args), check=check, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def in_ns(ns, *args, **kw):
    return run("ip", "netns", "exec", ns, *args, **kw)


def bridge_topology(bridge_ns, peers, created):
    """Creates bridge_ns and every peer namespace (appending each to
    `created` as soon as it exists, so the caller can always delete them),
    the bridge with d0, and per peer (ns, ifname, ipv4, ipv6-or-None) a veth
    whose bridge end is named <ifname>p."""
    for ns in [bridge_ns] + [p[0] for p in peers]:
        run("ip", "netns", "add", ns)
        created.append(ns)
    d = bridge_ns
    in_ns(d, "ip", "link", "add", "br0", "type", "bridge")
    in_ns(d, "ip", "link", "set", "br0", "up")
    in_ns(d, "ip", "link", "add", "d0", "type", "veth", "peer", "name", "d0p")
    in_ns(d, "sysctl", "-qw", "net.ipv6.conf.d0.disable_ipv6=1", check=False)
    in_ns(d, "ip", "link", "set", "d0", "arp", "off", "up")
    in_ns(d, "ip", "link", "set", "d0p", "master", "br0", "up")
    for ns, ifname, ip, ip6 in peers:
        in_ns(d, "ip", "link", "add", ifname + "p", "type", "veth", "peer", "name", ifname)
        in_ns(d, "ip", "link", "set", ifname, "netns", ns)
        in_ns(d, "ip", "link", "set", ifname + "p", "master", "br0", "up")
        in_ns(ns, "ip", "addr", "add", ip + "/24", "dev", ifname)
        if ip6:
            in_ns(ns, "ip", "-6", "addr", "add", ip6 + "/64", "dev", ifname, "nodad")
        in_ns(ns, "ip", "link", "set", ifname, "up")
        in_ns(ns, "ip", "link", "set", "lo", "up")
        if shutil.which("ethtool"):  # kernel peers must finish their checksums
            in_ns(ns, "ethtool", "-K", ifname, "tx", "off", check=False)


HOME_ROUTER_NFT = """
table inet home {
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "wan0" ct state new drop
  }
  chain forward {
    type filter hook forward priority 0; policy drop;
    iifname "lan0" oifname "wan0" accept
    iifname "wan0" oifname "lan0" ct state established,related accept
  }
}
table ip homenat {
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    oifname "wan0" ip saddr %s.0/24 masquerade
  }
}
"""


def home_router(bridge_ns, router_ns, wan_ip, node_ns, lan, created):
    """A node behind a home-router NAT: router_ns joins br0 (in bridge_ns)
    as wan0 <wan_ip>/24 through a veth whose bridge end is <router_ns>w, and
    gives node_ns eth0 <lan>.2/24 behind lan0 <lan>.1. nftables: port-
    preserving masquerade out of wan0, and unsolicited inbound from wan0
    dropped (no conntrack entry is confirmed for it, so a later outbound
    flow keeps its port). `lan` is a /24 prefix such as "192.168.111"."""
    for ns in (router_ns, node_ns):
        run("ip", "netns", "add", ns)
        created.append(ns)
        in_ns(ns, "ip", "link", "set", "lo", "up")
    in_ns(bridge_ns, "ip", "link", "add", router_ns + "w", "type", "veth", "peer", "name", "wan0",
          "netns", router_ns)
    in_ns(bridge_ns, "ip", "link", "set", router_ns + "w", "master", "br0", "up")
    in_ns(router_ns, "ip", "addr", "add", wan_ip + "/24", "dev", "wan0")
    in_ns(router_ns, "ip", "link", "set", "wan0", "up")
    in_ns(router_ns, "ip", "link", "add", "lan0", "type", "veth", "peer", "name", "eth0",
          "netns", node_ns)
    in_ns(router_ns, "ip", "addr", "add", lan + ".1/24", "dev", "lan0")
    in_ns(router_ns, "ip", "link", "set", "lan0", "up")
    in_ns(router_ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    in_ns(router_ns, "nft", "-f", "-", input=HOME_ROUTER_NFT % lan)
    in_ns(node_ns, "ip", "addr", "add", lan + ".2/24", "dev", "eth0")
    in_ns(node_ns, "ip", "link", "set", "eth0", "up")
    in_ns(node_ns, "ip", "route", "add", "default", "via", lan + ".1")
    if shutil.which("ethtool"):
        in_ns(node_ns, "ethtool", "-K", "eth0", "tx", "off", check=False)

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

#!/usr/bin/env python3
"""Integration: flatnet-dataplane as a gateway -- an underlay port and a lan
port, both net_af_packet on veths (or, with `--pmd af_xdp`, both net_af_xdp:
native XDP on the veths, copy mode), in its own namespace.

    ns <p>u: u0 10.78.0.2 ── gu0 ┐
                                 ├ ns <p>g: flatnet-dataplane (underlay gu0, lan gl0
    ns <p>l: l0 192.168.78.2 ─ gl0 ┘         bridged into network 8056c2e21c000001)

No control is attached, so the gateway knows only the network it was
configured with (no members, no keys). Checks: the start-up line names the
lan port and the network; a LAN host's traffic (ping of an absent neighbour:
ARP broadcasts) reaches the lan port and the VL2 encap stage -- the source
MAC is posted to the tables' writer and the broadcast, with no bridge or
subscriber in the network, is counted drop_vl2_no_recipient -- read from the
counters block of the IPC segment (`flatnet-tableload stats --json`); a VL1
packet to the gateway's address from an unknown peer still reaches the punt
(drop_punt_full: no control); no multicast copy is sent; the underlay host's
ping of the gateway's address is answered (the port's transmit side). Exit 77 when not root or `ip` is missing; every wait is bounded;
the data plane is stopped and the namespaces deleted whatever happens.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from netns_topology import STEP_TIMEOUT, in_ns, run, skip

NWID = "8056c2e21c000001"
GW_IP, U_IP, L_IP = "10.78.0.1", "10.78.0.2", "192.168.78.2"
SELF = 0x1111111111


def shm_stats(tableload, instance):
    r = run(tableload, "--instance", instance, "stats", "--json", check=False, timeout=STEP_TIMEOUT)
    if r.returncode != 0:
        raise RuntimeError("flatnet-tableload stats: " + (r.stdout + r.stderr).strip())
    return json.loads(r.stdout.strip().splitlines()[-1])


def total(stats, name):
    return stats["counters"].get(name, [0])[0]


def main():
    if len(sys.argv) not in (3, 5) or (len(sys.argv) == 5 and (sys.argv[3] != "--pmd" or
                                                               sys.argv[4] not in ("af_packet", "af_xdp"))):
        print("usage: dataplane_gateway.py <flatnet-dataplane> <flatnet-tableload> [--pmd af_packet|af_xdp]")
        return 2
    dp_exe, tableload = sys.argv[1], sys.argv[2]
    pmd = sys.argv[4] if len(sys.argv) == 5 else "af_packet"
    if os.geteuid() != 0 or not shutil.which("ip"):
        skip("needs root and iproute2")
    tag = "fg%d" % (os.getpid() % 100000)
    ns_g, ns_u, ns_l = tag + "g", tag + "u", tag + "l"
    created, proc, failures = [], None, []
    work = tempfile.mkdtemp(prefix="fngw-")
    instance = tag
    log = open(os.path.join(work, "dp.log"), "w+")
    try:
        for ns in (ns_g, ns_u, ns_l):
            run("ip", "netns", "add", ns)
            created.append(ns)
        for gw_end, far, ns, ip in (("gu0", "u0", ns_u, U_IP), ("gl0", "l0", ns_l, L_IP)):
            in_ns(ns_g, "ip", "link", "add", gw_end, "type", "veth", "peer", "name", far)
            in_ns(ns_g, "ip", "link", "set", far, "netns", ns)
            in_ns(ns_g, "sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % gw_end, check=False)
            in_ns(ns_g, "ip", "link", "set", gw_end, "arp", "off", "up")
            in_ns(ns, "ip", "addr", "add", ip + "/24", "dev", far)
            in_ns(ns, "ip", "link", "set", far, "up")
            in_ns(ns, "ip", "link", "set", "lo", "up")
            if shutil.which("ethtool"):  # the kernel peer must finish its UDP checksums
                in_ns(ns, "ethtool", "-K", far, "tx", "off", check=False)
        cfg = {
            "instance": instance,
            "ports": [{"devargs": "net_%s0,iface=gu0" % pmd},
                      {"devargs": "net_%s1,iface=gl0" % pmd, "role": "lan", "network": NWID}],
            "ipv4": GW_IP + "/24", "address": "%010x" % SELF, "relay": False,
            "workers": 0, "memory_mb": 256, "table_capacity": 1024,
        }
        cfg_path = os.path.join(work, "dp.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        proc = subprocess.Popen(["ip", "netns", "exec", ns_g, dp_exe, "-c", cfg_path, "--",
                                 "--log-level=*:warning"], stdout=log, stderr=subprocess.STDOUT)
        end = time.time() + 30
        text = ""
        while time.time() < end:
            if proc.poll() is not None:
                raise RuntimeError("flatnet-dataplane exited with %d" % proc.returncode)
            log.seek(0)
            text = log.read()
            if "flatnet-dataplane: ready" in text:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("flatnet-dataplane not ready within 30 s")
        if ("lan port gl0" not in text and ("lan port net_%s1" % pmd) not in text) or \
                ("bridged into network " + NWID) not in text:
            failures.append("start-up line does not name the lan port and network:\n" + text)

        # The gateway answers its own address on the underlay: frames out of the port.
        r = in_ns(ns_u, "ping", "-c", "3", "-i", "0.3", "-W", "2", GW_IP, check=False, timeout=15)
        if r.returncode != 0:
            failures.append("the gateway's address did not answer ping on the underlay (%s):\n%s" %
                            (pmd, r.stdout))

        before = shm_stats(tableload, instance)
        # A LAN host looks for a neighbour: ARP broadcasts on the LAN.
        in_ns(ns_l, "ping", "-c", "3", "-i", "0.3", "-W", "1", "192.168.78.9", check=False, timeout=15)
        # An unknown peer's VL1 packet to the gateway's address, over the underlay.
        pkt = os.urandom(8) + SELF.to_bytes(5, "big") + (0x2222222222).to_bytes(5, "big")
        pkt += bytes([0x80 | (1 << 3)]) + b"\x5a" * 8 + bytes([0x06]) + bytes(40)
        code = ("import socket,sys;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                "s.sendto(bytes.fromhex(sys.argv[1]),(sys.argv[2],9993))")
        in_ns(ns_u, sys.executable, "-c", code, pkt.hex(), GW_IP)
        deadline = time.time() + 5
        after = before
        while time.time() < deadline:
            after = shm_stats(tableload, instance)
            if total(after, "drop_punt_full") > total(before, "drop_punt_full") and \
                    total(after, "drop_vl2_no_recipient") > total(before, "drop_vl2_no_recipient"):
                break
            time.sleep(0.3)
        delta = {k: total(after, k) - total(before, k)
                 for k in ("lan_rx_packets", "vl2_learn_posted", "drop_vl2_no_recipient", "drop_punt_full",
                           "vl2_encap_multicast")}
        print("counters moved: " + json.dumps(delta))
        print("all that moved: " + json.dumps({k: total(after, k) - total(before, k) for k in after["counters"]
                                               if total(after, k) != total(before, k)}))
        if delta["lan_rx_packets"] < 1:
            failures.append("no frame counted on the lan port")
        # Since start, not in the window: the LAN host's own IPv6 start-up
        # frames may have been learned first (then no new post within the
        # MAC refresh interval).
        if total(after, "vl2_learn_posted") < 1:
            failures.append("the LAN host's MAC was not posted to the tables' writer")
        if delta["drop_vl2_no_recipient"] < 1:
            failures.append("a broadcast with no recipient was not counted drop_vl2_no_recipient")
        if delta["drop_punt_full"] < 1:
            failures.append("the VL1 packet to the gateway was not punted (drop_punt_full)")
        if delta["vl2_encap_multicast"] != 0:
            failures.append("a multicast copy was sent with no recipient in the network")
    except Exception as e:  # noqa: BLE001 -- reported as a failure, cleanup below
        failures.append("error: %s" % e)
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for ns in created:
            run("ip", "netns", "del", ns, check=False)
        log.seek(0)
        dp_log = log.read()
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        print("data plane log:\n" + dp_log)
        return 1
    print("OK: gateway lan port polled, LAN frames through VL2 encap, counters in the segment")
    return 0


if __name__ == "__main__":
    sys.exit(main())

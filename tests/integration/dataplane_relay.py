#!/usr/bin/env python3
"""Integration: flatnet-dataplane on a veth, relaying between kernel peers.

Topology (all created here, names unique to this run, removed on exit):

    ns <p>a: a0 10.77.0.2 ─┐                    ┌─ d0 (no address, ARP and IPv6 off)
                           ├─ br0 in ns <p>d ───┤    flatnet-dataplane, net_af_packet
    ns <p>b: b0 10.77.0.3 ─┘                    │    10.77.0.1, UDP 9993
                                                └─ (data plane owns d0)

Checks: ARP and ping of the data plane's address are answered; valid VL1
packets between two kernel UDP sockets arrive relayed with hops+1 (both
directions, payload otherwise unchanged, from 10.77.0.1:9993); a packet at
the hop limit is not delivered and is counted as drop_vl1_hop_limit. Peer
paths are loaded with flatnet-tableload.

Exit 77 (meson: skipped) when not root or `ip` is missing. Every wait is
bounded; the data plane is always stopped and the namespaces deleted.
"""
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

DP_IP, A_IP, B_IP = "10.77.0.1", "10.77.0.2", "10.77.0.3"
A_PORT, B_PORT = 40001, 40002
ADDR_A, ADDR_B = 0xAAAAAAAAA1, 0xBBBBBBBBB2
STEP_TIMEOUT = 10.0


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def run(*args, check=True, timeout=STEP_TIMEOUT, **kw):
    return subprocess.run(list(args), check=check, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def in_ns(ns, *args, **kw):
    return run("ip", "netns", "exec", ns, *args, **kw)


def vl1_packet(dst, src, hops, body=64):
    pkt = bytearray(8) + dst.to_bytes(5, "big") + src.to_bytes(5, "big")
    pkt += bytes([0x80 | (1 << 3) | (hops & 7)])  # Salsa20/12 + Poly1305, hop bits
    pkt += b"\x5a" * 8                              # MAC: a relay never checks it
    pkt += bytes([0x06])                            # verb (encrypted on the wire)
    pkt += bytes((i * 7) & 0xFF for i in range(body))
    pkt[0:8] = os.urandom(8)                        # packet id
    return bytes(pkt)


# Runs inside a peer namespace: send packets, then collect what arrives.
PEER_CODE = r"""
import json, socket, sys, time
bind_ip, bind_port, to_ip, to_port, wait_s = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
sends = [bytes.fromhex(h) for h in sys.argv[6].split(",") if h]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((bind_ip, bind_port))
time.sleep(0.3)  # the other side's receiver is up by then
for p in sends:
    s.sendto(p, (to_ip, to_port))
    time.sleep(0.05)
got = []
end = time.time() + wait_s
while time.time() < end:
    s.settimeout(max(0.01, end - time.time()))
    try:
        d, a = s.recvfrom(65535)
    except socket.timeout:
        break
    got.append({"data": d.hex(), "from": "%s:%d" % a})
print(json.dumps(got))
"""


# Runs inside a peer namespace: ICMP echo over a raw socket (no `ping`
# binary needed). Prints how many of n requests were answered.
PING_CODE = r"""
import os, socket, struct, sys, time
dst, n = sys.argv[1], int(sys.argv[2])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident, ok = os.getpid() & 0xffff, 0
for seq in range(n):
    body = b"flatnet-ping-%02d" % seq
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    s.sendto(struct.pack("!BBHHH", 8, 0, csum(hdr + body), ident, seq) + body, (dst, 0))
    end = time.time() + 2
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            d, a = s.recvfrom(2048)
        except socket.timeout:
            break
        ihl = (d[0] & 15) * 4
        t, c, ck, i, q = struct.unpack("!BBHHH", d[ihl:ihl + 8])
        if a[0] == dst and t == 0 and i == ident and q == seq and d[ihl + 8:] == body and csum(d[ihl:]) == 0:
            ok += 1
            break
print(ok)
"""


def telemetry(instance, cmd="/flatnet/stats"):
    paths = glob.glob("/var/run/dpdk/flatnet-%s/dpdk_telemetry.v2" % instance)
    if not paths:
        raise RuntimeError("no telemetry socket for instance " + instance)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(STEP_TIMEOUT)
    s.connect(paths[0])
    s.recv(4096)
    s.send(cmd.encode())
    reply = json.loads(s.recv(1 << 20).decode())
    s.close()
    return reply[cmd]


class Topology:
    def __init__(self):
        tag = "fn%d" % (os.getpid() % 100000)
        self.ns_d, self.ns_a, self.ns_b = tag + "d", tag + "a", tag + "b"
        self.created = []

    def up(self):
        for ns in (self.ns_d, self.ns_a, self.ns_b):
            run("ip", "netns", "add", ns)
            self.created.append(ns)
        d = self.ns_d
        in_ns(d, "ip", "link", "add", "br0", "type", "bridge")
        in_ns(d, "ip", "link", "set", "br0", "up")
        # The data plane's end: no address, no ARP, no IPv6 (PRODUCT.md "Virtual ports").
        in_ns(d, "ip", "link", "add", "d0", "type", "veth", "peer", "name", "d0p")
        in_ns(d, "sysctl", "-qw", "net.ipv6.conf.d0.disable_ipv6=1", check=False)
        in_ns(d, "ip", "link", "set", "d0", "arp", "off", "up")
        in_ns(d, "ip", "link", "set", "d0p", "master", "br0", "up")
        for ns, ifname, ip in ((self.ns_a, "a0", A_IP), (self.ns_b, "b0", B_IP)):
            in_ns(d, "ip", "link", "add", ifname + "p", "type", "veth", "peer", "name", ifname)
            in_ns(d, "ip", "link", "set", ifname, "netns", ns)
            in_ns(d, "ip", "link", "set", ifname + "p", "master", "br0", "up")
            in_ns(ns, "ip", "addr", "add", ip + "/24", "dev", ifname)
            in_ns(ns, "ip", "link", "set", ifname, "up")
            in_ns(ns, "ip", "link", "set", "lo", "up")
            if shutil.which("ethtool"):  # kernel peers must finish their checksums
                in_ns(ns, "ethtool", "-K", ifname, "tx", "off", check=False)

    def down(self):
        for ns in self.created:
            run("ip", "netns", "del", ns, check=False)
        self.created = []


def start_dataplane(dp_exe, ns, instance, log):
    cmd = ["ip", "netns", "exec", ns, dp_exe,
           "--instance", instance, "--port", "net_af_packet0,iface=d0",
           "--ipv4", DP_IP + "/24", "--workers", "0", "--relay", "on",
           "--memory-mb", "256", "--table-capacity", "1024",
           "--", "--log-level=*:warning"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    end = time.time() + 30
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("flatnet-dataplane exited with %d" % proc.returncode)
        with open(log.name) as f:
            if "flatnet-dataplane: ready" in f.read():
                return proc
        time.sleep(0.1)
    raise RuntimeError("flatnet-dataplane not ready within 30 s")


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def peer(ns, bind_ip, bind_port, sends, wait_s):
    hexes = ",".join(p.hex() for p in sends)
    return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", PEER_CODE,
                             bind_ip, str(bind_port), DP_IP, "9993", str(wait_s), hexes],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def exchange(topo, a_sends, b_sends, wait_s=3.0):
    pa = peer(topo.ns_a, A_IP, A_PORT, a_sends, wait_s)
    pb = peer(topo.ns_b, B_IP, B_PORT, b_sends, wait_s)
    out = []
    for p in (pa, pb):
        o, _ = p.communicate(timeout=wait_s + STEP_TIMEOUT)
        if p.returncode != 0:
            raise RuntimeError("peer failed: " + o)
        out.append(json.loads(o.strip().splitlines()[-1]))
    return out


def bumped(pkt):
    b = bytearray(pkt)
    b[18] = (b[18] & 0xF8) | ((b[18] + 1) & 7)
    return bytes(b)


def main():
    if len(sys.argv) != 3:
        print("usage: dataplane_relay.py <flatnet-dataplane> <flatnet-tableload>")
        return 2
    dp_exe, tableload = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        skip("needs root (creates network namespaces)")
    if not shutil.which("ip"):
        skip("needs iproute2 `ip`")
    topo = Topology()
    instance = "it%d" % os.getpid()
    proc = None
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    log = tempfile.NamedTemporaryFile("w+", prefix="flatnet-dp-", suffix=".log", delete=False)
    try:
        topo.up()
        proc = start_dataplane(dp_exe, topo.ns_d, instance, log)

        # Peers' paths through the table loader (CSV: address,ip:port).
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write("%010x,%s:%d\n%010x,%s:%d\n" % (ADDR_A, A_IP, A_PORT, ADDR_B, B_IP, B_PORT))
            peers_csv = f.name
        r = run(tableload, "--instance", instance, "--timeout", "10", "load", "--file", peers_csv,
                check=False, timeout=30)
        os.unlink(peers_csv)
        print(r.stdout.strip())
        check(r.returncode == 0, "flatnet-tableload loaded two peers")

        # ARP + ICMP echo of the data plane's address.
        r = in_ns(topo.ns_a, sys.executable, "-c", PING_CODE, DP_IP, "3", check=False, timeout=20)
        check(r.stdout.strip() == "3", "ping %s: 3 of 3 echo requests answered (%s)" % (DP_IP, r.stdout.strip()))
        with open(log.name) as f:
            dp_mac = f.read().split(" mac ")[1].split()[0]
        r = in_ns(topo.ns_a, "ip", "neigh", "show", DP_IP, check=False)
        check("lladdr " + dp_mac in r.stdout,
              "ARP for %s answered with the port MAC %s (%s)" % (DP_IP, dp_mac, r.stdout.strip()))

        # Relay both ways, hops 0..2 -> 1..3.
        a_to_b = [vl1_packet(ADDR_B, ADDR_A, h) for h in range(3)]
        b_to_a = [vl1_packet(ADDR_A, ADDR_B, h) for h in range(3)]
        got_a, got_b = exchange(topo, a_to_b, b_to_a)
        want_b = [bumped(p).hex() for p in a_to_b]
        want_a = [bumped(p).hex() for p in b_to_a]
        check(sorted(g["data"] for g in got_b) == sorted(want_b),
              "A->B: 3 packets relayed with hops+1 (got %d)" % len(got_b))
        check(sorted(g["data"] for g in got_a) == sorted(want_a),
              "B->A: 3 packets relayed with hops+1 (got %d)" % len(got_a))
        check(all(g["from"] == "%s:9993" % DP_IP for g in got_a + got_b),
              "relayed packets come from the data plane's address and port")

        # Hop limit: hops 3 is dropped and counted.
        before = telemetry(instance)
        got_a, got_b = exchange(topo, [vl1_packet(ADDR_B, ADDR_A, 3)], [], wait_s=1.5)
        after = telemetry(instance)
        check(got_b == [], "hop-limit packet not delivered")
        check(after["drop_vl1_hop_limit"] - before["drop_vl1_hop_limit"] == 1,
              "hop-limit drop counted (drop_vl1_hop_limit %d -> %d)"
              % (before["drop_vl1_hop_limit"], after["drop_vl1_hop_limit"]))
        check(after["relayed"] >= 6, "relayed counter %d >= 6" % after["relayed"])
        check(after["arp_replies"] >= 1 and after["icmp4_echo_replies"] >= 3,
              "arp_replies %d, icmp4_echo_replies %d" % (after["arp_replies"], after["icmp4_echo_replies"]))
    except Exception as e:  # report, then clean up below
        failures.append("error: %s" % e)
        print("FAIL error: %s" % e)
    finally:
        stop(proc)
        topo.down()
        log.seek(0)
        text = log.read()
        log.close()
        os.unlink(log.name)
        if failures:
            print("---- data plane log ----\n" + text)
    if proc and proc.returncode not in (0, None):
        failures.append("data plane exit code %d" % proc.returncode)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Integration: flatnet-dataplane on a veth, relaying between kernel peers.

Topology (all created here, names unique to this run, removed on exit):

    ns <p>a: a0 10.77.0.2 ─┐                    ┌─ d0 (no address, ARP and IPv6 off)
                           ├─ br0 in ns <p>d ───┤    flatnet-dataplane, net_af_packet
    ns <p>b: b0 10.77.0.3 ─┘                    │    10.77.0.1, UDP 9993
                                                └─ (data plane owns d0)

Checks: ARP and ping of the data plane's address are answered, and ND and
ICMPv6 echo of fd77::1; valid VL1 packets between kernel UDP sockets arrive
relayed with hops+1 (IPv4 both ways, IPv4 -> IPv6 and IPv6 -> IPv6, the
kernel checking the IPv6 UDP checksums), payload otherwise unchanged, from
the data plane's address and port 9993; a packet at the hop limit is not
delivered and is counted as drop_vl1_hop_limit; a packet to the secondary
UDP port (random, read from the start-up line) is relayed the same way, from
port 9993, and one to a third port is counted drop_udp_port; a packet to the
data plane's own address is punted (counted punt_full with no control attached);
the counters block of the IPC segment, read with `flatnet-tableload stats
--json` (read-only, no EAL), agrees with DPDK telemetry (relayed, hop-limit
and punt drops) and its per-worker columns add up to its totals.
Peer paths are loaded with flatnet-tableload. `--workers N` runs N workers
on N af_packet queue pairs.

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

from netns_topology import STEP_TIMEOUT, bridge_topology, in_ns, run, skip

DP_IP, A_IP, B_IP = "10.77.0.1", "10.77.0.2", "10.77.0.3"
DP_IP6, A_IP6, B_IP6 = "fd77::1", "fd77::2", "fd77::3"
A_PORT, B_PORT, B6_PORT, A6_PORT = 40001, 40002, 40003, 40004
# A and B are reached over IPv4; C lives on B's IPv6 socket, D on A's.
ADDR_A, ADDR_B, ADDR_C, ADDR_D = 0xAAAAAAAAA1, 0xBBBBBBBBB2, 0xCCCCCCCCC3, 0xDDDDDDDDD4
SELF = 0x1111111111


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
fam = socket.AF_INET6 if ":" in bind_ip else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
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
    got.append({"data": d.hex(), "from": "%s:%d" % (a[0], a[1])})
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
v6 = ":" in dst
if v6:  # the kernel fills in ICMPv6 checksums and strips the IPv6 header
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident, ok = os.getpid() & 0xffff, 0
for seq in range(n):
    body = b"flatnet-ping-%02d" % seq
    if v6:
        s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, seq) + body, (dst, 0))
    else:
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        s.sendto(struct.pack("!BBHHH", 8, 0, csum(hdr + body), ident, seq) + body, (dst, 0))
    end = time.time() + 2
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            d, a = s.recvfrom(2048)
        except socket.timeout:
            break
        ihl = 0 if v6 else (d[0] & 15) * 4
        t, c, ck, i, q = struct.unpack("!BBHHH", d[ihl:ihl + 8])
        good = v6 or csum(d[ihl:]) == 0
        if a[0] == dst and t == (129 if v6 else 0) and i == ident and q == seq and d[ihl + 8:] == body and good:
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


def shm_stats(tableload, instance):
    """The data plane's counters block through the IPC segment: name -> [total, per channel...]."""
    r = run(tableload, "--instance", instance, "stats", "--json", check=False, timeout=STEP_TIMEOUT)
    if r.returncode != 0:
        raise RuntimeError("flatnet-tableload stats: " + (r.stdout + r.stderr).strip())
    return json.loads(r.stdout.strip().splitlines()[-1])


class Topology:
    def __init__(self):
        tag = "fn%d" % (os.getpid() % 100000)
        self.ns_d, self.ns_a, self.ns_b = tag + "d", tag + "a", tag + "b"
        self.created = []

    def up(self):
        bridge_topology(self.ns_d, [(self.ns_a, "a0", A_IP, A_IP6), (self.ns_b, "b0", B_IP, B_IP6)],
                        self.created)

    def down(self):
        for ns in self.created:
            run("ip", "netns", "del", ns, check=False)
        self.created = []


def start_dataplane(dp_exe, ns, instance, log, workers):
    port = "net_af_packet0,iface=d0" + (",qpairs=%d" % workers if workers > 1 else "")
    cmd = ["ip", "netns", "exec", ns, dp_exe,
           "--instance", instance, "--port", port,
           "--ipv4", DP_IP + "/24", "--ipv6", DP_IP6 + "/64", "--address", "%010x" % SELF,
           "--workers", str(workers), "--relay", "on",
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


def peer(ns, bind_ip, bind_port, sends, wait_s, to_port=9993):
    hexes = ",".join(p.hex() for p in sends)
    to = DP_IP6 if ":" in bind_ip else DP_IP
    return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", PEER_CODE,
                             bind_ip, str(bind_port), to, str(to_port), str(wait_s), hexes],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def exchange(topo, a_sends, b_sends, wait_s=3.0, v6=False, to_port=9993):
    """A and B send (over IPv4, or IPv6 from their C/D sockets) and collect."""
    if v6:
        pa = peer(topo.ns_a, A_IP6, A6_PORT, a_sends, wait_s, to_port)
        pb = peer(topo.ns_b, B_IP6, B6_PORT, b_sends, wait_s, to_port)
    else:
        pa = peer(topo.ns_a, A_IP, A_PORT, a_sends, wait_s, to_port)
        pb = peer(topo.ns_b, B_IP, B_PORT, b_sends, wait_s, to_port)
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
    args = sys.argv[1:]
    workers = 0
    if len(args) == 4 and args[2] == "--workers":
        workers = int(args[3])
        args = args[:2]
    if len(args) != 2:
        print("usage: dataplane_relay.py <flatnet-dataplane> <flatnet-tableload> [--workers N]")
        return 2
    dp_exe, tableload = args
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
        proc = start_dataplane(dp_exe, topo.ns_d, instance, log, workers)

        # Peers' paths through the table loader (CSV: address,ip:port).
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write("%010x,%s:%d\n%010x,%s:%d\n%010x,[%s]:%d\n%010x,[%s]:%d\n" % (
                ADDR_A, A_IP, A_PORT, ADDR_B, B_IP, B_PORT, ADDR_C, B_IP6, B6_PORT, ADDR_D, A_IP6, A6_PORT))
            peers_csv = f.name
        r = run(tableload, "--instance", instance, "--timeout", "10", "load", "--file", peers_csv,
                check=False, timeout=30)
        os.unlink(peers_csv)
        print(r.stdout.strip())
        check(r.returncode == 0, "flatnet-tableload loaded four peers")

        # ARP + ICMP echo of the data plane's address.
        r = in_ns(topo.ns_a, sys.executable, "-c", PING_CODE, DP_IP, "3", check=False, timeout=20)
        check(r.stdout.strip() == "3", "ping %s: 3 of 3 echo requests answered (%s)" % (DP_IP, r.stdout.strip()))
        with open(log.name) as f:
            banner = f.read()
        dp_mac = banner.split(" mac ")[1].split()[0]
        if workers > 1:
            check(" queues %d " % workers in banner and " workers %d" % workers in banner,
                  "%d workers on %d queue pairs" % (workers, workers))
        r = in_ns(topo.ns_a, "ip", "neigh", "show", DP_IP, check=False)
        check("lladdr " + dp_mac in r.stdout,
              "ARP for %s answered with the port MAC %s (%s)" % (DP_IP, dp_mac, r.stdout.strip()))

        # Neighbour discovery + ICMPv6 echo of the data plane's IPv6 address.
        r = in_ns(topo.ns_a, sys.executable, "-c", PING_CODE, DP_IP6, "3", check=False, timeout=20)
        check(r.stdout.strip() == "3", "ping %s: 3 of 3 echo requests answered (%s)" % (DP_IP6, r.stdout.strip()))
        r = in_ns(topo.ns_a, "ip", "-6", "neigh", "show", DP_IP6, check=False)
        check("lladdr " + dp_mac in r.stdout,
              "ND for %s answered with the port MAC (%s)" % (DP_IP6, r.stdout.strip()))

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

        # IPv4 in, IPv6 out (A -> C on B's IPv6 socket; the data plane computes the
        # UDP checksum, the kernel checks it), and IPv6 -> IPv6 (C -> D on A's IPv6
        # socket; incremental checksum update).
        a_to_c = vl1_packet(ADDR_C, ADDR_A, 0)
        c_to_d = vl1_packet(ADDR_D, ADDR_C, 1)
        procs = {"a6": peer(topo.ns_a, A_IP6, A6_PORT, [], 3.0),
                 "b6": peer(topo.ns_b, B_IP6, B6_PORT, [c_to_d], 3.0),
                 "a4": peer(topo.ns_a, A_IP, A_PORT, [a_to_c], 3.0)}
        res = {}
        for name, p in procs.items():
            o, _ = p.communicate(timeout=3.0 + STEP_TIMEOUT)
            res[name] = json.loads(o.strip().splitlines()[-1]) if p.returncode == 0 else [o]
        check([g.get("data") for g in res["b6"]] == [bumped(a_to_c).hex()]
              and res["b6"][0]["from"] == "%s:9993" % DP_IP6,
              "IPv4 -> IPv6 relay arrives with a valid UDP checksum and hops 1 (%s)" % res["b6"])
        check([g.get("data") for g in res["a6"]] == [bumped(c_to_d).hex()]
              and res["a6"][0]["from"] == "%s:9993" % DP_IP6,
              "IPv6 -> IPv6 relay arrives with a valid UDP checksum and hops 2 (%s)" % res["a6"])

        # The secondary UDP port (spec 11.3; random, printed at start-up): relayed
        # like the primary, answered from the primary; a third port is dropped.
        secondary = int(banner.split(" secondary ")[1].split()[0])
        check(20000 <= secondary <= 65499, "secondary port %d chosen in 20000..65499" % secondary)
        a_to_b = [vl1_packet(ADDR_B, ADDR_A, 0)]
        got_a, got_b = exchange(topo, a_to_b, [], to_port=secondary)
        check([g["data"] for g in got_b] == [bumped(a_to_b[0]).hex()]
              and got_b[0]["from"] == "%s:9993" % DP_IP,
              "A->B to the secondary port %d: relayed, from port 9993 (%s)" % (secondary, got_b))
        third = 9994 if secondary != 9994 else 9995
        before = telemetry(instance)
        got_a, got_b = exchange(topo, [vl1_packet(ADDR_B, ADDR_A, 0)], [], wait_s=1.0, to_port=third)
        after = telemetry(instance)
        check(got_b == [] and after["drop_udp_port"] - before["drop_udp_port"] == 1,
              "a packet to port %d dropped as drop_udp_port (%d -> %d)"
              % (third, before["drop_udp_port"], after["drop_udp_port"]))

        # To the data plane's own address: punted (no control attached, so counted).
        before = telemetry(instance)
        exchange(topo, [vl1_packet(SELF, ADDR_A, 0)], [], wait_s=1.0)
        after = telemetry(instance)
        check(after["drop_punt_full"] - before["drop_punt_full"] == 1 and after["relayed"] == before["relayed"],
              "packet to our own address punted, not relayed (punt_full %d -> %d)"
              % (before["drop_punt_full"], after["drop_punt_full"]))
        check(after["relayed"] >= 9, "relayed counter %d >= 9" % after["relayed"])
        check(after["arp_replies"] >= 1 and after["icmp4_echo_replies"] >= 3,
              "arp_replies %d, icmp4_echo_replies %d" % (after["arp_replies"], after["icmp4_echo_replies"]))

        # The same counters through the IPC segment's counters block (what
        # flatnetd's /metrics reads), published every 100 ms by the main lcore:
        # once the traffic has stopped, equal to telemetry's.
        time.sleep(0.3)
        shm = shm_stats(tableload, instance)
        tel = telemetry(instance)
        c = shm["counters"]
        check(shm["seq"] > 0 and 0 <= shm["age_ms"] < 1000 and shm["channels"] == max(workers, 1) + 1,
              "counters block published %.0f ms ago, %d channels" % (shm["age_ms"], shm["channels"]))
        for name in ("relayed", "drop_vl1_hop_limit", "drop_punt_full", "icmp4_echo_replies"):
            check(name in c and c[name][0] == tel[name],
                  "shm %s %s == telemetry %d" % (name, c.get(name, ["missing"])[0], tel[name]))
        check(c["relayed"][0] >= 8 and sum(c["relayed"][1:]) == c["relayed"][0],
              "shm relayed %d >= 8, per-channel %s adds up" % (c["relayed"][0], c["relayed"][1:]))
        check(len(c) == len([k for k in tel if k != "pollers"]) + 19,
              "every telemetry counter plus 19 ipc_* counters (%d entries)" % len(c))
        check(c["ipc_commands_ok"][0] >= 4 and c["ipc_punt_no_control"][0] >= 1,
              "ipc_commands_ok %d, ipc_punt_no_control %d" % (c["ipc_commands_ok"][0],
                                                              c["ipc_punt_no_control"][0]))
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

"""Shared helpers of the control integration tests: bounded waits, the
processes a test starts (flatnet-dataplane, flatnetd) with one log file
each, fresh identities and a planet, and an nftables block in the bridge."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

from netns_topology import run

STEP = 10.0


def wait_for(what, fn, timeout):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("timed out (%.0f s) waiting for %s" % (timeout, what))


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


class Procs:
    """Processes by name, each logging to <work>/<name>.log."""

    def __init__(self, work):
        self.work = work
        self.procs = {}

    def logtext(self, name):
        path = os.path.join(self.work, name + ".log")
        return read(path) if os.path.exists(path) else ""

    def alive(self, name):
        p = self.procs[name]
        if p.poll() is not None:
            raise RuntimeError("%s exited with %d:\n%s" % (name, p.returncode, self.logtext(name)))
        return True

    def start(self, name, cmd, mode="a"):
        log = open(os.path.join(self.work, name + ".log"), mode)
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)

    def stop(self, name, sig=signal.SIGTERM):
        p = self.procs.pop(name, None)
        if p and p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout=STEP)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=STEP)

    def run_dataplane(self, name, binary, ns, instance, port, ip, address, table_capacity=1024,
                      extra=()):
        """flatnet-dataplane on net_af_packet `port` owning ip/24, relay on;
        returns once it says it is ready."""
        self.start(name, ["ip", "netns", "exec", ns, binary, "--instance", instance,
                          "--port", "net_af_packet0,iface=" + port, "--ipv4", ip + "/24",
                          "--address", address, "--workers", "0", "--relay", "on",
                          "--memory-mb", "256", "--table-capacity", str(table_capacity)]
                   + list(extra) + ["--", "--log-level=*:warning"], mode="w")
        wait_for("flatnet-dataplane %s ready" % name,
                 lambda: self.alive(name) and "flatnet-dataplane: ready" in self.logtext(name), 30)

    def run_flatnetd(self, name, binary, ns, home, backend, ping=(), api=False):
        cmd = ["ip", "netns", "exec", ns, binary, "-H", home, "--log-level", "debug"] + backend
        cmd += [] if api else ["--no-api"]
        if ping:
            cmd += ["--ping", ",".join(ping)]
        self.start(name, cmd)

    def replies(self, name, frm):
        """Hop counts of the ECHO replies from `frm` that flatnetd `name` logged."""
        return re.findall(r"echo reply from %s rtt \d+ ms hops (\d+)" % frm, self.logtext(name))

    def stop_all(self, keep=()):
        for name in list(self.procs):
            if name not in keep:
                self.stop(name)

    def stop_controls(self):
        """SIGTERM every process but the data planes ("dp*"): each flatnetd
        logs its counters, and the data planes outlive their controls."""
        self.stop_all(keep=[n for n in self.procs if n.startswith("dp")])

    def print_tails(self, names, lines=25):
        for name in names:
            text = self.logtext(name)
            if text:
                print("---- %s.log (tail) ----\n%s" % (name, "\n".join(text.splitlines()[-lines:])))

    def teardown(self, namespaces):
        """Stops what is left (controls first), deletes the test's namespaces
        and its work directory (kept with FLATNET_KEEP_LOGS=1)."""
        self.stop_controls()
        self.stop_all()
        for ns in reversed(namespaces):
            run("ip", "netns", "del", ns, check=False)
        if os.environ.get("FLATNET_KEEP_LOGS"):
            print("logs kept in " + self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def identities_and_planet(idtool, work, names, roots):
    """A fresh identity in <work>/<name>/ for every name, and a planet listing
    `roots` ([(name, ip)], port 9993), signed with a fresh key and copied to
    every home. Returns {name: address}."""
    addr = {}
    for n in names:
        home = os.path.join(work, n)
        os.makedirs(home)
        run(idtool, "generate", home + "/identity.secret", home + "/identity.public", timeout=60)
        addr[n] = read(home + "/identity.public").split(":")[0]
    first, ip = roots[0]
    j = json.loads(run(idtool, "initmoon", os.path.join(work, first, "identity.public")).stdout)
    j["worldType"] = "planet"
    j["roots"][0]["stableEndpoints"] = [ip + "/9993"]
    for n, ip in roots[1:]:
        j["roots"].append({"identity": read(os.path.join(work, n, "identity.public")).strip(),
                           "stableEndpoints": [ip + "/9993"]})
    with open(os.path.join(work, "planet.json"), "w") as f:
        json.dump(j, f)
    out = run(idtool, "genmoon", os.path.join(work, "planet.json"), cwd=work).stdout
    name = re.search(r"wrote (\S+)", out).group(1)
    for n in names:
        shutil.copy(os.path.join(work, name), os.path.join(work, n, "planet"))
    return addr


def bridge_block(bridge_ns, table, a_port, b_port, on):
    """Drops (or stops dropping) frames between two bridge ports of br0."""
    if on:
        run("ip", "netns", "exec", bridge_ns, "nft", "-f", "-", input="""
table bridge %s {
  chain blockab { type filter hook forward priority 0; policy accept;
    iifname "%s" oifname "%s" drop
    iifname "%s" oifname "%s" drop
  }
}
""" % (table, a_port, b_port, b_port, a_port))
    else:
        run("ip", "netns", "exec", bridge_ns, "nft", "delete", "table", "bridge", table)

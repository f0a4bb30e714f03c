"""kill -9 during a stream of /controller API writes loses no acknowledged
change (issue 11). One writer sends member and network changes one after
another; flatnetd is killed with SIGKILL at random moments and restarted;
after each restart every acknowledged change must be there, compared
through the API. A write cut off by the kill (no answer) may or may not be
there; the stored value must then be the last acknowledged one or that one.
    controller_kill9.py <flatnetd> <flatnet-idtool> [--kills N] [--seed S]"""
import argparse
import http.client
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from controller_node import Node  # noqa: E402

MEMBERS = 40
ABSENT = "absent"


class Writer:
    """Sequential writes; for each key (a member address or "network") the
    last acknowledged value and the value of a write that got no answer."""

    def __init__(self, node, nwid, rng):
        self.node, self.nwid, self.rng = node, nwid, rng
        self.acked = {}     # key -> value (dict of fields, or ABSENT)
        self.pending = {}   # key -> values of unanswered writes after acked
        self.seq = 0
        self.acks = 0
        self.cut = 0

    def one(self):
        self.seq += 1
        s = self.seq
        if s % 11 == 0:
            key, method, path, body = "network", "POST", "/controller/network/" + self.nwid, \
                {"name": "net-%d" % s, "multicastLimit": s % 1000}
            value = {"name": "net-%d" % s, "multicastLimit": s % 1000}
        else:
            addr = "%010x" % (0x1000000000 + self.rng.randrange(MEMBERS))
            key = addr
            path = "/controller/network/%s/member/%s" % (self.nwid, addr)
            if s % 7 == 0:
                method, body, value = "DELETE", None, ABSENT
            else:
                auth = bool(s % 2)
                method, body = "POST", {"name": "m-%d" % s, "authorized": auth,
                                        "ipAssignments": ["10.9.%d.%d" % (s // 250 % 250, s % 250 + 1)]}
                value = {"name": "m-%d" % s, "authorized": auth,
                         "ipAssignments": body["ipAssignments"]}
        try:
            status, _ = self.node.call(method, path, body, timeout=5)
        except (OSError, urllib.error.URLError, http.client.HTTPException):
            self.pending.setdefault(key, []).append(value)  # no answer: maybe stored
            self.cut += 1
            return False
        if method == "DELETE" and status == 404:
            status = 200                # already absent: nothing to acknowledge but absence
        if status != 200:
            raise AssertionError("%s %s answered %d" % (method, path, status))
        self.acked[key] = value
        self.pending.pop(key, None)
        self.acks += 1
        return True

    def stored(self, key):
        if key == "network":
            status, j = self.node.call("GET", "/controller/network/" + self.nwid)
            assert status == 200, "network lost: %d" % status
            return {"name": j["name"], "multicastLimit": j["multicastLimit"]}
        status, j = self.node.call("GET", "/controller/network/%s/member/%s" % (self.nwid, key))
        if status == 404:
            return ABSENT
        assert status == 200, "member %s: %d" % (key, status)
        return {"name": j.get("name"), "authorized": j["authorized"],
                "ipAssignments": j["ipAssignments"]}

    def verify(self):
        """Every key's stored value is its acknowledged one, or the
        unanswered write after it; afterwards that is the acknowledged one."""
        for key in sorted(set(self.acked) | set(self.pending)):
            got = self.stored(key)
            allowed = [self.acked.get(key, ABSENT)]
            allowed += self.pending.get(key, [])
            if got not in allowed:
                raise AssertionError("key %s: stored %r, acknowledged %r (unanswered write: %r)"
                                     % (key, got, allowed[0], allowed[1:]))
            self.acked[key] = got
        self.pending.clear()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("flatnetd")
    ap.add_argument("idtool")
    ap.add_argument("--kills", type=int, default=8)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    a = ap.parse_args()
    print("seed %d" % a.seed)
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="fna-kill9-")
    node = Node(os.path.abspath(a.flatnetd), os.path.abspath(a.idtool), work)
    ok = False
    try:
        node.start()
        status, j = node.call("POST", "/controller/network", {"name": "kill9"})
        assert status == 200, status
        w = Writer(node, j["id"], rng)
        for k in range(a.kills):
            # Kill after a random 50..600 ms of writes, from another thread,
            # so the kill lands at any point of a request.
            delay = rng.uniform(0.05, 0.6)
            proc = node.proc
            timer = threading.Timer(delay, lambda p=proc: p.send_signal(signal.SIGKILL))
            timer.start()
            end = time.time() + 30
            # Until the first write without an answer: the kill landed.
            while time.time() < end and w.one():
                pass
            timer.join()
            proc.wait(timeout=10)
            assert proc.returncode == -signal.SIGKILL, proc.returncode
            node.proc = None
            node.start()
            w.verify()
            print("kill %d after %.0f ms: %d writes acknowledged so far, %d cut off, all present"
                  % (k + 1, delay * 1000, w.acks, w.cut))
        for _ in range(50):
            w.one()
        w.verify()
        assert w.acks > a.kills, "too few acknowledged writes to mean anything"
        ok = True
        print("ok: %d kills, %d acknowledged writes, %d cut off; every acknowledged change present"
              % (a.kills, w.acks, w.cut))
    finally:
        node.stop(signal.SIGKILL)
        if not ok:
            print("---- flatnetd.log (tail) ----")
            with open(node.log, errors="replace") as f:
                print(f.read()[-3000:])
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

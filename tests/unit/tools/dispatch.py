#!/usr/bin/env python3
"""The `flatnet` dispatcher: which program each command line reaches.

No service runs here, so flatnet-cli's verbs end in its own "cannot reach
the flatnet service" error (exit 1): that text proves flatnet-cli got the
line, with zerotier-cli's options before the verb as well as after."""
import os
import subprocess
import sys
import tempfile


def run(flatnet, *args):
    p = subprocess.run([flatnet, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=20)
    return p.returncode, p.stdout


def main():
    flatnet = os.path.abspath(sys.argv[1])
    failures = []
    with tempfile.TemporaryDirectory() as home:
        with open(os.path.join(home, "authtoken.secret"), "w") as f:
            f.write("x" * 24)
        # A port nothing listens on (loopback only): the CLI fails to connect.
        for args in (["-D" + home, "-p1", "info"], ["-D" + home, "-p1", "-j", "listpeers"],
                     ["info", "-D" + home, "-p1"]):
            rc, out = run(flatnet, *args)
            if rc != 1 or "cannot reach the flatnet service" not in out:
                failures.append("%s -> rc %d: %s" % (args, rc, out.strip()))
    rc, out = run(flatnet, "-x", "info")
    if rc != 127 or "unknown command" not in out:
        failures.append("-x info -> rc %d: %s" % (rc, out.strip()))
    rc, out = run(flatnet, "idtool", "--help")
    if rc != 0 or "generate" not in out:
        failures.append("idtool --help -> rc %d: %s" % (rc, out.strip()[:200]))
    rc, out = run(flatnet)
    if rc != 1 or "usage" not in out:
        failures.append("(no args) -> rc %d" % rc)
    for f in failures:
        print("FAIL: " + f)
    print("%d checks failed" % len(failures) if failures else "ok: dispatcher")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

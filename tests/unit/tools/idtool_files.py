#!/usr/bin/env python3
"""flatnet-idtool's files: `generate` writes identity.secret 0600 whatever the
umask and whatever file was there before (a world-readable one is replaced,
not rewritten in place), identity.public 0644, and leaves no temp file."""
import os
import stat
import subprocess
import sys
import tempfile


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def main():
    idtool = os.path.abspath(sys.argv[1])
    failures = []
    with tempfile.TemporaryDirectory() as d:
        sec, pub = os.path.join(d, "identity.secret"), os.path.join(d, "identity.public")
        # A world-readable file in the way: its inode must not get the secret.
        with open(sec, "w") as f:
            f.write("old")
        os.chmod(sec, 0o666)
        old_inode = os.stat(sec).st_ino
        p = subprocess.run([idtool, "generate", sec, pub], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60,
                           preexec_fn=lambda: os.umask(0))
        if p.returncode != 0:
            failures.append("generate -> rc %d: %s" % (p.returncode, p.stdout.strip()))
        else:
            if mode(sec) != 0o600:
                failures.append("identity.secret mode %o, not 600" % mode(sec))
            if mode(pub) != 0o644:
                failures.append("identity.public mode %o, not 644" % mode(pub))
            if os.stat(sec).st_ino == old_inode:
                failures.append("identity.secret was rewritten in place (the old 0666 inode)")
            text = open(sec).read()
            if text.count(":") != 3 or not text.startswith(open(pub).read()):
                failures.append("identity.secret does not hold the identity: %r" % text[:20])
            v = subprocess.run([idtool, "validate", sec], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=60)
            if v.returncode != 0:
                failures.append("validate -> rc %d: %s" % (v.returncode, v.stdout.strip()))
        left = [n for n in os.listdir(d) if ".tmp-" in n]
        if left:
            failures.append("temp files left: %s" % left)
        # Unwritable target directory: a clear error, exit 1.
        p = subprocess.run([idtool, "generate", os.path.join(d, "no", "such", "dir")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        if p.returncode != 1 or "Error writing to" not in p.stdout:
            failures.append("generate into a missing dir -> rc %d: %s" % (p.returncode, p.stdout))
    for f in failures:
        print("FAIL: " + f)
    print("%d checks failed" % len(failures) if failures else "ok: idtool files")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""The /controller API against stock 1.14.1's recorded answers: starts a
flatnetd and runs tools/scripts/controller-api-compare.py (docs/controller-api.md).
    controller_api.py <flatnetd> <flatnet-idtool> <compare.py> <recording.json>"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from controller_node import Node  # noqa: E402


def main():
    flatnetd, idtool, compare, data = (os.path.abspath(a) for a in sys.argv[1:5])
    work = tempfile.mkdtemp(prefix="fna-api-")
    node = Node(flatnetd, idtool, work)
    ok = False
    try:
        node.start()
        r = subprocess.run([sys.executable, compare, "compare", "--url", node.url, "--token",
                            node.token, "--data", data], timeout=120)
        ok = r.returncode == 0
    finally:
        node.stop()
        if not ok:
            print("---- flatnetd.log (tail) ----")
            with open(node.log, errors="replace") as f:
                print(f.read()[-3000:])
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

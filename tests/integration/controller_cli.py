"""`flatnet controller` verbs (tools/ctl/controller_cli.cpp) through the
`flatnet` dispatcher against a flatnetd: create, set, authorize, list,
show (-j too), deauthorize, delete; results checked through the API.
    controller_cli.py <flatnetd> <flatnet-idtool> <flatnet>"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from controller_node import Node  # noqa: E402


def main():
    flatnetd, idtool, flatnet = (os.path.abspath(a) for a in sys.argv[1:4])
    work = tempfile.mkdtemp(prefix="fna-cli-")
    node = Node(flatnetd, idtool, work)
    ok = False
    try:
        node.start()
        base = [flatnet, "controller", "-D" + node.home, "-p%d" % node.port]

        def cli(*args, rc=0):
            r = subprocess.run(base + list(args), capture_output=True, text=True, timeout=30)
            print("$ flatnet controller %s -> %d\n%s%s" % (" ".join(args), r.returncode, r.stdout,
                                                          r.stderr))
            assert r.returncode == rc, "exit %d, want %d" % (r.returncode, rc)
            return r.stdout

        nwid = cli("create", "name=office").strip()
        address = node.call("GET", "/status")[1]["address"]
        assert len(nwid) == 16 and nwid.startswith(address), (nwid, address)
        status, net = node.call("GET", "/controller/network/" + nwid)
        assert status == 200 and net["name"] == "office", (status, net)
        cli("set", nwid, "private=false", "mtu=1400",
            'ipAssignmentPools=[{"ipRangeStart":"10.1.0.1","ipRangeEnd":"10.1.0.99"}]')
        net = node.call("GET", "/controller/network/" + nwid)[1]
        assert net["private"] is False and net["mtu"] == 1400, net
        assert net["ipAssignmentPools"] == [{"ipRangeStart": "10.1.0.1",
                                             "ipRangeEnd": "10.1.0.99"}], net
        out = cli("authorize", nwid, "abcdef0123")
        assert "authorized" in out
        cli("set", nwid, "abcdef0123", 'ipAssignments=["10.1.0.5"]', "name=laptop")
        m = node.call("GET", "/controller/network/%s/member/abcdef0123" % nwid)[1]
        assert m["authorized"] and m["ipAssignments"] == ["10.1.0.5"] and m["name"] == "laptop", m
        out = cli("list")
        assert nwid in out and "public" in out, out
        out = cli("show", nwid)
        assert "abcdef0123 authorized" in out and "10.1.0.5" in out, out
        j = json.loads(cli("-j", "show", nwid))
        assert j["network"]["id"] == nwid and j["members"][0]["id"] == "abcdef0123", j
        j = json.loads(cli("-j", "show", nwid, "abcdef0123"))
        assert j["name"] == "laptop", j
        cli("deauthorize", nwid, "abcdef0123")
        assert node.call("GET", "/controller/network/%s/member/abcdef0123" % nwid)[1][
            "authorized"] is False
        cli("delete", nwid, "abcdef0123")
        assert node.call("GET", "/controller/network/%s/member/abcdef0123" % nwid)[0] == 404
        cli("show", nwid, "abcdef0123", rc=1)
        cli("set", nwid, "notakeyvalue", rc=2)
        cli("bogus", rc=2)
        cli("delete", nwid)
        assert node.call("GET", "/controller/network/" + nwid)[0] == 404
        ok = True
        print("ok")
    finally:
        node.stop()
        if not ok:
            with open(node.log, errors="replace") as f:
                print("---- flatnetd.log (tail) ----\n" + f.read()[-3000:])
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

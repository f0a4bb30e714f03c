#!/usr/bin/env python3
"""The /controller API sequence: replay it against a running node and record
its answers (`record`), or compare a node's answers with a recording field by
field (`compare`). Recorded from stock zerotier-one 1.14.1 into
tests/data/controller-api/stock-1.14.1.json by controller-api-record.sh;
compared against flatnetd by tests/integration/controller_api.py.

What the comparison normalizes, and nothing else: network IDs and the
controller address (replaced by names, both in paths and in bodies), the
values of "clock", "creationTime", "revision" and every key ending in "Time"
(a 0 stays 0: whether a time was ever stamped is compared),
member-list values (they are revisions), the key order (bodies are compared
as parsed JSON), and the spacing of the JSON text. Steps marked "differs"
are documented differences (docs/controller-api.md): their flatnet status is
checked, the body is not compared with stock's.

  controller-api-compare.py record  --url http://127.0.0.1:9993 --token T --out FILE
  controller-api-compare.py compare --url http://127.0.0.1:9993 --token T --data FILE [-v]
"""
import argparse
import json
import re
import sys
import urllib.error
import urllib.request

# One entry per request: (name, method, path, body or None, options). Paths
# and bodies may name {ctl} (the controller address) and {nw1}, {nw2}
# (captured from the "id" of the step's answer with capture=...).
BIG = 16385  # one over stock's ZT_CONTROLLER_MAX_ARRAY_SIZE


def steps():
    s = []

    def add(name, method, path, body=None, **opt):
        s.append({"name": name, "method": method, "path": path, "body": body, **opt})

    add("controller status", "GET", "/controller")
    add("list networks (none)", "GET", "/controller/network")
    add("create network (random ID)", "POST", "/controller/network", "{}", capture="nw1")
    add("create network (<address>______)", "POST", "/controller/network/{ctl}______",
        '{"name":"second","private":false}', capture="nw2")
    add("create network (other address)", "POST", "/controller/network/0000000001______", "{}")
    add("create network (bad JSON)", "POST", "/controller/network", "{nope")
    add("get network", "GET", "/controller/network/{nw1}")
    add("get network (unknown)", "GET", "/controller/network/ffffffffffffff00")
    add("get network (not an ID)", "GET", "/controller/network/xyz")
    add("list networks", "GET", "/controller/network")
    add("post every field", "POST", "/controller/network/{nw1}", json.dumps({
        "name": "every field", "private": True, "enableBroadcast": False,
        "multicastLimit": 64, "mtu": 1400,
        "v4AssignMode": {"zt": True},
        "v6AssignMode": {"rfc4193": True, "zt": False, "6plane": True},
        "routes": [{"target": "10.147.17.0/24", "via": None},
                   {"target": "10.0.0.0/8", "via": "10.147.17.1"},
                   {"target": "fd00:1234::/32"}],
        "ipAssignmentPools": [{"ipRangeStart": "10.147.17.10", "ipRangeEnd": "10.147.17.200"},
                              {"ipRangeStart": "fd00:1234::1", "ipRangeEnd": "fd00:1234::ff"}],
        "rules": [
            {"type": "MATCH_ETHERTYPE", "etherType": 2048, "not": True},
            {"type": "MATCH_IPV4_SOURCE", "ip": "10.147.17.0/24", "or": True},
            {"type": "MATCH_IPV6_DEST", "ip": "fd00::/8"},
            {"type": "MATCH_IP_PROTOCOL", "ipProtocol": 6},
            {"type": "MATCH_IP_DEST_PORT_RANGE", "start": 22, "end": 22},
            {"type": "MATCH_IP_SOURCE_PORT_RANGE", "start": 1000},
            {"type": "MATCH_MAC_SOURCE", "mac": "02:00:11:22:33:44"},
            {"type": "MATCH_MAC_DEST", "mac": "0200aabbccdd"},
            {"type": "MATCH_SOURCE_ZEROTIER_ADDRESS", "zt": "abcdef0123"},
            {"type": "MATCH_DEST_ZEROTIER_ADDRESS", "zt": "12"},
            {"type": "MATCH_VLAN_ID", "vlanId": 7}, {"type": "MATCH_VLAN_PCP", "vlanPcp": 3},
            {"type": "MATCH_VLAN_DEI", "vlanDei": 1},
            {"type": "MATCH_IP_TOS", "mask": 252, "start": 8, "end": 16},
            {"type": "MATCH_ICMP", "icmpType": 8, "icmpCode": None},
            {"type": "MATCH_ICMP", "icmpType": 3, "icmpCode": 1},
            {"type": "MATCH_CHARACTERISTICS", "mask": "8000000000000000"},
            {"type": "MATCH_CHARACTERISTICS", "mask": 5},
            {"type": "MATCH_FRAME_SIZE_RANGE", "start": 64, "end": 1500},
            {"type": "MATCH_RANDOM", "probability": 2147483648},
            {"type": "MATCH_TAGS_DIFFERENCE", "id": 1, "value": 2},
            {"type": "MATCH_TAGS_BITWISE_AND", "id": 1, "value": 2},
            {"type": "MATCH_TAGS_BITWISE_OR", "id": 1, "value": 2},
            {"type": "MATCH_TAGS_BITWISE_XOR", "id": 1, "value": 2},
            {"type": "MATCH_TAGS_EQUAL", "id": 1, "value": 2},
            {"type": "MATCH_TAG_SENDER", "id": 1, "value": 2},
            {"type": "MATCH_TAG_RECEIVER", "id": 1, "value": 2},
            {"type": "INTEGER_RANGE", "start": 1, "end": 5},
            {"type": "ACTION_TEE", "address": "abcdef0123", "flags": 0, "length": 64},
            {"type": "ACTION_WATCH", "address": "abcdef0123", "flags": 1, "length": 0},
            {"type": "ACTION_REDIRECT", "address": "abcdef0123", "flags": 2},
            {"type": "ACTION_BREAK"}, {"type": "ACTION_DROP", "not": True},
            {"type": "ACTION_ACCEPT"}],
        "capabilities": [{"id": 2, "default": True,
                          "rules": [{"type": "ACTION_DROP"}, {"type": "NOPE"}]},
                         {"id": 1, "rules": [{"type": "ACTION_ACCEPT"}]}],
        "tags": [{"id": 5, "default": 1}, {"id": 3, "default": None}, {"id": 4}],
        "dns": {"domain": "example.net", "servers": ["10.147.17.1", "fd00:1234::1"]},
        "authTokens": {"tok": 100, "neg": -1, "str": "x"},
        "remoteTraceTarget": "0123456789", "remoteTraceLevel": 2,
        "unknownField": "ignored", "creationTime": 5, "revision": 999}))
    add("get network after post", "GET", "/controller/network/{nw1}")
    add("post again, same content", "POST", "/controller/network/{nw1}", '{"name":"every field"}')
    add("post coerced types", "POST", "/controller/network/{nw1}", json.dumps({
        "name": 123, "private": "false", "enableBroadcast": 1, "multicastLimit": "48",
        "mtu": 100, "v4AssignMode": "zt", "v6AssignMode": "6plane,rfc4193,bogus,6plane",
        "remoteTraceTarget": "short", "remoteTraceLevel": True, "dns": "not an object",
        "authTokens": [1, 2]}))
    add("post mtu over the maximum", "POST", "/controller/network/{nw1}",
        '{"mtu": 99999, "name": null, "private": null, "multicastLimit": [1]}')
    add("post wrong container types", "POST", "/controller/network/{nw1}", json.dumps({
        "routes": "x", "ipAssignmentPools": {"a": 1}, "rules": 5, "capabilities": "x",
        "tags": None, "v4AssignMode": 5, "v6AssignMode": None}))
    add("post bad entries", "POST", "/controller/network/{nw1}", json.dumps({
        "routes": [5, {"via": "10.0.0.1"}, {"target": "nonsense"}, {"target": "10.1.0.0/40"},
                   {"target": "10.1.0.0/16", "via": "fd00::1"}, {"target": 7},
                   {"target": "10.2.0.0/16", "via": 7}],
        "ipAssignmentPools": [{"ipRangeStart": "10.9.0.1"}, "x",
                              {"ipRangeStart": "10.9.0.1", "ipRangeEnd": "fd00::9"},
                              {"ipRangeStart": "bogus", "ipRangeEnd": "bogus"},
                              {"ipRangeStart": "10.9.0.1/3", "ipRangeEnd": "10.9.0.9"}],
        "rules": [7, {"type": "NOPE"}, {"notype": 1}, {"type": "ACTION_DROP", "not": "yes"},
                  {"type": "MATCH_VLAN_ID", "vlanId": "70000"},
                  {"type": "MATCH_IPV4_DEST", "ip": "10.0.0.1/99"}],
        "capabilities": [{"id": 9}, {"id": 9, "default": 1}, 5, {"rules": "x"}],
        "tags": [{"id": 9, "default": "3"}, {"id": 9, "default": 4}, 5, {"default": 1}]}))
    add("post empty containers", "POST", "/controller/network/{nw1}", json.dumps({
        "routes": [], "ipAssignmentPools": [], "rules": [], "capabilities": [], "tags": [],
        "authTokens": {}, "dns": {"domain": 5}}))
    add("post odd numbers", "POST", "/controller/network/{nw1}",
        '{"multicastLimit": -5, "mtu": -1, "private": 0.5, "enableBroadcast": 3.7, "name": 4.9}')
    add("post partial v6AssignMode", "POST", "/controller/network/{nw1}",
        '{"v6AssignMode": {"zt": true}, "multicastLimit": 3.7}')
    add("put is post", "PUT", "/controller/network/{nw1}", '{"name": "put"}')
    add("get network, upper-case ID", "GET", "/controller/network/{NW1}")
    add("create network, upper-case address", "POST", "/controller/network/{CTL}______", "{}")
    add("post a non-object body", "POST", "/controller/network/{nw1}", "[1,2]")
    add("post bad JSON", "POST", "/controller/network/{nw1}", '{"name":')
    add("post empty body", "POST", "/controller/network/{nw1}", "")
    add("get network after bad posts", "GET", "/controller/network/{nw1}")
    add("post creates an unknown ID", "POST", "/controller/network/{ctl}0000a1", '{"name":"made"}',
        capture="nw3")
    # Over the limit: stock cuts the list and stores it, flatnet refuses it
    # and stores nothing. On a network of their own, deleted after, so the
    # two nodes' states stay comparable.
    add("rules over the array limit", "POST", "/controller/network/{nw3}",
        json.dumps({"rules": [{"type": "ACTION_ACCEPT"}] * BIG}), differs=400)
    add("routes over the array limit", "POST", "/controller/network/{nw3}",
        json.dumps({"routes": [{"target": "10.0.0.0/8"}] * BIG}), differs=400)
    add("trace level over 2^63", "POST", "/controller/network/{nw3}",
        '{"remoteTraceLevel": -1}', differs=400)
    add("nothing stored by refused posts", "GET", "/controller/network/{nw3}",
        same_as="post creates an unknown ID")
    add("delete the over-limit network", "DELETE", "/controller/network/{nw3}", differs=200)
    add("list members (none)", "GET", "/controller/network/{nw1}/member")
    add("list members (unknown network)", "GET", "/controller/network/ffffffffffffff00/member")
    add("create member", "POST", "/controller/network/{nw1}/member/1111111111", "{}")
    add("get member", "GET", "/controller/network/{nw1}/member/1111111111")
    add("authorize member", "POST", "/controller/network/{nw1}/member/1111111111",
        '{"authorized":true}')
    add("authorize again", "POST", "/controller/network/{nw1}/member/1111111111",
        '{"authorized":true}')
    add("member ips", "POST", "/controller/network/{nw1}/member/1111111111", json.dumps({
        "ipAssignments": ["10.147.17.5", "fd00:1234::5", "10.147.17.6/24", "bogus", "",
                          "fd00:0:0:0:0:0:0:7"]}))
    add("member ips not strings", "POST", "/controller/network/{nw1}/member/1111111111",
        '{"ipAssignments":["10.1.1.1",5],"name":"partly"}')
    add("member tags and capabilities", "POST", "/controller/network/{nw1}/member/1111111111",
        json.dumps({"tags": [[5, 1], [3, "2"], [5, 9], [7], "x", [4294967297, 1]],
                    "capabilities": [3, 1, "2", 3, True]}))
    add("member other fields", "POST", "/controller/network/{nw1}/member/1111111111",
        json.dumps({"activeBridge": 1, "noAutoAssignIps": "true", "name": 5,
                    "remoteTraceTarget": "0123456789", "remoteTraceLevel": "3",
                    "authenticationExpiryTime": 77, "authenticationURL": "http://x",
                    "ssoExempt": True, "identity": "forged", "vMajor": 9,
                    "unknownField": 1, "id": "9999999999", "lastAuthorizedTime": 1}))
    add("member wrong container types", "POST", "/controller/network/{nw1}/member/1111111111",
        '{"ipAssignments":"10.1.1.1","tags":{"a":1},"capabilities":5}')
    add("deauthorize member", "POST", "/controller/network/{nw1}/member/1111111111",
        '{"authorized":"0","remoteTraceTarget":7}')
    add("member bad JSON", "POST", "/controller/network/{nw1}/member/1111111111", "{x")
    add("get member after bad posts", "GET", "/controller/network/{nw1}/member/1111111111")
    add("create member for the limit", "POST", "/controller/network/{nw1}/member/5555555555", "{}")
    add("member capabilities over the limit", "POST",
        "/controller/network/{nw1}/member/5555555555",
        json.dumps({"capabilities": list(range(BIG))}), differs=400)
    add("member unchanged by the refused post", "GET",
        "/controller/network/{nw1}/member/5555555555", same_as="create member for the limit")
    add("delete the over-limit member", "DELETE", "/controller/network/{nw1}/member/5555555555",
        differs=200)
    add("member non-object body", "POST", "/controller/network/{nw1}/member/1111111111", "[]")
    add("member null values", "POST", "/controller/network/{nw1}/member/1111111111",
        '{"name": null, "activeBridge": null, "authorized": null, "tags": null}')
    add("member upper-case address", "POST", "/controller/network/{nw1}/member/ABCDEF0123",
        "{}", differs=200)
    add("delete upper-case member", "DELETE", "/controller/network/{nw1}/member/abcdef0123",
        differs=200)
    add("create second member", "POST", "/controller/network/{nw1}/member/2222222222",
        '{"authorized":true,"name":"two"}')
    add("create member on an unknown network", "POST",
        "/controller/network/ffffffffffffff00/member/3333333333", "{}")
    add("get unknown member", "GET", "/controller/network/{nw1}/member/3333333333")
    add("list members", "GET", "/controller/network/{nw1}/member")
    add("list members (unstable)", "GET", "/unstable/controller/network/{nw1}/member")
    add("list members (unstable, unknown network)", "GET",
        "/unstable/controller/network/ffffffffffffff00/member")
    add("list networks (unstable)", "GET", "/unstable/controller/network")
    add("delete member", "DELETE", "/controller/network/{nw1}/member/2222222222")
    add("delete member again", "DELETE", "/controller/network/{nw1}/member/2222222222")
    add("list members after delete", "GET", "/controller/network/{nw1}/member")
    add("member of second network", "POST", "/controller/network/{nw2}/member/4444444444",
        '{"authorized":true}')
    add("delete network", "DELETE", "/controller/network/{nw2}")
    add("delete network again", "DELETE", "/controller/network/{nw2}")
    add("its member is gone", "GET", "/controller/network/{nw2}/member/4444444444")
    add("delete unknown network", "DELETE", "/controller/network/ffffffffffffff00")
    add("list networks at the end", "GET", "/controller/network")
    add("no token", "GET", "/controller/network", noauth=True)
    return s


def request(url, token, step, names, timeout=30):
    path = fill(step["path"], names)
    body = step["body"]
    data = None if body is None else fill(body, names).encode()
    req = urllib.request.Request(url + path, data=data, method=step["method"])
    if not step.get("noauth"):
        req.add_header("X-ZT1-Auth", token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def fill(text, names):
    for k, v in names.items():
        text = text.replace("{" + k + "}", v).replace("{" + k.upper() + "}", v.upper())
    return text


def parse(text):
    if text == "":
        return ("empty",)
    try:
        return json.loads(text)
    except ValueError:
        return ("text", text)


def run_sequence(url, token, ctl):
    names = {"ctl": ctl}
    out = []
    for st in steps():
        status, text = request(url, token, st, names)
        body = parse(text)
        if st.get("capture") and isinstance(body, dict) and isinstance(body.get("id"), str):
            names[st["capture"]] = body["id"]
        out.append({"name": st["name"], "status": status, "body": text})
        if (st.get("differs") or st.get("same_as")) and len(text) > 2000:
            # Not compared (a documented difference); kept short in the recording.
            out[-1]["body"] = text[:2000]
            out[-1]["body_cut"] = True
    return out, names


def normalize(v, names, key=None):
    """Replaces the run's IDs with their names and blanks clock-like values."""
    if key is not None and (key in ("clock", "creationTime", "revision") or key.endswith("Time")):
        # The value is the clock's, but whether it was ever set is stock's
        # behaviour (lastAuthorizedTime stamped by an authorize, 0 before).
        return v if v == 0 or not isinstance(v, (int, float)) else "<%s>" % key
    if isinstance(v, dict):
        return {normalize_str(k, names): normalize(x, names, k) for k, x in v.items()}
    if isinstance(v, list):
        return [normalize(x, names) for x in v]
    if isinstance(v, str):
        return normalize_str(v, names)
    return v


def normalize_str(s, names):
    # Longest first: a network ID starts with the controller address.
    for k, v in sorted(names.items(), key=lambda kv: -len(kv[1])):
        s = re.sub(re.escape(v), "<" + k + ">", s, flags=re.IGNORECASE)
    return s


def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in b:
                out.append("%s.%s: missing (stock: %s)" % (path, k, json.dumps(a[k])[:200]))
            elif k not in a:
                out.append("%s.%s: extra (flatnet: %s)" % (path, k, json.dumps(b[k])[:200]))
            else:
                diff(a[k], b[k], path + "." + k, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append("%s: %d entries (stock) vs %d (flatnet)" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, "%s[%d]" % (path, i), out)
    elif a != b or type(a) is not type(b):
        out.append("%s: stock %s, flatnet %s" % (path, json.dumps(a)[:200], json.dumps(b)[:200]))


def member_list(step_name):
    return step_name.startswith("list members") and "unstable" not in step_name


def unordered(body):
    """Lists whose order is not part of stock's answer: network IDs (stock
    sorts the random IDs, which differ between runs) and the unstable lists'
    "data" (stock's member order is a hash map's). Sorted after
    normalization, by ID."""
    def key(x):
        return json.dumps(x.get("id") if isinstance(x, dict) else x)
    if isinstance(body, list):
        return sorted(body, key=key)
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return dict(body, data=sorted(body["data"], key=key))
    return body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["record", "compare"])
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--out")
    ap.add_argument("--data")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    ctl = json.loads(request(a.url, a.token, {"method": "GET", "path": "/status",
                                              "body": None}, {})[1])["address"]
    answers, names = run_sequence(a.url, a.token, ctl)
    if a.mode == "record":
        rec = {"recorded_from": "stock zerotier-one 1.14.1 (tools/scripts/controller-api-record.sh)",
               "names": names, "steps": answers}
        with open(a.out, "w") as f:
            json.dump(rec, f, indent=1)
            f.write("\n")
        print("recorded %d steps to %s" % (len(answers), a.out))
        return 0
    with open(a.data) as f:
        rec = json.load(f)
    ref = {s["name"]: s for s in rec["steps"]}
    plan = {s["name"]: s for s in steps()}
    failures = 0
    mine = {}
    for got in answers:
        name = got["name"]
        want = ref.get(name)
        problems = []
        if want is None:
            problems.append("not in the recording (re-record)")
        elif plan[name].get("same_as"):
            earlier = mine.get(plan[name]["same_as"])
            if got["status"] != 200 or earlier is None:
                problems.append("status %d (want 200 and the answer of %r)"
                                % (got["status"], plan[name]["same_as"]))
            else:
                diff(earlier, normalize(parse(got["body"]), names), "body", problems)
        elif plan[name].get("differs"):
            if got["status"] != plan[name]["differs"]:
                problems.append("status %d, documented flatnet status %d (stock: %d)"
                                % (got["status"], plan[name]["differs"], want["status"]))
        else:
            if got["status"] != want["status"]:
                problems.append("status: stock %d, flatnet %d" % (want["status"], got["status"]))
            sb = normalize(parse(want["body"]), rec["names"])
            fb = normalize(parse(got["body"]), names)
            if name.startswith("list"):
                sb, fb = unordered(sb), unordered(fb)
            if member_list(name) and isinstance(sb, dict) and isinstance(fb, dict):
                sb = {k: "<revision>" for k in sb}
                fb = {k: "<revision>" for k in fb}
            diff(sb, fb, "body", problems)
        mine[name] = normalize(parse(got["body"]), names)
        tag = "FAIL" if problems else "ok"
        if problems or a.verbose:
            print("%-4s %s" % (tag, name))
        for p in problems:
            print("       " + p)
        failures += bool(problems)
    print("%d of %d steps differ from stock" % (failures, len(answers)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

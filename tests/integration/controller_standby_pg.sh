#!/usr/bin/env bash
# Integration (suite 'pg', run under tools/scripts/pg-test-server.sh): two
# flatnetd processes with the same controller identity on one PostgreSQL
# database. Exactly one leads (flatnet_controller_leader 1) and, idle, reads
# no journal (no polling); kill -9 of the leader makes the standby lead
# within 10 s; the killed one, restarted, waits as the standby.
#   controller_standby_pg.sh FLATNETD IDTOOL
# Loopback only; every process and file it makes is removed on exit.
set -euo pipefail
flatnetd=$(realpath "$1") idtool=$(realpath "$2")
[ -n "${FLATNET_PG_HOST:-}" ] || { echo "no PostgreSQL server (run under pg-test-server.sh)"; exit 1; }
work=$(mktemp -d /tmp/fnpg-standby-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for h in a b; do echo "--- $h log"; tail -20 "$work/$h/log" 2>/dev/null || true; done; exit 1; }

# Ports from our pid, so two runs at once do not collide.
base=$(( 41000 + ($$ % 4000) * 2 ))
port_a=$base port_b=$((base + 1)) port_root=$((base + 4000 * 2 + 10))
cd "$work"
mkdir r a b
"$idtool" generate r/identity.secret r/identity.public >/dev/null
"$idtool" generate a/identity.secret a/identity.public >/dev/null
cp a/identity.secret a/identity.public b/
python3 - "$idtool" "$port_root" <<'PY'
import json, re, shutil, subprocess, sys
idtool, port = sys.argv[1], sys.argv[2]
j = json.loads(subprocess.run([idtool, "initmoon", "r/identity.public"], capture_output=True,
                              text=True, check=True).stdout)
j["worldType"] = "planet"
j["roots"][0]["stableEndpoints"] = ["127.0.0.1/" + port]
json.dump(j, open("planet.json", "w"))
out = subprocess.run([idtool, "genmoon", "planet.json"], capture_output=True, text=True,
                     check=True).stdout
name = re.search(r"wrote (\S+)", out).group(1)
for h in ("a", "b"):
    shutil.copy(name, h + "/planet")
PY
printf '{"controllerDb": "host=%s port=%s user=%s dbname=postgres"}' \
  "$FLATNET_PG_HOST" "$FLATNET_PG_PORT" "$FLATNET_PG_USER" > conf.json

start() {  # start NAME PORT
  "$flatnetd" -H "$work/$1" -c conf.json -p "$2" --udp "127.0.0.1:$2" >"$work/$1/log" 2>&1 &
  pids+=($!)
  eval "pid_$1=$!"
}
metric() {  # metric NAME PORT METRIC -> value, or empty
  local t
  t=$(cat "$work/$1/authtoken.secret" 2>/dev/null) || return 0
  python3 - "$t" "$2" "flatnet_controller_$3" <<'PY' 2>/dev/null || true
import sys, urllib.request
token, port, name = sys.argv[1:4]
req = urllib.request.Request("http://127.0.0.1:%s/metrics" % port, headers={"X-ZT1-Auth": token})
for line in urllib.request.urlopen(req, timeout=2).read().decode().splitlines():
    f = line.split()
    if len(f) == 2 and f[0] == name:
        print(f[1])
PY
}
wait_for() {  # wait_for SECONDS CMD... (true within the bound)
  local end=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  while [ "$(date +%s%N)" -lt "$end" ]; do "$@" && return 0; sleep 0.1; done
  return 1
}
leads() { [ "$(metric "$1" "$2" leader)" = 1 ]; }
waits() { [ "$(metric "$1" "$2" leader)" = 0 ]; }

start a "$port_a"
wait_for 20 leads a "$port_a" || fail "the first instance did not lead"
start b "$port_b"
wait_for 20 waits b "$port_b" || fail "the second instance did not come up as a standby"
sleep 1
leads a "$port_a" || fail "the first lost the lead to the second"
waits b "$port_b" || fail "two leaders"

# Idle, the leader reads no journal: only its first read (no NOTIFY since).
q0=$(metric a "$port_a" journal_queries_total)
sleep 2
q1=$(metric a "$port_a" journal_queries_total)
[ -n "$q0" ] && [ "$q0" = "$q1" ] || fail "an idle leader read the journal ($q0 -> $q1): polling"

kill -9 "$pid_a"
t0=$(date +%s%N)
wait_for 10 leads b "$port_b" || fail "the standby did not lead within 10 s of kill -9"
echo "standby leads $(( ($(date +%s%N) - t0) / 1000000 )) ms after kill -9 of the leader"

start a "$port_a"
wait_for 20 waits a "$port_a" || fail "the restarted instance did not wait as the standby"
sleep 1
leads b "$port_b" || fail "the restarted instance took the lead back"
echo "PASS"

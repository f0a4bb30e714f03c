#!/usr/bin/env bash
# Runs a command beside a throw-away PostgreSQL 15 server, for the tests of
# the controller's PostgreSQL store (suite 'pg'):
#   pg-test-server.sh run CMD [ARGS...]
# starts a server from Debian's postgresql-15 in a new temp dir, listening
# only on a Unix socket there (no TCP), runs CMD with
#   FLATNET_PG_HOST  the socket directory     FLATNET_PG_PORT  its port
#   FLATNET_PG_USER  the superuser (postgres or the caller)
# set, then stops the server and removes the dir, also when CMD fails or
# this script is interrupted, and (a watchdog) when this script is killed.
# initdb and postgres refuse to run as root: as root they run as the
# `postgres` user (runuser), which owns the dir. Without PostgreSQL
# installed this says so and exits 77 (a skip, to meson); under CI=true,
# where it must be there, CMD runs without FLATNET_PG_HOST and its tests
# fail saying so.
set -euo pipefail
[ "${1:-}" = run ] && [ $# -ge 2 ] || { echo "usage: $0 run CMD [ARGS...]" >&2; exit 2; }
shift

bindir=${FLATNET_PG_BINDIR:-/usr/lib/postgresql/15/bin}
if [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
  echo "pg-test-server: PostgreSQL 15 is not installed ($bindir/initdb missing;" \
       "apt-get install postgresql-15 or run tools/scripts/setup.sh)" >&2
  [ "${CI:-}" = true ] || exit 77
  unset FLATNET_PG_HOST FLATNET_PG_PORT FLATNET_PG_USER
  exec "$@"
fi

as_owner=()
user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  user=postgres
  as_owner=(runuser -u postgres --)
fi

dir=$(mktemp -d /tmp/fnpg-XXXXXX)
chmod 0700 "$dir"
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
data=$dir/data
port=5432

stop() {
  if [ -f "$data/postmaster.pid" ]; then
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The watchdog: if this script dies without its traps (SIGKILL from a test
# runner's timeout), at any point from here on, the server must not outlive
# it. It waits a moment after the death so that a pg_ctl start still under
# way has written postmaster.pid.
me=$$
( trap '' INT TERM HUP
  while kill -0 "$me" 2>/dev/null; do sleep 1; done
  sleep 3
  if [ -f "$data/postmaster.pid" ]; then
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir" ) </dev/null >/dev/null 2>&1 &
disown

"${as_owner[@]}" "$bindir/initdb" -D "$data" -U "$user" -A trust -E UTF8 --locale=C \
  --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
# No TCP (listen_addresses empty); fsync off: test data need not survive a
# power loss, and the machine's disk is shared (FLATNET_PG_FSYNC=on for
# benchmarks that should pay for it).
if ! "${as_owner[@]}" "$bindir/pg_ctl" -D "$data" -w -t 60 -l "$dir/server.log" \
     -o "-c listen_addresses= -k $dir -p $port -c fsync=${FLATNET_PG_FSYNC:-off} -c max_connections=50" start >/dev/null; then
  cat "$dir/server.log" >&2
  exit 1
fi

set +e
FLATNET_PG_HOST=$dir FLATNET_PG_PORT=$port FLATNET_PG_USER=$user "$@"
rc=$?
set -e
[ $rc -ne 0 ] && [ -s "$dir/server.log" ] && { echo "pg-test-server: server log (tail):" >&2; tail -20 "$dir/server.log" >&2; }
exit $rc

#!/bin/sh
# Records stock zerotier-one's answers to the /controller API sequence of
# controller-api-compare.py into tests/data/controller-api/ (docs/controller-api.md).
# Stock is never part of this tree: build or fetch 1.14.1 elsewhere and give its path.
#   tools/scripts/controller-api-record.sh /path/to/zerotier-one [out.json]
# Runs stock as root in a network namespace of its own (loopback only, so it
# reaches nothing), with a temp home; removes both afterwards.
set -eu
STOCK=${1:?usage: $0 /path/to/zerotier-one [out.json]}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${2:-$HERE/../../tests/data/controller-api/stock-1.14.1.json}
NS=fna-rec-$$
HOME_DIR=$(mktemp -d /tmp/fna-rec.XXXXXX)
PORT=19993
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && sleep 1
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT INT TERM
ip netns add "$NS"
ip -n "$NS" link set lo up
echo "{\"settings\":{\"primaryPort\":$PORT,\"portMappingEnabled\":false,\"allowTcpFallbackRelay\":false}}" \
  >"$HOME_DIR/local.conf"
ip netns exec "$NS" "$STOCK" -p$PORT "$HOME_DIR" >"$HOME_DIR/stock.log" 2>&1 &
pid=$!
i=0
until [ -s "$HOME_DIR/authtoken.secret" ] && \
      ip netns exec "$NS" curl -sf -o /dev/null -H "X-ZT1-Auth: $(cat "$HOME_DIR/authtoken.secret")" \
        "http://127.0.0.1:$PORT/controller"; do
  i=$((i+1)); [ $i -lt 100 ] || { echo "stock did not answer"; cat "$HOME_DIR/stock.log"; exit 1; }
  sleep 0.2
done
ip netns exec "$NS" python3 "$HERE/controller-api-compare.py" record \
  --url "http://127.0.0.1:$PORT" --token "$(cat "$HOME_DIR/authtoken.secret")" --out "$OUT"

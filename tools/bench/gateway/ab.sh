#!/bin/sh
# A/B of two (or more) bench_vl2_port binaries in cycles per frame
# (docs/bench-gateway.md "Session 7"): point by point, each binary in turn,
# ROUNDS times, gateway only, each run in a nice -20 autogroup session. The
# machine's state changes within seconds here, so only pairs run back to
# back are compared; the last column is the last binary against the first,
# pair by pair.
#
#   tools/bench/gateway/ab.sh OUT ROUNDS "dir:suite:peers:size ..." BIN_A BIN_B...
#   e.g. ab.sh /tmp/ab.txt 3 "decap:3:1:64 encap:3:1:1500" /tmp/old/bench_vl2_port build/tests/packet/bench_vl2_port
set -eu
out=$1 rounds=$2 points=$3
shift 3
: > "$out"
for r in $(seq "$rounds"); do
  for pt in $points; do
    IFS=: read -r dir suite peers size <<E
$pt
E
    i=0
    for b in "$@"; do
      i=$((i + 1))
      timeout 120 setsid --wait sh -c "echo -20 > /proc/self/autogroup; exec nice -n -20 $b 0.5 1 $size $peers $suite $dir gw" \
        2>/dev/null | grep '"kind":"run"' | sed "s|^|$i |" >> "$out" || true
    done
  done
done
python3 - "$out" "$@" <<'PY'
import collections, json, statistics, sys
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    b, j = line.split(' ', 1)
    j = json.loads(j)
    d[(j['dir'], j['suite'], j['peers'], j['size'], int(b))].append(j['cpf'])
nb = len(sys.argv) - 2
for i, b in enumerate(sys.argv[2:], 1):
    print(f"# {i}: {b}")
print("# dir suite peers size | median gw cycles per frame of each binary (each round) | last vs first, by pair")
keys = sorted({k[:4] for k in d}, key=lambda k: (k[0], k[1], k[2], int(k[3]) if k[3].isdigit() else 0))
for k in keys:
    cols = ' | '.join(f"{statistics.median(d[k + (i,)]):.0f} ({'/'.join(f'{c:.0f}' for c in d[k + (i,)])})"
                      for i in range(1, nb + 1) if d[k + (i,)])
    pairs = ' '.join(f"{100 * (y / x - 1):+.0f}%" for x, y in zip(d[k + (1,)], d[k + (nb,)]) if x)
    print(f"{k[0]} {k[1]} {k[2]} {k[3]} | {cols} | {pairs}")
PY

#!/usr/bin/env python3
"""Summarise a gateway port benchmark (tools/bench/gateway/run.sh).

  plot.py PORT.jsonl OUTDIR [MEMIF.jsonl]

Writes OUTDIR/summary.md (one row per point: gateway, crypto-only and io
medians with min..max, the ratios; and, from memif.sh's runs, the gateway
and testpmd io over memif) and OUTDIR/bench-gateway.svg (Gbit/s of
LAN-frame bytes per point: gateway and crypto-only bars with min..max
whiskers, the io forwarder's median as a tick). Standard library only.
"""
import json
import os
import sys

SIZES = ["64", "512", "1390", "1400", "1500", "imix"]


def load(path):
    pts = []
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            if r.get("kind") == "point":
                pts.append(r)
    key = lambda r: (r["dir"], r["suite"], r["peers"], SIZES.index(r["size"]) if r["size"] in SIZES else 99)
    return sorted(pts, key=key)


def summary(pts, out):
    # gw cyc/frame: the worker's median full-burst round per LAN frame
    # (bench_vl2_port's gw_cpf, steady under load); crypto cyc/frame: crypto
    # only's TSC per frame. "-" for a port.jsonl from before the field.
    rows = ["| dir | suite | peers | LAN frame B | gateway Gbit/s (min..max) | gateway Mpps | crypto-only Gbit/s | "
            "io fwd Gbit/s | gw / crypto | gw / io | gw cyc/frame | crypto cyc/frame | checked bad | dearmored |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in pts:
        g, m, c, i = r["gw_gbps"], r["gw_mpps"], r["crypto_gbps"], r["io_gbps"]
        gc, cc = r.get("gw_cpf"), r.get("crypto_cpf")
        rows.append(f"| {r['dir']} | {r['suite']} | {r['peers']} | {r['size']} | {g[0]:.2f} ({g[1]:.2f}..{g[2]:.2f}) | "
                    f"{m[0]:.2f} | {c[0]:.2f} ({c[1]:.2f}..{c[2]:.2f}) | {i[0]:.1f} | {100 * r['gw_vs_crypto']:.0f}% | "
                    f"{100 * r['gw_vs_io']:.0f}% | {f'{gc[0]:.0f}' if gc else '-'} | {f'{cc[0]:.0f}' if cc else '-'} | "
                    f"{r['bad']} | {r['opened']} |")
    open(f"{out}/summary.md", "w").write("\n".join(rows) + "\n")


def memif_summary(path, out):
    runs = {}
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return
    for line in lines:
        if line.startswith("{"):
            r = json.loads(line)
            if r.get("kind") == "gw-run":
                runs.setdefault((r["dir"], r["suite"], r["peers"], r["size"]), {}).setdefault(r["target"], []).append(r)
    if not runs:
        return
    med = lambda v: sorted(v)[len(v) // 2]
    rows = ["", "memif between processes (flatnet-pktgen --gateway <-> flatnet-dataplane, or testpmd io):", "",
            "| dir | suite | peers | LAN frame B | gateway Gbit/s (min..max) | gateway Mpps | testpmd io Gbit/s | "
            "gw / io | checked bad | dearmored |", "|---|---|---|---|---|---|---|---|---|---|"]
    key = lambda k: (k[0], k[1], k[2], SIZES.index(k[3]) if k[3] in SIZES else 99)
    for k in sorted(runs, key=key):
        gw, io = runs[k].get("gw", []), runs[k].get("io", [])
        if not gw or not io:
            continue
        g = [r["gbps"] for r in gw]
        i = med([r["gbps"] for r in io])
        rows.append(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | {med(g):.2f} ({min(g):.2f}..{max(g):.2f}) | "
                    f"{med([r['mpps'] for r in gw]):.2f} | {i:.2f} | {100 * med(g) / i:.0f}% | "
                    f"{sum(r['bad'] for r in gw + io)} | {sum(r['opened'] for r in gw)} |")
    with open(f"{out}/summary.md", "a") as f:
        f.write("\n".join(rows) + "\n")


def svg(pts, out):
    groups = {}
    for r in pts:
        groups.setdefault((r["dir"], r["suite"], r["peers"]), []).append(r)
    panels = sorted(groups)
    pw, ph, top, left = 300, 200, 40, 50
    cols = 4
    rows = (len(panels) + cols - 1) // cols
    W, H = cols * (pw + left) + 20, rows * (ph + top + 40) + 60
    ymax = max([max(r["gw_gbps"][2], r["crypto_gbps"][2]) for r in pts] + [1])
    ymax = min(ymax * 1.1, 80)
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="10">',
         f'<text x="10" y="18" font-size="13">Gateway on one worker core, net_ring ports: Gbit/s of LAN-frame bytes '
         f'(blue: gateway, grey: crypto only, red tick: io forwarder, clipped at {ymax:.0f})</text>']
    for n, p in enumerate(panels):
        ox = 10 + (n % cols) * (pw + left) + left
        oy = 40 + (n // cols) * (ph + top + 40) + top
        s.append(f'<text x="{ox}" y="{oy - 8}" font-size="11">{p[0]}, suite {p[1]}, {p[2]} peers</text>')
        s.append(f'<line x1="{ox}" y1="{oy + ph}" x2="{ox + pw}" y2="{oy + ph}" stroke="black"/>')
        s.append(f'<line x1="{ox}" y1="{oy}" x2="{ox}" y2="{oy + ph}" stroke="black"/>')
        for t in range(0, int(ymax) + 1, 10):
            y = oy + ph - t / ymax * ph
            s.append(f'<text x="{ox - 4}" y="{y + 3}" text-anchor="end">{t}</text>')
            s.append(f'<line x1="{ox}" y1="{y}" x2="{ox + pw}" y2="{y}" stroke="#eee"/>')
        rs = groups[p]
        bw = pw / max(len(rs), 1)
        for k, r in enumerate(rs):
            x = ox + k * bw
            for j, (key, col) in enumerate((("gw_gbps", "#2e86c1"), ("crypto_gbps", "#b2babb"))):
                med, lo, hi = (min(v, ymax) for v in r[key])
                bx = x + 4 + j * (bw - 8) / 2
                w = (bw - 8) / 2 - 1
                s.append(f'<rect x="{bx:.1f}" y="{oy + ph - med / ymax * ph:.1f}" width="{w:.1f}" '
                         f'height="{med / ymax * ph:.1f}" fill="{col}"/>')
                cx = bx + w / 2
                s.append(f'<line x1="{cx:.1f}" y1="{oy + ph - lo / ymax * ph:.1f}" x2="{cx:.1f}" '
                         f'y2="{oy + ph - hi / ymax * ph:.1f}" stroke="black"/>')
            io = min(r["io_gbps"][0], ymax)
            s.append(f'<line x1="{x + 2:.1f}" y1="{oy + ph - io / ymax * ph:.1f}" x2="{x + bw - 2:.1f}" '
                     f'y2="{oy + ph - io / ymax * ph:.1f}" stroke="#c0392b" stroke-width="2"/>')
            s.append(f'<text x="{x + bw / 2:.1f}" y="{oy + ph + 12}" text-anchor="middle">{r["size"]}</text>')
    s.append("</svg>")
    open(f"{out}/bench-gateway.svg", "w").write("\n".join(s) + "\n")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    pts = load(sys.argv[1]) if os.path.exists(sys.argv[1]) else []
    summary(pts, sys.argv[2])
    if pts:
        svg(pts, sys.argv[2])
    if len(sys.argv) == 4:
        memif_summary(sys.argv[3], sys.argv[2])
    print(f"{len(pts)} points: {sys.argv[2]}/summary.md, {sys.argv[2]}/bench-gateway.svg")


if __name__ == "__main__":
    main()

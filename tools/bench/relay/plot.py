#!/usr/bin/env python3
"""Summarise a relay benchmark run (tools/bench/relay/run.sh).

  plot.py RESULTS.jsonl OUTDIR

Writes OUTDIR/summary.md (medians and spread per target) and
OUTDIR/bench-relay.svg: throughput bars (max rate and no-drop rate, median
with min..max whiskers) and latency percentiles against offered load.
Standard library only, so it runs wherever the benchmark does.
"""
import json
import math
import statistics
import sys
from collections import defaultdict

COLORS = {"testpmd": "#7f8c8d", "relay": "#2e86c1", "baseline": "#aed6f1",
          "ring-io": "#7f8c8d", "ring-macswap": "#b2babb", "ring-relay": "#2e86c1"}
LABELS = {"testpmd": "testpmd io fwd (port limit)", "relay": "flatnet relay",
          "baseline": "flatnet relay, baseline build",
          "ring-io": "net_ring io fwd (port limit)", "ring-macswap": "net_ring macswap fwd",
          "ring-relay": "flatnet relay loop on net_ring"}


def spread(values):
    v = sorted(values)
    return {"n": len(v), "median": statistics.median(v), "min": v[0], "max": v[-1]}


def flatten(d, prefix=""):
    out = {}
    for k, v in (d or {}).items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        elif isinstance(v, list):
            out.update(flatten({str(i): x for i, x in enumerate(v)}, f"{prefix}{k}."))
        elif isinstance(v, (int, float)):
            out[f"{prefix}{k}"] = v
    return out


# Data-plane counters (dataplane/fastpath/counters.hpp) that together count
# the relay events raised: queued RENDEZVOUS pairs, queued unknown-destination
# events, and events the data plane had to drop (ring full, or no control
# attached, as in the benchmark once the table loader has left).
EVENT_KEYS = ("rendezvous_events", "unknown_dest_events", "events_dropped")


def event_ratio(rows, target):
    """Relay events raised per relayed packet over a target's whole generator
    session, from the data plane's counters before and after it (the
    "dp-total" row): (change of EVENT_KEYS) / (change of "relayed")."""
    for r in rows:
        if r.get("target") == target and r.get("kind") == "dp-total":
            b, a = flatten(r.get("before")), flatten(r.get("after"))
            ev = sum(a[k] - b.get(k, 0) for k in a if k.rsplit(".", 1)[-1] in EVENT_KEYS)
            rel = sum(a[k] - b.get(k, 0) for k in a if k.rsplit(".", 1)[-1] == "relayed")
            if rel > 0:
                return ev / rel, ev, rel
    return None


def summarise(rows):
    by = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r["kind"] in ("dp-total", "forwarder-exit") or r["kind"].startswith("ring"):
            continue
        by[r["target"]][r["kind"]].append(r)
    out = {}
    for t, kinds in by.items():
        s = {}
        if kinds.get("max"):
            m = kinds["max"]
            s["max_tx"] = spread([r["tx_mpps"] for r in m])
            s["max_rx"] = spread([r["rx_mpps"] for r in m])
            s["max_loss"] = spread([r["loss_pct"] for r in m])
            s["max_p50"] = spread([r["latency_ns"]["p50"] for r in m])
            s["relayed_share"] = spread([r["rx_relayed"] / r["rx"] if r["rx"] else 0 for r in m])
            s["misrouted"] = sum(r["rx_misrouted"] for r in m)
            s["load"] = spread([r["load1"] for r in m])
            ratio = event_ratio(rows, t)
            if ratio:
                # Events/s at max rate: events per relayed packet x relayed/s.
                s["events_per_relayed"] = ratio[0]
                s["events_per_s"] = spread([ratio[0] * r["rx_relayed"] / r["window_s"] for r in m])
        if kinds.get("ndr"):
            s["ndr"] = spread([r["ndr_mpps"] for r in kinds["ndr"]])
        lat = {}
        for k, rs in kinds.items():
            if k.startswith("lat-"):
                lat[float(k[4:])] = {
                    "rate": spread([r["offered_mpps"] for r in rs]),
                    "loss": spread([r["offered_loss_pct"] for r in rs]),
                    **{q: spread([r["latency_ns"][q] for r in rs]) for q in ("p50", "p90", "p99", "p99.9")},
                }
        if kinds.get("max"):
            m = kinds["max"]
            # At max rate the generator offers more than the port takes:
            # plot what was sent.
            lat[1.0] = {
                "rate": spread([r["tx_mpps"] for r in m]),
                "loss": spread([r["offered_loss_pct"] for r in m]),
                **{q: spread([r["latency_ns"][q] for r in m]) for q in ("p50", "p90", "p99", "p99.9")},
            }
        s["latency"] = dict(sorted(lat.items()))
        out[t] = s
    return out


def ring_summary(rows):
    """The in-process net_ring runs (run.sh target 'ring': bench_fastpath
    port=1/2/3), one spread per forwarder."""
    by = defaultdict(list)
    for r in rows:
        if r["kind"] == "ring-run":
            by[r["target"]].append(r)
    return {t: {"max_rx": spread([r["mpps"] for r in rs]), "bad": sum(r["bad"] for r in rs),
                "load": spread([r["load1"] for r in rs])} for t, rs in by.items()}


def fmt(s, unit="", digits=2):
    return f"{s['median']:.{digits}f}{unit} ({s['min']:.{digits}f}..{s['max']:.{digits}f}, n={s['n']})"


def markdown(summary, ring=None):
    lines = ["| target | max-rate tx Mpps | max-rate rx Mpps | loss at max % | no-drop rate Mpps | relayed share | events/s | load (1-min) |",
             "|---|---|---|---|---|---|---|---|"]
    for t, s in summary.items():
        cells = [LABELS.get(t, t)]
        cells.append(fmt(s["max_tx"]) if "max_tx" in s else "-")
        cells.append(fmt(s["max_rx"]) if "max_rx" in s else "-")
        cells.append(fmt(s["max_loss"], digits=3) if "max_loss" in s else "-")
        cells.append(fmt(s["ndr"]) if "ndr" in s else "-")
        cells.append(fmt(s["relayed_share"]) if "relayed_share" in s else "-")
        cells.append(fmt(s["events_per_s"], digits=0) + f' ({s["events_per_relayed"]:.4f}/relayed pkt)'
                     if "events_per_s" in s else "-")
        cells.append(fmt(s["load"]) if "load" in s else "-")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Latency (ns, median over runs; load = fraction of the no-drop rate, max = max-rate runs, whose rate column is what was sent):", "",
              "| target | load | offered Mpps | loss % | p50 | p90 | p99 | p99.9 |", "|---|---|---|---|---|---|---|---|"]
    for t, s in summary.items():
        for frac, l in s["latency"].items():
            lines.append(f"| {LABELS.get(t, t)} | {'max' if frac == 1.0 else frac} | {l['rate']['median']:.2f} | "
                         f"{l['loss']['median']:.4f} | {l['p50']['median']:.0f} | {l['p90']['median']:.0f} | "
                         f"{l['p99']['median']:.0f} | {l['p99.9']['median']:.0f} |")
    if ring:
        lines += ["", "In one process over net_ring (bench_fastpath port=1/2/3: the data plane's poll loop or a bare "
                  "forwarder on core 0, a closed-loop generator on core 1; packets back at the generator):", "",
                  "| forwarder | Mpps | bad returns | load (1-min) |", "|---|---|---|---|"]
        for t, r in ring.items():
            lines.append(f"| {LABELS.get(t, t)} | {fmt(r['max_rx'])} | {r['bad']} | {fmt(r['load'])} |")
    return "\n".join(lines) + "\n"


def svg(summary, ring=None):
    W, H = 900, 380
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>']
    # Left: throughput bars.
    x0, y0, pw, ph = 60, 40, 340, 280
    groups = [("max_rx", "max rate (rx)"), ("ndr", "no-drop rate")]
    if ring:  # a third group: the in-process net_ring runs
        summary = {**summary, **{t: {"ring_rx": r["max_rx"], "latency": {}} for t, r in ring.items()}}
        groups.append(("ring_rx", "net_ring, in-process"))
    top = max([s[g]["max"] for s in summary.values() for g, _ in groups if g in s] + [1])
    top = math.ceil(top * 1.15)
    parts.append(f'<text x="{x0}" y="20" font-size="14">Throughput, Mpps (median, whiskers min..max)</text>')
    for i in range(0, 6):
        v = top * i / 5
        y = y0 + ph - ph * v / top
        parts.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.1f}</text>')
    targets = list(summary)
    gw = pw / len(groups)
    bw = gw / (len(targets) + 1)
    for gi, (g, glabel) in enumerate(groups):
        parts.append(f'<text x="{x0 + gw * gi + gw / 2:.1f}" y="{y0 + ph + 18}" text-anchor="middle">{glabel}</text>')
        for ti, t in enumerate(targets):
            if g not in summary[t]:
                continue
            s = summary[t][g]
            x = x0 + gw * gi + bw * (ti + 0.5)
            h = ph * s["median"] / top
            parts.append(f'<rect x="{x:.1f}" y="{y0 + ph - h:.1f}" width="{bw * 0.9:.1f}" height="{h:.1f}" fill="{COLORS.get(t, "#999")}"/>')
            cx = x + bw * 0.45
            ylo, yhi = y0 + ph - ph * s["min"] / top, y0 + ph - ph * s["max"] / top
            parts.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{ylo:.1f}" y2="{yhi:.1f}" stroke="black"/>')
            parts.append(f'<text x="{cx:.1f}" y="{yhi - 4:.1f}" text-anchor="middle" font-size="11">{s["median"]:.2f}</text>')
    # Right: latency against offered rate, log scale.
    x1 = 520
    pw2 = 340
    parts.append(f'<text x="{x1}" y="20" font-size="14">Latency vs offered rate (p50 solid, p99 dashed)</text>')
    pts = [(l["rate"]["median"], l[q]["median"]) for s in summary.values() for l in s["latency"].values() for q in ("p50", "p99")]
    if pts:
        xmax = max(p[0] for p in pts) * 1.1 or 1
        lmin = math.floor(math.log10(max(min(p[1] for p in pts), 1)))
        lmax = math.ceil(math.log10(max(max(p[1] for p in pts), 10)))
        lmax = max(lmax, lmin + 1)

        def px(r):
            return x1 + pw2 * r / xmax

        def py(v):
            return y0 + ph - ph * (math.log10(max(v, 1)) - lmin) / (lmax - lmin)
        for e in range(lmin, lmax + 1):
            y = py(10 ** e)
            parts.append(f'<line x1="{x1}" x2="{x1 + pw2}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
            label = ["1 ns", "10 ns", "100 ns", "1 us", "10 us", "100 us", "1 ms", "10 ms", "100 ms",
                     "1 s"][e] if 0 <= e <= 9 else f"1e{e} ns"
            parts.append(f'<text x="{x1 - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
        for i in range(0, 6):
            r = xmax * i / 5
            parts.append(f'<text x="{px(r):.1f}" y="{y0 + ph + 18}" text-anchor="middle">{r:.1f}</text>')
        parts.append(f'<text x="{x1 + pw2 / 2}" y="{y0 + ph + 34}" text-anchor="middle">offered Mpps</text>')
        for t, s in summary.items():
            for q, dash in (("p50", ""), ("p99", ' stroke-dasharray="5,4"')):
                line = [(px(l["rate"]["median"]), py(l[q]["median"])) for l in s["latency"].values()]
                path = " ".join(f"{a:.1f},{b:.1f}" for a, b in line)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{COLORS.get(t, "#999")}" stroke-width="2"{dash}/>')
                for a, b in line:
                    parts.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{COLORS.get(t, "#999")}"/>')
    # Legend.
    for i, t in enumerate(targets):
        y = H - 14
        x = 60 + i * 260
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{COLORS.get(t, "#999")}"/>')
        parts.append(f'<text x="{x + 18}" y="{y}">{LABELS.get(t, t)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    summary = summarise(rows)
    ring = ring_summary(rows)
    with open(f"{sys.argv[2]}/summary.json", "w") as f:
        json.dump({**summary, **ring}, f, indent=1, default=str)
    with open(f"{sys.argv[2]}/summary.md", "w") as f:
        f.write(markdown(summary, ring))
    with open(f"{sys.argv[2]}/bench-relay.svg", "w") as f:
        f.write(svg(summary, ring))
    sys.stdout.write(markdown(summary, ring))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Medians and spread of tools/bench/member/run.sh results, and the plot.

Usage: summarize.py <out-dir>   (reads results.jsonl and machine.txt there)
Writes summary.md (the table for docs/bench-member.md), summary.json and,
when matplotlib is importable, bench-member.png.

Per setup and stream count: throughput (Gbit/s received, iperf3), the two
members' daemons' CPU (utime+stime from /proc/<pid>/stat, in % of one core
over the run and as CPU-seconds per Gbit carried), the iperf3 client's and
server's CPU. Median, min and max over the reps.
"""
import json
import os
import statistics
import sys

# The order of the table and plot; a setup not listed here (one added to
# run.sh later) follows in the order of the results.
SETUPS = ["veth", "stock", "flatnet", "flatnet-tso", "flatnet-gro", "flatnet-nooffload",
          "flatnet-mq", "flatnet-io1", "flatnet-plain", "flatnet-nogso", "flatnet-nogro"]


def spread(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def main():
    out = sys.argv[1]
    rows = [json.loads(line) for line in open(os.path.join(out, "results.jsonl")) if line.strip()]
    for r in rows:
        if r["setup"] not in SETUPS:
            SETUPS.append(r["setup"])
    failed = {}
    groups = {}
    for r in rows:
        if not r.get("ok"):
            failed.setdefault(r["setup"], []).append(r)
            continue
        secs = r["seconds"]
        hz = r["clk_tck"]
        ticks = r["cpu_ticks"]
        members = [k for k in ticks if k not in ("iperf_server", "root")]
        member_cpu_s = sum(ticks[k] for k in members) / hz
        gbit = r["bps"] * secs / 1e9
        g = groups.setdefault((r["setup"], r["streams"]), {
            "gbps": [], "member_cpu_pct": [], "member_cpu_s_per_gbit": [], "root_cpu_pct": [],
            "client_cpu_pct": [], "server_cpu_pct": [], "retransmits": [], "receiver_ofo": []})
        g["gbps"].append(r["bps"] / 1e9)
        if members:
            g["member_cpu_pct"].append(100.0 * member_cpu_s / secs)
            g["member_cpu_s_per_gbit"].append(member_cpu_s / gbit if gbit > 0 else float("inf"))
        if "root" in ticks:
            g["root_cpu_pct"].append(100.0 * ticks["root"] / hz / secs)
        g["client_cpu_pct"].append(r["client_cpu_pct"])
        g["server_cpu_pct"].append(100.0 * ticks["iperf_server"] / hz / secs)
        g["retransmits"].append(r["retransmits"])
        if "receiver_ofo_queue" in r:
            g["receiver_ofo"].append(r["receiver_ofo_queue"])

    summary = {f"{s}/P{p}": {k: spread(v) for k, v in g.items()} for (s, p), g in groups.items()}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump({"summary": summary, "not_measured": {k: v for k, v in failed.items()}}, f,
                  indent=1)

    def cell(sp, fmt="{:.2f}"):
        if not sp:
            return "–"
        return (fmt + " (" + fmt + "–" + fmt + ")").format(sp["median"], sp["min"], sp["max"])

    lines = ["| setup | streams | Gbit/s median (min–max) | members' CPU % of a core | "
             "members' CPU-s per Gbit | iperf3 client CPU % | iperf3 server CPU % | "
             "retransmits | receiver TCPOFOQueue | runs |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    asked = {r["setup"] for r in rows}
    for s in SETUPS:
        if s not in asked:
            continue
        for p in (1, 8):
            g = summary.get(f"{s}/P{p}")
            if not g:
                why = "not measured" + (": " + failed[s][0].get("reason", "iperf3 failed")
                                        if s in failed else "")
                lines.append(f"| {s} | {p} | {why} | | | | | | | 0 |")
                continue
            lines.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                s, p, cell(g["gbps"]), cell(g["member_cpu_pct"], "{:.0f}"),
                cell(g["member_cpu_s_per_gbit"], "{:.3f}"), cell(g["client_cpu_pct"], "{:.0f}"),
                cell(g["server_cpu_pct"], "{:.0f}"), cell(g["retransmits"], "{:.0f}"),
                cell(g["receiver_ofo"], "{:.0f}"), g["gbps"]["n"]))
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not found: no plot", file=sys.stderr)
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.35
    for ax, key, title, log in ((axes[0], "gbps", "iperf3 TCP throughput (Gbit/s, log scale)", True),
                                (axes[1], "member_cpu_s_per_gbit",
                                 "members' CPU-seconds per Gbit (lower is better)", False)):
        present = [s for s in SETUPS if any(groups.get((s, p), {}).get(key) for p in (1, 8))]
        for i, p in enumerate((1, 8)):
            xs, med, lo, hi = [], [], [], []
            for j, s in enumerate(present):
                g = groups.get((s, p))
                if not g or not g[key]:
                    continue
                v = g[key]
                m = statistics.median(v)
                xs.append(j + (i - 0.5) * width)
                med.append(m)
                lo.append(m - min(v))
                hi.append(max(v) - m)
            bars = ax.bar(xs, med, width, yerr=[lo, hi], capsize=4,
                          label=f"{p} stream" + ("s" if p > 1 else ""))
            ax.bar_label(bars, labels=[f"{m:.2f}" for m in med], padding=2, fontsize=8)
        if log:
            ax.set_yscale("log")
        ax.set_xticks(range(len(present)))
        ax.set_xticklabels(present)
        ax.set_title(title)
        ax.legend()
    fig.suptitle("two members in namespaces on one 2-vCPU machine; bars: median, whiskers: min–max")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "bench-member.png"), dpi=110)
    print("plot:", os.path.join(out, "bench-member.png"))


if __name__ == "__main__":
    main()

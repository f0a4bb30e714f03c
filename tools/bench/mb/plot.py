#!/usr/bin/python3
"""Plot flatnet-bench-mb --json output: docs/bench-mb.png.

usage: plot.py RESULTS.json OUT.png
Left/middle: armor and dearmor Gbit/s by packet size (bursts of 32 for the
burst engines; per-packet engines have no burst), bars = median, whiskers =
p25..p75. Right: Mpps at 64 B by burst size.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    data = json.load(open(sys.argv[1]))
    rows = data["rows"]
    sizes = []
    for r in rows:
        if r["size"] not in sizes:
            sizes.append(r["size"])

    def gbps(r, key):
        return r["avg_bytes"] * 8 / r[key]

    fig, axes = plt.subplots(2, 3, figsize=(17, 9))
    for row, suite in enumerate(["1", "3"]):
        for col, op in enumerate(["armor", "dearmor"]):
            ax = axes[row][col]
            sel = [r for r in rows if r["suite"] == suite and r["op"] == op and r["burst"] in (0, 32)]
            engines = []
            for r in sel:
                if r["engine"] not in engines:
                    engines.append(r["engine"])
            width = 0.8 / max(1, len(engines))
            for k, e in enumerate(engines):
                xs, ys, lo, hi = [], [], [], []
                for i, s in enumerate(sizes):
                    m = [r for r in sel if r["engine"] == e and r["size"] == s]
                    if not m:
                        continue
                    r = m[0]
                    y = gbps(r, "ns_median")
                    xs.append(i + (k - (len(engines) - 1) / 2) * width)
                    ys.append(y)
                    lo.append(y - gbps(r, "ns_p75"))
                    hi.append(gbps(r, "ns_p25") - y)
                label = e + (" (burst 32)" if e.startswith("mb") else "")
                ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label=label)
            ax.set_xticks(range(len(sizes)))
            ax.set_xticklabels([s + (" B" if s != "IMIX" else "") for s in sizes])
            ax.set_ylabel("Gbit/s (whole packets)")
            ax.set_title("suite %s %s, one core" % (suite, op))
            ax.grid(axis="y", alpha=0.3)
            ax.legend(fontsize=7)
        ax = axes[row][2]
        sel = [r for r in rows if r["suite"] == suite and r["op"] == "armor" and r["size"] == "64" and r["burst"] > 0]
        engines = []
        for r in sel:
            if r["engine"] not in engines:
                engines.append(r["engine"])
        for e in engines:
            pts = sorted((r["burst"], 1e3 / r["ns_median"]) for r in sel if r["engine"] == e)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=e)
        for r in rows:
            if r["suite"] == suite and r["op"] == "armor" and r["size"] == "64" and r["burst"] == 0:
                ax.axhline(1e3 / r["ns_median"], linestyle="--", linewidth=1, color="gray")
                ax.annotate(r["engine"], (1, 1e3 / r["ns_median"]), fontsize=7, color="gray")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("burst size")
        ax.set_ylabel("Mpps")
        ax.set_title("suite %s armor, 64 B packets" % suite)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    load = data.get("load", [0, 0, 0])
    fig.suptitle("flatnet-bench-mb: %s, pinned to cpu %s, load average %.2f at start, %d reps"
                 % (data.get("cpu", "?"), data.get("pinned_cpu", "?"), load[0], data.get("reps", 0)))
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=90)


if __name__ == "__main__":
    main()

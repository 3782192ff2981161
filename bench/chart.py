#!/usr/bin/env python3
"""Draws bench/figures.svg from bench/figures.csv (the current figures; the runs behind each are
in the `record` column's bench/runs files). Standard library only:

    python3 bench/chart.py          # rewrites bench/figures.svg
"""
import csv
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
W, LABEL, BAR_H, GAP = 760, 230, 22, 10
PLOT = W - LABEL - 90


def rows():
    with open(os.path.join(HERE, "figures.csv"), newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines))


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def panel(out, y, title, items, scale, fmt, note):
    """One horizontal bar chart; `scale(v)` maps a value to 0..1 of the plot width."""
    out.append(f'<text x="10" y="{y + 16}" font-weight="bold">{esc(title)}</text>')
    out.append(f'<text x="10" y="{y + 32}" fill="#555" font-size="11">{esc(note)}</text>')
    y += 44
    for label, value, target, ok in items:
        w = max(2.0, PLOT * scale(value))
        colour = "#2e7d32" if ok else "#c62828"
        out.append(f'<text x="{LABEL - 8}" y="{y + 15}" text-anchor="end">{esc(label)}</text>')
        out.append(f'<rect x="{LABEL}" y="{y}" width="{w:.1f}" height="{BAR_H}" fill="{colour}"/>')
        out.append(f'<text x="{LABEL + w + 6:.1f}" y="{y + 15}">{esc(fmt(value))}</text>')
        tx = LABEL + PLOT * scale(target)
        out.append(f'<line x1="{tx:.1f}" y1="{y - 3}" x2="{tx:.1f}" y2="{y + BAR_H + 3}" stroke="#000" stroke-dasharray="3,2"/>')
        y += BAR_H + GAP
    return y + 10


def main():
    data = rows()
    speed = [r for r in data if r["panel"] == "speedup"]
    over = [r for r in data if r["panel"] == "overhead"]
    top = max([float(r["peer_s"]) / float(r["ours_s"]) for r in speed] + [float(r["target"]) for r in speed])
    log_top = math.log10(top * 1.5)

    def log_scale(v):
        return max(0.0, math.log10(max(v, 1.0)) / log_top)

    out = []
    y = panel(
        out, 0, "Times faster than the peer (log scale; dashed line: target)",
        [(f'{r["what"]} vs {r["peer"]}', float(r["peer_s"]) / float(r["ours_s"]), float(r["target"]),
          float(r["peer_s"]) / float(r["ours_s"]) >= float(r["target"])) for r in speed],
        log_scale, lambda v: f"{v:.1f}×", "whole process, medians of interleaved runs; green: target met",
    )
    if over:
        y = panel(
            out, y, "Through an access point / direct GET (dashed line: target)",
            [(r["what"], float(r["ours_s"]) / float(r["peer_s"]), float(r["target"]),
              float(r["ours_s"]) / float(r["peer_s"]) <= float(r["target"])) for r in over],
            lambda v: min(1.0, v / 2.0), lambda v: f"{v:.2f}×", "lower is better; green: target met",
        )
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{y}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{y}" fill="#fff"/>', *out, "</svg>"]
    path = os.path.join(HERE, "figures.svg")
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Renders the Markdown report of one benches/compare.sh run from its raw data.

Usage: python3 benches/compare_report.py RUN_DIR   (or: bash benches/compare.sh --report RUN_DIR)
RUN_DIR is $WORK/runs/<timestamp>: files machine, tools, missing, repro, and one directory per
table row under rows/ (see add_row and run_once in compare.sh).
"""
import os, statistics, sys

run = sys.argv[1]
def read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default

machine = dict(l.split("=", 1) for l in read(f"{run}/machine").splitlines() if "=" in l)
tools = [l.split("\t") for l in read(f"{run}/tools").splitlines() if l]
missing = [l.split("\t") for l in read(f"{run}/missing").splitlines() if l]

rows = []
for name in sorted(os.listdir(f"{run}/rows")):
    d = f"{run}/rows/{name}"
    r = {k: read(f"{d}/{k}").strip() for k in ("section", "target", "tool", "label", "kind", "note", "status", "shown", "count")}
    r["runs"] = [l.split() for l in read(f"{d}/runs").splitlines() if l]
    r["findings"] = [l for l in read(f"{d}/findings").split() if l]
    rows.append(r)

def secs(x):
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"

def summary(r):
    ok = [x for x in r["runs"]]
    if not ok or r["status"]:
        return None
    walls = [float(x[0]) for x in ok]
    return {
        "n": len(walls),
        "wall": statistics.median(walls),
        "min": min(walls), "max": max(walls),
        "cpu": statistics.median(float(x[2]) for x in ok),
        "rss": max(int(x[1]) for x in ok),
    }

over = next((summary(r) for r in rows if r["section"] == "overhead"), None)

out = []
w = out.append
w(f"# keygate vs other secret scanners ({machine.get('date', '?')})")
w("")
w(f"Machine: {machine.get('nproc')} CPUs ({machine.get('cpu')}), {machine.get('ram')} RAM, "
  f"{machine.get('os')}. Load average (1, 5, 15 min) before: {machine.get('load_before')}, "
  f"after: {machine.get('load_after')}.")
w("")
w("Reproduce:")
w("")
w("    " + read(f"{run}/repro"))
w("")
w("Tools:")
w("")
for t in tools:
    w(f"- {t[0]}: {t[1]} (`{t[2]}`" + (f"; {t[3]})" if len(t) > 3 else ")"))
for m in missing:
    w(f"- {m[0]}: **missing** (install: {m[1]})")
w("")
w("Columns: wall time is the median of the runs (min-max after it); CPU is user + system, median; "
  "max RSS is the highest of the runs, of the largest single process; findings are counted from "
  "each tool's own report (JSON where it has one) and are *not* comparable across tools (different "
  "rules, and different ideas of what one finding is: see the notes). ÷ keygate is the row's value "
  "divided by keygate's in the same table: above 1, keygate is faster or smaller.")
if over:
    w(f"Harness overhead per run (timing `true` the same way): {secs(over['wall'])} wall, included "
      "in every wall time below.")
w("")

titles = {
    "dir": "Directory scan",
    "history": "Full-history audit (all refs), with the git floor",
    "staged": "Pre-commit: one staged file, and start-up",
}
for section in ("dir", "history", "staged"):
    targets = []
    for r in rows:
        if r["section"] == section and r["target"] not in targets:
            targets.append(r["target"])
    for target in targets:
        group = [r for r in rows if r["section"] == section and r["target"] == target]
        base = next((summary(r) for r in group if r["kind"] == "base"), None)
        w(f"## {titles[section]}: `{target.split(' (')[0]}`")
        w("")
        w(f"Input: {target.split(' (', 1)[1][:-1] if ' (' in target else target}.")
        w("")
        w("| tool | command | runs | wall (median) | min-max | CPU | max RSS | findings | wall ÷ keygate | RSS ÷ keygate |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        notes = []
        for r in group:
            label = r["label"] or r["tool"]
            if r["kind"] == "base":
                label = f"**{label}**"
            elif r["kind"] == "ref":
                label = f"*{label}* (floor)"
            if r["kind"] in ("missing", "unsupported"):
                ref = "-"
            else:
                notes.append((r["label"] or r["tool"], r["shown"], r["note"]))
                ref = f"[{len(notes)}]"
            if r["kind"] == "missing":
                w(f"| {label} | {ref} | - | {r['note']} | | | | | | |")
                continue
            if r["kind"] == "unsupported":
                w(f"| {label} | {ref} | - | not supported: {r['note']} | | | | | | |")
                continue
            s = summary(r)
            if s is None:
                w(f"| {label} | {ref} | {len(r['runs'])} | {r['status'] or 'no run'} | | | | | | |")
                continue
            f = r["findings"]
            found = "n/a" if not f else (f[-1] if len(set(f)) == 1 else "varies: " + "/".join(f))
            if r["count"] == "none":
                found = "-"
            if base and r["kind"] != "base":
                tr = s["wall"] / base["wall"]
                rr = s["rss"] / base["rss"]
                tratio = f"{tr:.2f}"
                if r["kind"] == "ref":
                    tratio += f" (keygate {1 / tr:.2f}x this)"
                rratio = f"{rr:.2f}"
            else:
                tratio = rratio = "-" if r["kind"] == "base" else "n/a"
            w(f"| {label} | {ref} | {s['n']} | {secs(s['wall'])} | {secs(s['min'])}-{secs(s['max'])} "
              f"| {s['cpu']:.2f} s | {s['rss'] / 1024:.0f} MB | {found} | {tratio} | {rratio} |")
        w("")
        for k, (tool, shown, note) in enumerate(notes, 1):
            w(f"{k}. {tool}: `{shown}`" + (f" ({note})" if note else ""))
        w("")

w(f"Raw data: `{run}`.")
print("\n".join(out))

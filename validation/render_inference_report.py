#!/usr/bin/env python3
"""Render validation/INFERENCE_REPORT.md from the predictions of `clustertwin validate inference`.

usage: render_inference_report.py PREDICTED_CSV [OUT_MD]

Reads the CSV written by the validator (the measured columns + predicted_value, status, reason),
compares throughput rows (tokens_per_sec, tokens_per_sec_per_gpu) with their published value and
writes the absolute percentage errors per source, GPU, model and scenario. Standard library only.
"""
import csv
import json
import os
import re
import statistics
import sys
from collections import defaultdict

THROUGHPUT_METRICS = {"tokens_per_sec", "tokens_per_sec_per_gpu"}
FIT_REPORT = "data/calibration/fit_report.json"


def family(row):
    """The model without its checkpoint note: 'Llama 3.1 405B (nvidia ModelOpt FP4 checkpoint)' -> 'Llama 3.1 405B'."""
    return re.sub(r"\s*\(.*\)\s*$", "", row["model"]).strip()


def held_out_section(rows):
    """The headline: serving rows never enter a fit, so every serving error is a held-out error."""
    ok = [r for r in rows if r["status"] == "ok"]
    if not ok:
        return []
    lines = ["## Held-out error (the headline)", "",
             "No serving row enters any fit: the constants serving uses are fitted on training rows only "
             "(`clustertwin calibrate`, `data/calibration/fit.yaml`) or are estimates with their source "
             "(`data/calibration/serving.yaml`). Every error below is therefore the error on runs the twin never "
             "saw, and the leave-one-source-out error of a serving source equals its error here: refitting without "
             "it changes no constant.", ""]
    lines += table("By source (leave-one-source-out)", ok, lambda r: (r["source"], scenario_of(r)))
    lines += table("By GPU generation", ok, lambda r: (r.get("generation") or "?",))
    lines += table("By model class", ok, lambda r: (r.get("model_class") or "?",))
    lines += table("By model family, GPU generation and precision class", ok,
                   lambda r: (family(r), r.get("generation") or "?", r.get("precision_class") or "?"))
    if os.path.exists(FIT_REPORT):
        with open(FIT_REPORT, encoding="utf-8") as f:
            rng = json.load(f).get("ranges", {})
        v = rng.get("serving")
        if isinstance(v, dict):
            lines += ["### Ranges", "",
                      f"`serve`, `serve-plan` figures carry an {rng.get('nominal_coverage', 0.8) * 100:.0f}% range from these "
                      "errors on comparable runs (`data/calibration/residuals.csv`), widened by a factor fitted so that "
                      "held-out sources are covered; the coverage is nested (each source scored with ranges built and "
                      "widened without it).", "",
                      "| runs | sources | width factor | leave-one-source-out coverage of the range |", "|---|---|---|---|",
                      f"| {v['runs']} | {v['sources']} | {v['width_scale']:.2f} | {v['leave_one_source_out_coverage'] * 100:.1f} % |", ""]
    return lines


def scenario_of(row):
    if row["source"].startswith("TensorRT-LLM"):
        return "trtllm-bench (Offline, fixed lengths)"
    return row["scenario"]


def ratio(row):
    return float(row["predicted_value"]) / float(row["value"])


def ape(row):
    return abs(ratio(row) - 1.0) * 100.0


def summarise(apes):
    if not apes:
        return "-", "-", "-"
    return (f"{statistics.median(apes):.1f}", f"{statistics.mean(apes):.1f}",
            f"{100.0 * sum(a <= 15 for a in apes) / len(apes):.0f}")


def table(title, rows, key):
    groups = defaultdict(list)
    ratios = defaultdict(list)
    counts = defaultdict(lambda: defaultdict(int))
    for r in rows:
        k = key(r)
        counts[k][r["status"]] += 1
        if r["status"] == "ok":
            groups[k].append(ape(r))
            ratios[k].append(ratio(r))
    out = [f"### {title}", "",
           "| group | rows | ok | unsupported | infeasible | median APE % | mean APE % | within 15 % | median predicted / measured |",
           "|---|---|---|---|---|---|---|---|---|"]
    for k in sorted(counts):
        c = counts[k]
        med, mean, within = summarise(groups[k])
        bias = f"{statistics.median(ratios[k]):.2f}" if ratios[k] else "-"
        out.append(f"| {' / '.join(k)} | {sum(c.values())} | {c['ok']} | {c['unsupported']} | {c['infeasible']} "
                   f"| {med} | {mean} | {within} | {bias} |")
    return out + [""]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out_path = sys.argv[2] if len(sys.argv) > 2 else "validation/INFERENCE_REPORT.md"
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["metric"] in THROUGHPUT_METRICS]
    offline = [r for r in rows if scenario_of(r).startswith(("Offline", "trtllm"))]
    latency = [r for r in rows if r["scenario"] in ("Server", "Interactive")]
    lines = ["# Inference validation report", "",
             "Generated by `validation/render_inference_report.py` from the predictions of "
             "`clustertwin validate inference` on `data/measured/measured_inference.csv`. "
             "APE = |predicted / measured - 1|. Throughput rows only; p99 latency rows are unsupported "
             "(the load they were measured at is itself the published result). "
             "Where and why the model still misses: docs/serving.md, section \"Validation: known misses\".", ""]
    lines += held_out_section(rows)
    for name, subset in (("Offline and trtllm-bench throughput (acceptance: >= 85 % predicted, median APE <= 15 %)", offline),
                         ("Server and Interactive: highest load within the MLPerf p99 limits (acceptance: median APE <= 20 %)", latency)):
        ok = [ape(r) for r in subset if r["status"] == "ok"]
        med, mean, within = summarise(ok)
        lines += [f"## {name}", "",
                  f"rows {len(subset)}; predicted {len(ok)} ({100.0 * len(ok) / max(1, len(subset)):.1f} %); "
                  f"median APE {med} %, mean APE {mean} %, within 15 %: {within} %", ""]
        lines += table("By source and scenario", subset, lambda r: (r["source"], scenario_of(r)))
        lines += table("By GPU", subset, lambda r: (r["gpu"],))
        lines += table("By model and scenario", subset, lambda r: (r["model"], scenario_of(r)))
    reasons = defaultdict(int)
    for r in rows:
        if r["status"] != "ok":
            reasons[(r["status"], r["reason"])] += 1
    lines += ["## Rows not predicted", "", "| status | reason | rows |", "|---|---|---|"]
    lines += [f"| {s} | {why} | {n} |" for (s, why), n in sorted(reasons.items(), key=lambda x: -x[1])]
    worst = sorted((r for r in rows if r["status"] == "ok"), key=ape, reverse=True)[:15]
    lines += ["", "## Worst predictions", "", "| source | gpu | model | scenario | metric | measured | predicted | APE % | layout |",
              "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['source']} | {r['gpu']} | {r['model']} | {scenario_of(r)} | {r['metric']} | {r['value']} "
              f"| {float(r['predicted_value']):.5g} | {ape(r):.1f} | {r['reason']} |" for r in worst]
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Leave-one-family-out error: for each model family, `clustertwin calibrate --exclude-family`
refits the calibration from fit.yaml's priors with that family's rows held out, and predicts the
family with the refitted constants; compared with its in-sample error. A mechanism that helps only
in-sample shows up here as a held-out error above the in-sample one.

Writes validation/holdout_by_family.csv (read by render_report.py).
Usage: validation/holdout.py [--binary build/clustertwin]   (from the repository root; ~1 min per family)
"""
import argparse
import csv
import math
import re
import statistics
import subprocess
import tempfile

CASES = "data/measured/measured_training.csv"
OUT = "validation/holdout_by_family.csv"
PRIMARY = ("tokens_per_sec_per_gpu", "iteration_time_s")

# Families by the model column; MoE and hybrid-MoE families first (issue: MoE accuracy), then the
# largest dense families for comparison.
FAMILIES = [
    ("DeepSeek-V3", r"^DeepSeek-V3"),
    ("Qwen3 MoE", r"^Qwen3-\d+B-A\d+B"),
    ("GPT-OSS", r"^GPT-OSS"),
    ("Nemotron-3 (hybrid MoE)", r"^Nemotron-3"),
    ("Llama 3 / 3.1 (dense)", r"^Llama-3(\.1)?-"),
    ("MPT (dense)", r"^MPT-"),
]


def apes(pred_path, pattern):
    out = []
    for r in csv.DictReader(open(pred_path)):
        if r["status"] == "ok" and r["metric"] in PRIMARY and re.search(pattern, r["model"]):
            out.append(abs(float(r["predicted_value"]) / float(r["value"]) - 1) * 100)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default="build/clustertwin")
    ap.add_argument("--in-sample", default="validation/predicted_training.csv")
    args = ap.parse_args()
    rows = []
    for name, pattern in FAMILIES:
        inside = apes(args.in_sample, pattern)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([args.binary, "calibrate", "--cases", CASES, "--holdout", "none", "--from-prior",
                            "--exclude-family", pattern, "--out", f"{tmp}/data", "--predictions", f"{tmp}/fit.csv"],
                           check=True, capture_output=True)
            held = [abs(float(r["predicted_fitted"]) / float(r["value"]) - 1) * 100
                    for r in csv.DictReader(open(f"{tmp}/fit.csv"))
                    if r["metric"] in PRIMARY and r["predicted_fitted"] and re.search(pattern, r["model"])]
        rows.append({"family": name, "pattern": pattern, "rows": len(held),
                     "in_sample_median_ape": f"{statistics.median(inside):.1f}" if inside else "",
                     "held_out_median_ape": f"{statistics.median(held):.1f}" if held else "",
                     "held_out_mean_ape": f"{statistics.fmean(held):.1f}" if held else ""})
        print(f"{name}: {len(held)} rows, in-sample median {rows[-1]['in_sample_median_ape']}%, "
              f"held out {rows[-1]['held_out_median_ape']}%", flush=True)
    with open(OUT, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

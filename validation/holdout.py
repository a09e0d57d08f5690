#!/usr/bin/env python3
"""Leave-one-family-out error: for each model family, refit the calibration (validation/calibrate.py)
on a copy of the data directory with that family's rows held out, predict the family with the
refitted constants, and compare with its in-sample error. A mechanism that helps only in-sample
shows up here as a held-out error above the in-sample one.

Writes validation/holdout_by_family.csv (read by render_report.py).
Usage: validation/holdout.py [--rounds N] [--binary build/clustertwin]   (from the repository root)
"""
import argparse
import csv
import math
import re
import shutil
import statistics
import subprocess
import sys
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
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--binary", default="build/clustertwin")
    ap.add_argument("--in-sample", default="validation/predicted_training.csv")
    args = ap.parse_args()
    rows = []
    for name, pattern in FAMILIES:
        inside = apes(args.in_sample, pattern)
        with tempfile.TemporaryDirectory() as tmp:
            data = f"{tmp}/data"
            shutil.copytree("data", data)
            subprocess.run([sys.executable, "validation/calibrate.py", "--data", data, "--binary", args.binary,
                            "--pred", f"{tmp}/fit.csv", "--rounds", str(args.rounds), "--keep-attention",
                            "--exclude-family", pattern], check=True, capture_output=True)
            subprocess.run([args.binary, "--data", data, "validate", "training", "--cases", CASES, "--out",
                            f"{tmp}/held_out.csv"], check=True, capture_output=True)
            held = apes(f"{tmp}/held_out.csv", pattern)
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

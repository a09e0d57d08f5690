#!/usr/bin/env python3
"""Fit the one free coefficient of the GPU power model, gpu.hbm_share of
data/calibration/power.yaml, on the GPU-only (NVML) rows of the metered data, and say how the
held-out source (MLPerf Inference node wall power) fares at each value.

    python3 validation/energy_fit.py [build/clustertwin]

Every other coefficient has its own source. The fit is a grid: median APE of avg_power_w on the
ML.ENERGY rows for hbm_share = 0.30 .. 0.90. Nothing is written; the chosen value is copied into
power.yaml by hand with this script's output as its source.
"""
import csv, os, re, shutil, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "clustertwin")


def errors(out_csv):
    by = {"ML.ENERGY": [], "MLPerf": []}
    for r in csv.DictReader(open(out_csv)):
        if r["status"] != "ok" or r["metric"] != "avg_power_w":
            continue
        ape = abs(float(r["predicted_value"]) / float(r["value"]) - 1) * 100
        by["ML.ENERGY" if r["source"].startswith("ML.ENERGY") else "MLPerf"].append(ape)
    return {k: statistics.median(v) for k, v in by.items() if v}


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        shutil.copytree(os.path.join(ROOT, "data"), data)
        power = os.path.join(data, "calibration", "power.yaml")
        text = open(power).read()
        print("hbm_share  ML.ENERGY median APE (fitted)  MLPerf median APE (held out)")
        for share in [x / 100 for x in range(30, 91, 5)]:
            open(power, "w").write(re.sub(r"hbm_share: [0-9.]+", f"hbm_share: {share:.2f}", text, count=1))
            out = os.path.join(tmp, "e.csv")
            subprocess.run([BIN, "validate", "energy", "--cases", os.path.join(ROOT, "data/measured/measured_energy.csv"),
                            "--out", out], check=True, env={**os.environ, "CLUSTERTWIN_DATA": data},
                           stderr=subprocess.DEVNULL)
            e = errors(out)
            print(f"  {share:.2f}     {e.get('ML.ENERGY', float('nan')):6.1f} %                      {e.get('MLPerf', float('nan')):6.1f} %")


if __name__ == "__main__":
    main()

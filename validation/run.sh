#!/usr/bin/env bash
# Predict every row of the measured training and inference data and render validation/REPORT.md
# and validation/INFERENCE_REPORT.md.
# Usage: validation/run.sh   (or `make validate`, which builds first)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x build/clustertwin ]]; then
  echo "build/clustertwin not found: run 'make build' (or 'make validate') first" >&2
  exit 1
fi

build/clustertwin validate training --cases data/measured/measured_training.csv \
  --out validation/predicted_training.csv
# render_report.py prints the acceptance lines to stdout
python3 validation/render_report.py --pred validation/predicted_training.csv --out validation/REPORT.md \
  --baseline validation/baseline_predicted_training.csv

build/clustertwin validate inference --cases data/measured/measured_inference.csv \
  --out validation/predicted_inference.csv
python3 validation/render_inference_report.py validation/predicted_inference.csv validation/INFERENCE_REPORT.md

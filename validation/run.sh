#!/usr/bin/env bash
# The project's own fit and its validation: `clustertwin calibrate` refits data/calibration/fit.yaml's
# constants on the measured training runs (from round priors, leave-one-source-out held-out error,
# serving errors for the ranges), writing them into data/; then every measured row is predicted and
# validation/REPORT.md, validation/INFERENCE_REPORT.md and validation/ENERGY_REPORT.md are rendered.
# Usage: validation/run.sh   (or `make validate`, which builds first); about 3 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x build/clustertwin ]]; then
  echo "build/clustertwin not found: run 'make build' (or 'make validate') first" >&2
  exit 1
fi

build/clustertwin calibrate --cases data/measured/measured_training.csv \
  --serving-cases data/measured/measured_inference.csv --holdout source --from-prior \
  --out data --predictions validation/heldout_training.csv

build/clustertwin validate training --cases data/measured/measured_training.csv \
  --out validation/predicted_training.csv
# render_report.py prints the acceptance lines to stdout
python3 validation/render_report.py --pred validation/predicted_training.csv --out validation/REPORT.md \
  --baseline validation/baseline_predicted_training.csv

build/clustertwin validate inference --cases data/measured/measured_inference.csv \
  --out validation/predicted_inference.csv
python3 validation/render_inference_report.py validation/predicted_inference.csv validation/INFERENCE_REPORT.md

build/clustertwin validate energy --cases data/measured/measured_energy.csv \
  --out validation/predicted_energy.csv
python3 validation/render_energy_report.py validation/predicted_energy.csv validation/ENERGY_REPORT.md

#!/usr/bin/env bash
# `plan --mpi` on 1, 2 and 4 ranks must print exactly what one process prints.
# Usage: plan_mpi_test.sh MPIEXEC CLUSTERTWIN
set -euo pipefail
mpiexec=$1 clustertwin=$2
args=(plan --model llama3-70b --system dgx-h100 --gpus 256:512:256 --tokens 1T --format json --threads 1)
expected=$("$clustertwin" "${args[@]}")
python3 -c 'import json, sys; assert json.load(sys.stdin)["top"], "no layout found"' <<<"$expected"
for n in 1 2 4; do
  got=$("$mpiexec" -n "$n" --oversubscribe "$clustertwin" "${args[@]}" --mpi)
  if [[ "$got" != "$expected" ]]; then
    echo "plan --mpi with $n ranks differs from one process:" >&2
    diff <(echo "$expected") <(echo "$got") | head -20 >&2
    exit 1
  fi
  echo "$n ranks: identical ($(wc -c <<<"$got") bytes)"
done

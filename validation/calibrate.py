#!/usr/bin/env python3
"""Fits the few calibration constants that no published micro-benchmark gives, jointly on all
dense training rows of the measured data, and writes them into data/calibration/.

Fitted (each one physical, shared by every source and model):
  - the fused-attention fractions per kernel family (devices.yaml), scaled alike on every GPU:
    the published kernel benchmarks are for non-causal attention at one head size.
  - sustained_tensor_fraction per GPU generation (devices.yaml): tensor-core throughput kept
    through a whole training step relative to short GEMM benchmarks (clock/power throttling,
    wave tails, launch gaps).
  - elementwise_passes per software profile (profiles.yaml): HBM traffic of norms, activations,
    residuals and casts relative to fully fused kernels.
  - microbatch_overhead_ms per software profile: host-side cost per micro-batch pass.
  - the kernel launch overhead (runtime.yaml): fixed cost per kernel, which multi-kernel ops
    (MoE routing and permutation, the Mamba scan) pay many times.
  - ep_comm_overlap of the Megatron profile: share of the MoE all-to-all hidden by overlapped
    schedules.
  - host_kernel_us of the Megatron profile: CPU time to issue one kernel, which paces dropless MoE
    layers (their per-layer device-to-host sync keeps the CPU from running ahead).
Objective: mean |ln(predicted / measured)| over all tokens/s and iteration-time rows (dense and
MoE) that the simulator predicts (status ok). Coordinate descent with multiplicative steps.

Usage: validation/calibrate.py [--rounds N]   (run from the repository root, after a build)
"""
import argparse
import csv
import math
import re
import subprocess

BINARY = "build/clustertwin"
DATA = "data"  # --data: fit a copy of the data directory instead of the shipped one
CASES = "data/measured/measured_training.csv"
PRED = "/tmp/clustertwin-calibrate.csv"

GENERATIONS = {
    "ampere": ["a100-sxm-40gb", "a100-sxm-80gb"],
    "hopper": ["h100-sxm-80gb", "h100-sxm-96gb-500w", "h800-sxm-80gb", "h200-sxm-141gb"],
    "blackwell": ["b200", "gb200"],
    "blackwell-ultra": ["b300", "gb300"],
}


def devices():
    return f"{DATA}/calibration/devices.yaml"


def profiles():
    return f"{DATA}/calibration/profiles.yaml"


def set_block_field(path, block_key, block_id, field, value):
    text = open(path).read()
    start = text.index(f"  - {block_key}: {block_id}\n")
    end = text.find(f"\n  - {block_key}: ", start + 1)
    end = len(text) if end < 0 else end
    block = text[start:end]
    new_block, n = re.subn(rf"(?m)^(    {field}: )[^\n]*$", rf"\g<1>{value:.4g}", block)
    if n != 1:
        raise SystemExit(f"{path}: {block_id}.{field} not found exactly once")
    open(path, "w").write(text[:start] + new_block + text[end:])


def get_block_field(path, block_key, block_id, field):
    text = open(path).read()
    start = text.index(f"  - {block_key}: {block_id}\n")
    m = re.compile(rf"(?m)^    {field}: ([^\n]*)$").search(text, start)
    return float(m.group(1))


class Param:
    def __init__(self, name, getter, setter, lo, hi):
        self.name, self.getter, self.setter, self.lo, self.hi = name, getter, setter, lo, hi


def generation_param(gen):
    gpus = GENERATIONS[gen]
    return Param(f"sustained_tensor_fraction[{gen}]",
                 lambda: get_block_field(devices(), "gpu", gpus[0], "sustained_tensor_fraction"),
                 lambda v: [set_block_field(devices(), "gpu", g, "sustained_tensor_fraction", v) for g in gpus],
                 0.3, 1.0)


def profile_param(profile, field, lo, hi):
    return Param(f"{profile}.{field}",
                 lambda: get_block_field(profiles(), "name", profile, field),
                 lambda v: set_block_field(profiles(), "name", profile, field, v), lo, hi)


def attention_param(kernel):
    """Scales a kernel's forward and backward fractions on every GPU, keeping their ratio."""
    pattern = re.compile(rf"({kernel}: {{fwd: )([0-9.]+)(, bwd: )([0-9.]+)(}})")

    def get():
        m = pattern.search(open(devices()).read())
        return float(m.group(2))

    def set_(fwd):
        text = open(devices()).read()
        scale = fwd / get()
        text = pattern.sub(lambda m: f"{m.group(1)}{float(m.group(2)) * scale:.3g}{m.group(3)}"
                                     f"{float(m.group(4)) * scale:.3g}{m.group(5)}", text)
        open(devices(), "w").write(text)

    return Param(f"attention[{kernel}].fwd (all GPUs, bwd scaled alike)", get, set_, 0.2, 0.9)


def runtime_param(block, field, lo, hi):
    path = f"{DATA}/calibration/runtime.yaml"
    pattern = re.compile(rf"(?m)^(  {field}: )([0-9.eE+-]+)$")

    def get():
        return float(pattern.search(open(path).read()).group(2))

    def set_(v):
        text = open(path).read()
        open(path, "w").write(pattern.sub(rf"\g<1>{v:.4g}", text, count=1))

    return Param(f"{block}.{field}", get, set_, lo, hi)


EXCLUDE = []        # sources held out of the fit (substring match), for generalisation checks
EXCLUDE_NOTES = []  # rows whose notes contain one of these (e.g. a container release) held out
EXCLUDE_MODELS = []  # models held out (exact name in the model column)
EXCLUDE_FAMILIES = []  # models held out by regular expression on the model column (leave-one-family-out)


def objective():
    subprocess.run([BINARY, "--data", DATA, "validate", "training", "--cases", CASES, "--out", PRED],
                   check=True, capture_output=True)
    errs = []
    for r in csv.DictReader(open(PRED)):
        if r["status"] != "ok" or any(x in r["source"] for x in EXCLUDE) or any(x in r["notes"] for x in EXCLUDE_NOTES) \
                or r["model"] in EXCLUDE_MODELS or any(re.search(f, r["model"]) for f in EXCLUDE_FAMILIES):
            continue
        if r["metric"] not in ("tokens_per_sec_per_gpu", "iteration_time_s"):
            continue
        errs.append(abs(math.log(float(r["predicted_value"]) / float(r["value"]))))
    return sum(errs) / len(errs), len(errs)


def main():
    global DATA, PRED, BINARY
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--exclude-source", action="append", default=[],
                    help="hold rows whose source contains this text out of the fit (repeatable)")
    ap.add_argument("--exclude-notes", action="append", default=[],
                    help="hold rows whose notes contain this text (e.g. 'container 26.02') out of the fit (repeatable)")
    ap.add_argument("--exclude-model", action="append", default=[],
                    help="hold rows of this model (exact name in the model column) out of the fit (repeatable)")
    ap.add_argument("--exclude-family", action="append", default=[],
                    help="hold rows whose model matches this regular expression out of the fit (repeatable)")
    ap.add_argument("--data", default="data", help="data directory to fit (its calibration files are rewritten)")
    ap.add_argument("--binary", default=BINARY, help="the clustertwin executable")
    ap.add_argument("--pred", default=PRED, help="where the validator writes its predictions during the fit")
    ap.add_argument("--keep-attention", action="store_true",
                    help="leave the attention fractions as they are (they trade off against the sustained tensor "
                         "fraction along a flat valley of the objective)")
    args = ap.parse_args()
    EXCLUDE.extend(args.exclude_source)
    EXCLUDE_NOTES.extend(args.exclude_notes)
    EXCLUDE_MODELS.extend(args.exclude_model)
    EXCLUDE_FAMILIES.extend(args.exclude_family)
    DATA, PRED, BINARY = args.data, args.pred, args.binary
    params = [generation_param(g) for g in GENERATIONS]
    if not args.keep_attention:
        params += [attention_param("flash2"), attention_param("native")]
    params.append(runtime_param("kernels", "launch_overhead_us", 0.5, 20.0))
    params.append(profile_param("megatron-core", "ep_comm_overlap", 0.0, 0.95))
    params.append(profile_param("megatron-core", "host_kernel_us", 1.0, 80.0))
    for prof in ("megatron-core", "pytorch-fsdp"):
        params.append(profile_param(prof, "elementwise_passes", 1.0, 4.0))
        params.append(profile_param(prof, "microbatch_overhead_ms", 0.0, 50.0))
    best, n = objective()
    print(f"start: mean |ln error| {best:.4f} over {n} rows")
    step = 0.2
    for rnd in range(args.rounds):
        for p in params:
            x = p.getter()
            for cand in (x * (1 + step), x * (1 - step), x + step if x == 0 else None):
                if cand is None or not (p.lo <= cand <= p.hi):
                    continue
                p.setter(cand)
                val, _ = objective()
                if val < best - 1e-5:
                    best, x = val, cand
                    print(f"  {p.name} -> {cand:.4g}: {best:.4f}")
                else:
                    p.setter(x)
        step /= 2
        print(f"round {rnd + 1}: {best:.4f}")
    for p in params:
        print(f"{p.name} = {p.getter():.4g}")


if __name__ == "__main__":
    main()

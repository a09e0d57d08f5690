#!/usr/bin/env python3
"""Render validation/REPORT.md from the CSV written by `clustertwin validate training`.

Standard library only. Usage:
    python3 validation/render_report.py --pred validation/predicted_training.csv --out validation/REPORT.md

The acceptance lines are also printed to stdout.
"""

import argparse
import collections
import csv
import json
import math
import re
import statistics

PRIMARY = ("tokens_per_sec_per_gpu", "iteration_time_s")
SECONDARY = ("tflops_per_gpu", "mfu")
STATUSES = ("ok", "infeasible", "unsupported")
SOURCE_WIDTH = 50
WORST_N = 25

VALIDATE_CMD = ("build/clustertwin validate training --cases data/measured/measured_training.csv "
                "--out validation/predicted_training.csv")
RENDER_CMD = ("python3 validation/render_report.py --pred validation/predicted_training.csv "
              "--out validation/REPORT.md --baseline validation/baseline_predicted_training.csv")


# ---------------------------------------------------------------- helpers

def num(text):
    """Float from a CSV cell, or None when empty / not a finite number."""
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def short(text, width=SOURCE_WIDTH):
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def cell(text):
    """Escape a value for a Markdown table cell."""
    text = str(text).replace("\n", " ").replace("|", "\\|")
    return text if text else "-"


def pct(x):
    return "-" if x is None else f"{x:.1f}%"


def fnum(x):
    """Measured/predicted values: ~4 significant digits, no exponent for usual magnitudes."""
    if x is None:
        return "-"
    a = abs(x)
    if a == 0:
        return "0"
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.4g}"


def table(headers, rows, align=None):
    align = align or ["l"] + ["r"] * (len(headers) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    out = ["| " + " | ".join(headers) + " |", "| " + " | ".join(sep) + " |"]
    for r in rows:
        out.append("| " + " | ".join(cell(c) for c in r) + " |")
    return out


def precision_class(p):
    u = (p or "").upper()
    if "FP4" in u:
        return "FP4"
    if "FP8" in u or "FLOAT8" in u:
        return "FP8"
    if "BF16" in u or "16-BIT" in u or "FP16" in u:
        return "16-bit"
    return "unknown"


# ---------------------------------------------------------------- row model

class Row:
    def __init__(self, d):
        self.d = d
        self.metric = d.get("metric", "")
        self.status = (d.get("status") or "").strip()
        self.reason = (d.get("reason") or "").strip()
        self.value = num(d.get("value"))
        self.pred = num(d.get("predicted_value"))
        self.moe = bool((d.get("moe_experts") or "").strip())
        self.arch = bool((d.get("layers") or "").strip())
        # error is defined only for ok rows with a usable prediction and a positive measurement
        self.scored = (self.status == "ok" and self.pred is not None
                       and self.value is not None and self.value > 0)
        self.ape = abs(self.pred - self.value) / self.value * 100 if self.scored else None
        self.signed = (self.pred / self.value - 1) * 100 if self.scored else None

    def __getitem__(self, k):
        return self.d.get(k, "") or ""


def stats(rows):
    """Counts by status and error statistics over scored (ok) rows."""
    n = len(rows)
    by = collections.Counter(r.status for r in rows)
    apes = [r.ape for r in rows if r.scored]
    signed = [r.signed for r in rows if r.scored]
    s = {
        "n": n,
        "count": {k: by.get(k, 0) for k in STATUSES},
        "share": {k: (100.0 * by.get(k, 0) / n if n else None) for k in STATUSES},
        "other": n - sum(by.get(k, 0) for k in STATUSES),
        "scored": len(apes),
        "median_ape": statistics.median(apes) if apes else None,
        "mean_ape": statistics.fmean(apes) if apes else None,
        "median_signed": statistics.median(signed) if signed else None,
        "within10": 100.0 * sum(a <= 10 for a in apes) / len(apes) if apes else None,
        "within25": 100.0 * sum(a <= 25 for a in apes) / len(apes) if apes else None,
    }
    return s


def count_share(s, k):
    c = s["count"][k]
    return f"{c} ({pct(s['share'][k])})" if s["n"] else "-"


# ---------------------------------------------------------------- sections

def acceptance_groups(rows):
    primary = [r for r in rows if r.metric in PRIMARY]
    dense = [r for r in primary if not r.moe]
    return [
        ("Dense, tokens/s/GPU + iteration time (acceptance)", dense),
        ("Dense with published architecture (`layers` non-empty)", [r for r in dense if r.arch]),
        ("MoE (`moe_experts` non-empty), tokens/s/GPU + iteration time", [r for r in primary if r.moe]),
        ("tflops_per_gpu, all models (report only)", [r for r in rows if r.metric == "tflops_per_gpu"]),
        ("mfu, all models (report only)", [r for r in rows if r.metric == "mfu"]),
    ]


def acceptance_section(rows):
    headers = ["group", "rows", "ok", "infeasible", "unsupported", "median APE", "mean APE",
               "within 10%", "within 25%", "median signed"]
    body, lines = [], []
    for name, grp in acceptance_groups(rows):
        s = stats(grp)
        body.append([name, s["n"], count_share(s, "ok"), count_share(s, "infeasible"),
                     count_share(s, "unsupported"), pct(s["median_ape"]), pct(s["mean_ape"]),
                     pct(s["within10"]), pct(s["within25"]), pct(s["median_signed"])])
        plain = name.replace("`", "")
        lines.append(
            f"{plain}: rows {s['n']}; ok {count_share(s, 'ok')}, infeasible {count_share(s, 'infeasible')}, "
            f"unsupported {count_share(s, 'unsupported')}; median APE {pct(s['median_ape'])}, "
            f"mean APE {pct(s['mean_ape'])}, within 10% {pct(s['within10'])}, within 25% {pct(s['within25'])}")
    md = ["## Acceptance", "",
          "Dense rows are rows with an empty `moe_experts` whose metric is `tokens_per_sec_per_gpu` or "
          "`iteration_time_s` (the two unambiguous metrics). APE = |predicted − measured| / measured × 100, "
          "over rows with status `ok`; signed error = predicted / measured − 1 (positive: the model is "
          "optimistic for throughput, pessimistic for iteration time). Rows of one run that report both "
          "primary metrics are counted once per metric. The MoE, TFLOP/s and MFU lines are reported, "
          "not part of acceptance.", ""]
    md += table(headers, body)
    md.append("")
    other = sum(stats(grp)["other"] for _, grp in acceptance_groups(rows)[:1])
    if other:
        md += [f"{other} acceptance row(s) have a status other than ok/infeasible/unsupported.", ""]
    return md, lines


def grouped_table(rows, key, label, sort_by_rows=False):
    groups = collections.defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    keys = sorted(groups)
    if sort_by_rows:
        keys = sorted(keys, key=lambda k: (-len(groups[k]), k))
    body = []
    for k in keys:
        s = stats(groups[k])
        body.append([k, s["n"], s["count"]["ok"], pct(s["median_ape"]), pct(s["mean_ape"]),
                     pct(s["median_signed"])])
    if not body:
        body.append(["-"] * 6)
    return table([label, "rows", "ok", "median APE", "mean APE", "median signed"], body)


def worst_section(rows):
    scored = [r for r in rows if r.metric in PRIMARY and r.scored]
    scored.sort(key=lambda r: (-r.ape, r["source"], r["model"], r["gpu"], r["metric"],
                               r["num_gpus"], r["global_batch"]))
    headers = ["#", "source", "model", "gpu", "GPUs", "tp/pp/vp/cp/dp", "mb/gb", "seq", "precision",
               "metric", "measured", "predicted", "signed"]
    body = []
    for i, r in enumerate(scored[:WORST_N], 1):
        par = "/".join(r[k] or "-" for k in ("tp", "pp", "vp", "cp", "dp"))
        body.append([i, short(r["source"], 40), r["model"], short(r["gpu"], 30), r["num_gpus"], par,
                     f"{r['micro_batch'] or '-'}/{r['global_batch'] or '-'}", r["seq_len"],
                     short(r["precision"], 30), r["metric"], fnum(r.value), fnum(r.pred),
                     pct(r.signed)])
    if not body:
        body.append(["-"] * len(headers))
    return (["## Worst rows", "",
             f"The {WORST_N} `ok` rows with tokens/s/GPU or iteration-time metrics (dense and MoE) with the "
             "largest APE.", ""] + table(headers, body, ["r"] + ["l"] * 3 + ["r"] + ["l"] * 2 + ["r"]
                                           + ["l"] * 2 + ["r"] * 3))


def oom_gpu(reason):
    """GPU named in an out-of-memory reason ('needs X GB per GPU, <gpu> has Y GB'), else None."""
    head, sep, tail = reason.partition(" GB per GPU, ")
    if not (sep and head.startswith("needs ") and " has " in tail):
        return None
    return tail.rsplit(" has ", 1)[0]


def not_predicted_section(rows):
    def key(r):
        if r.status == "ok":
            return ("ok", "predicted_value or value empty / not a positive number")
        return (r.status or "(empty)", r.reason or "-")
    missing = [r for r in rows if not r.scored]
    c = collections.Counter(key(r) for r in missing)
    body = [[st, short(reason, 120), n] for (st, reason), n in
            sorted(c.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))]
    if not body:
        body.append(["-", "-", "-"])
    md = ["## Not predicted", "",
          f"{len(missing)} of {len(rows)} rows (all metrics) have no scored prediction, by status and reason.",
          ""] + table(["status", "reason", "rows"], body, ["l", "l", "r"])
    oom = collections.Counter(oom_gpu(r.reason) for r in missing if r.status == "infeasible")
    oom.pop(None, None)
    if oom:
        md += ["", "Infeasible rows that run out of memory, by GPU (the table above lists each "
               "memory figure separately):", ""]
        md += table(["GPU (catalog)", "rows"],
                    [[g, n] for g, n in sorted(oom.items(), key=lambda kv: (-kv[1], kv[0]))])
    return md


def coverage_section(rows, baseline):
    """Share of rows predicted, what the resolver and the layout search reached, and whether the rows
    the previous release predicted got worse."""
    n = len(rows)
    predicted = sum(r.status in ("ok", "infeasible") for r in rows)
    md = ["## Coverage", "",
          f"{predicted} of {n} rows ({100.0 * predicted / n:.1f}%) are predicted (ok or infeasible; target 97%). "
          "Resolution tags (`resolution` column) say how a row was reached beyond its published "
          "configuration: `layout searched` (no layout published: the planner's fastest under the run's "
          "GPU count, global batch, sequence length and precision, as a tuned submitter would run it), "
          "`whole-run metric` (MLPerf time-to-train from the reference convergence points, "
          "data/calibration/mlperf_rcp.yaml; GPU-hours from the published token count), `name resolved` "
          "(a spelling the catalog does not hold verbatim), `catalog entry added` (a model config this release added), `assumed defaults` (the row leaves out what "
          "the `assumptions` column lists). All metrics.", ""]
    if baseline:
        newly = [r for r, b in zip(rows, baseline) if b.status == "unsupported" and r.status != "unsupported"]
        groups = collections.defaultdict(list)
        for r in newly:
            tags = [t.strip() for t in (r["resolution"]).split(";") if t.strip()]
            if r["assumptions"]:
                tags.append("assumed defaults")
            groups[(short(r["source"]), ", ".join(tags) or "catalog entry added")].append(r)
        body = []
        for (src, tags), rs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            st = stats(rs)
            body.append([src, tags, st["n"], st["count"]["ok"], pct(st["median_ape"]), pct(st["mean_ape"]),
                         pct(st["median_signed"])])
        md += [f"### Newly covered rows ({len(newly)}: unsupported in the previous release's predictions, "
               "`validation/baseline_predicted_training.csv`)", ""]
        md += table(["source", "resolution", "rows", "ok", "median APE", "mean APE", "median signed"], body,
                    ["l", "l", "r", "r", "r", "r", "r"])
        before = [(r, b) for r, b in zip(rows, baseline) if b.scored and b.metric in PRIMARY]
        now = [r for r, b in before if r.scored]
        st_b, st_n = stats([b for _, b in before]), stats(now)
        md += ["", "### Rows the previous release predicted (primary metrics)", "",
               f"{len(before)} rows were scored before; {len(now)} are scored now.", ""]
        md += table(["predictions", "rows", "median APE", "mean APE", "within 10%", "within 25%"],
                    [["previous release", st_b["scored"], pct(st_b["median_ape"]), pct(st_b["mean_ape"]),
                      pct(st_b["within10"]), pct(st_b["within25"])],
                     ["this release", st_n["scored"], pct(st_n["median_ape"]), pct(st_n["mean_ape"]),
                      pct(st_n["within10"]), pct(st_n["within25"])]], ["l", "r", "r", "r", "r", "r"])
    whole = [r for r in rows if r.metric in ("time_to_train_min", "gpu_hours")]
    if whole:
        md += ["", "### Whole-run metrics", ""]
        md += grouped_table(whole, lambda r: f"{r.metric} · {short(r['model'], 48)}", "metric · model")
    return md


FAMILY_PATTERNS = [  # model column -> family, MoE and hybrid-MoE families first
    ("DeepSeek-V3", r"^DeepSeek-V3"), ("DeepSeek-V4", r"^DeepSeek-V4"), ("Kimi-K2", r"^Kimi-K2"),
    ("Qwen3 MoE", r"^Qwen3-\d+B-A\d+B"), ("GPT-OSS", r"^GPT-OSS"), ("Mixtral", r"^Mixtral"),
    ("Llama 4", r"^Llama-4"), ("Nemotron-3 (hybrid MoE)", r"^Nemotron-3"),
]


def family_of(model):
    for name, pattern in FAMILY_PATTERNS:
        if re.search(pattern, model):
            return name
    return None


def platform_of(gpu):
    m = re.search(r"\b(GB300|GB200|B300|B200|H200|H100|A100)\b", gpu)
    return m.group(1) if m else gpu


def family_section(rows):
    """MoE families by platform (in-sample), and leave-one-family-out beside in-sample."""
    primary = [r for r in rows if r.metric in PRIMARY and family_of(r["model"])]
    md = ["## MoE and hybrid-MoE families", "",
          "Primary metrics, by model family and platform (GPU), in-sample (the calibration saw these rows).", ""]
    md += grouped_table(primary, lambda r: f"{family_of(r['model'])} · {platform_of(r['gpu'])}", "family · platform")
    try:
        with open("validation/holdout_by_family.csv", newline="", encoding="utf-8") as f:
            held = list(csv.DictReader(f))
    except FileNotFoundError:
        return md
    md += ["", "Leave-one-family-out (`validation/holdout.py`): the calibration refitted without the family's "
           "rows (`clustertwin calibrate --exclude-family RE --holdout none --from-prior`: every constant of "
           "fit.yaml refitted from its prior), then the family predicted with those constants. Median APE over "
           "its ok rows.", ""]
    md += table(["family", "rows", "in-sample median APE", "held-out median APE", "held-out mean APE"],
                [[h["family"], h["rows"], h["in_sample_median_ape"] + "%", h["held_out_median_ape"] + "%",
                  h["held_out_mean_ape"] + "%"] for h in held], ["l", "r", "r", "r", "r"])
    return md


def spearman(xs, ys):
    """Spearman rank correlation with average ranks for ties."""
    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r
    rx, ry = ranks(xs), ranks(ys)
    mx, my = statistics.mean(rx), statistics.mean(ry)
    num_ = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    den = math.sqrt(sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry))
    return num_ / den if den > 0 else float("nan")


LAYOUT_COLUMNS = ("tp", "pp", "vp", "cp", "ep", "micro_batch", "global_batch", "precision", "recompute", "fsdp_or_zero")


def release_of(r):
    """The software release a row was measured with (container version in the notes), '' if none."""
    m = re.search(r"(?:container|NeMo|Framework) (\d\d\.\d\d(?:\.\d\d)?)", r["notes"])
    return m.group(1) if m else ""


def workload_of(r):
    m = re.search(r"workload=([^;]+)", r["notes"])
    return m.group(1).strip().lower() if m else ""


def ranking_groups(rows, same_release):
    """Tokens/s rows with several measured layouts of one model on one GPU type and count at one sequence
    length, per source release and workload (same_release) or pooled over releases (the later row of a layout
    published twice kept)."""
    groups = collections.defaultdict(dict)
    for r in rows:
        if r.metric != "tokens_per_sec_per_gpu" or r["status"] != "ok":
            continue
        key = (r["model"], r["gpu"], r["num_gpus"], r["seq_len"])
        if same_release:
            key += (short(r["source"], 40), release_of(r), workload_of(r))
        groups[key][tuple(r[c] for c in LAYOUT_COLUMNS)] = r
    out = []
    for key, by_layout in sorted(groups.items()):
        if len(by_layout) < 2:
            continue
        rs = list(by_layout.values())
        pred = [num(r["predicted_value"]) for r in rs]
        meas = [num(r["value"]) for r in rs]
        pick = meas[max(range(len(rs)), key=lambda i: pred[i])]
        rho = spearman(pred, meas) if len(rs) >= 3 else float("nan")
        out.append((key, len(rs), rho, pick / max(meas) - 1))
    return out


def ranking_summary(groups):
    rhos = [g[2] for g in groups if not math.isnan(g[2])]
    picks = sum(g[3] >= -0.05 for g in groups)
    mean = f"{statistics.mean(rhos):.2f}" if rhos else "-"
    return f"mean Spearman {mean} over {len(rhos)} groups of three or more layouts; pick within 5% of the best in {picks} of {len(groups)} groups"


def layout_ranking_section(rows):
    """Does the simulator rank measured layouts like the measurements, and is its pick within 5% of the best?"""
    same, pooled = ranking_groups(rows, True), ranking_groups(rows, False)
    md = ["## Layout ranking", "",
          "Groups of one model on one GPU type and count, at one sequence length, with at least two different measured "
          "layouts (tokens/s/GPU rows predicted ok), measured with one software release (the container version in the "
          "row's notes) and one workload (pre-training, SFT, LoRA). Spearman rank correlation of predicted vs measured "
          "throughput (groups of three or more layouts), and whether the layout the simulator ranks first is within 5% "
          "of the best measured one.", "",
          f"- Same release: {ranking_summary(same)}.",
          f"- Pooled over releases and workloads (a layout published more than once: its later row): {ranking_summary(pooled)}. "
          "Pooling compares software versions as much as layouts: one configuration measured in two container versions "
          "differs by up to 1.8x.", ""]
    table_rows = [[cell(k[0]), cell(k[1]), k[2], k[3], cell(k[4]), k[5] or "-", k[6] or "-", str(n),
                   "-" if math.isnan(rho) else f"{rho:.2f}", f"{100 * d:.1f}%", "yes" if d >= -0.05 else "no"]
                  for k, n, rho, d in same]
    md += table(["model", "gpu", "GPUs", "seq", "source", "release", "workload", "layouts", "Spearman", "pick vs best",
                 "within 5%"], table_rows)
    return md


HELDOUT = "validation/heldout_training.csv"   # `clustertwin calibrate --holdout source --predictions`
FIT_REPORT = "data/calibration/fit_report.json"


def median_ape(pairs):
    e = sorted(abs(p / m - 1) for p, m in pairs)
    return statistics.median(e) * 100 if e else float("nan")


def cross_validated_section():
    """Leave-one-source-out error beside in-sample, overall and by source, GPU generation and model class."""
    try:
        held = list(csv.DictReader(open(HELDOUT, newline="", encoding="utf-8")))
        fit = json.load(open(FIT_REPORT, encoding="utf-8"))
    except FileNotFoundError:
        return []
    held = [h for h in held if h["predicted_held_out"] and h["metric"] in PRIMARY + ("tflops_per_gpu", "mfu")]

    def row(label, hs):
        ins = [(float(h["predicted_fitted"]), float(h["value"])) for h in hs]
        out = [(float(h["predicted_held_out"]), float(h["value"])) for h in hs]
        w25 = sum(abs(p / m - 1) <= 0.25 for p, m in out) / len(out) * 100
        return [label, str(len(hs)), f"{median_ape(ins):.1f}%", f"{median_ape(out):.1f}%", f"{w25:.0f}%"]

    def grouped(key):
        groups = collections.defaultdict(list)
        for h in held:
            groups[key(h)].append(h)
        return [row(k, v) for k, v in sorted(groups.items(), key=lambda kv: -len(kv[1]))]

    hdr = ["group", "rows", "in-sample median APE", "leave-one-source-out median APE", "held-out within 25%"]
    al = ["l", "r", "r", "r", "r"]
    md = ["## Cross-validated error (the headline)", "",
          "`clustertwin calibrate --holdout source --from-prior` refits every constant of "
          "`data/calibration/fit.yaml` without each source, starting from round priors, and predicts that "
          "source with the refitted constants: the error a new cluster's runs should expect. In-sample is the "
          f"fit on every source (the shipped constants). Rate metrics (tokens/s, iteration time, TFLOP/s, MFU); "
          f"input `{HELDOUT}`.", ""]
    md += table(hdr, [row("all", held)], al)
    md += ["", "By GPU generation:", ""] + table(hdr, grouped(lambda h: h["generation"]), al)
    md += ["", "By model class:", ""] + table(hdr, grouped(lambda h: h["model_class"]), al)
    md += ["", "By source:", ""] + table(hdr, grouped(lambda h: short(h["source"])), al)
    rng = fit.get("ranges", {})
    md += ["", "### Ranges", "",
           f"Every `train`, `compare`, `plan`, `serve` and `serve-plan` figure carries an "
           f"{rng.get('nominal_coverage', 0.8) * 100:.0f}% range drawn "
           "from the held-out errors of comparable measured runs (`data/calibration/residuals.csv`: same model "
           "class, stack, GPU generation and precision class, the last dropped first while fewer than 20 runs match), "
           "widened by a factor fitted so that held-out sources are covered. Coverage below is nested: each "
           "source is scored with ranges built and widened without it.", ""]
    md += table(["domain", "runs", "sources", "width factor", "leave-one-source-out coverage of the 80% range"],
                [[d, str(v["runs"]), str(v["sources"]), f"{v['width_scale']:.2f}",
                  f"{v['leave_one_source_out_coverage'] * 100:.1f}%"]
                 for d, v in rng.items() if isinstance(v, dict)], ["l", "r", "r", "r", "r"])
    return md + [""]


def drift_section(rows):
    """Same configuration measured under several software releases: the spread a container upgrade moves."""
    groups = collections.defaultdict(list)
    for r in rows:
        if r.metric not in PRIMARY or not num(r["value"]):
            continue
        key = (r["model"], r["gpu"], r["num_gpus"], r["tp"], r["pp"], r["ep"], r["precision"], r["global_batch"], r.metric)
        groups[key].append(r)
    out = []
    for key, rs in groups.items():
        releases = {}
        for r in rs:
            if release_of(r):
                releases.setdefault(release_of(r), []).append(num(r["value"]))
        if len(releases) < 2:
            continue
        vals = {k: statistics.fmean(v) for k, v in releases.items()}
        lo, hi = min(vals.values()), max(vals.values())
        out.append((hi / lo, key, vals))
    out.sort(key=lambda t: -t[0])
    md = ["## Version drift", "",
          "Configurations measured under several software releases (same model, GPU, GPU count, layout, "
          f"precision, batch and metric): {len(out)} of them. The spread is what the software stack alone moves; "
          "the twin's constants are one per stack, so this spread bounds how closely any single fit can follow "
          "every release. A release can get its own constants: a profile with `base` and `stack_versions` in "
          "`data/calibration/profiles.yaml` is used for that release's runs and by `--profile NAME@RELEASE`; "
          "none is shipped, since no release here has enough runs of its own to fit one honestly.", ""]
    if out:
        spreads = sorted(t[0] for t in out)
        md += [f"Median max/min ratio across releases {statistics.median(spreads):.2f}x, largest {spreads[-1]:.2f}x.", ""]
        md += table(["model", "gpu", "GPUs", "precision", "metric", "releases (value)", "max/min"],
                    [[k[0], k[1], k[2], k[6], k[8], "; ".join(f"{rel}: {v:.4g}" for rel, v in sorted(vals.items())),
                      f"{ratio:.2f}x"] for ratio, k, vals in out[:15]], ["l", "l", "r", "l", "l", "l", "r"])
    return md + [""]


def render(rows, pred_path, baseline=None):
    metrics = collections.Counter(r.metric for r in rows)
    md = ["# clustertwin training validation report", "",
          f"Produced by `{VALIDATE_CMD}` followed by `{RENDER_CMD}` (or `make validate`, which runs "
          f"`validation/run.sh`); input `{pred_path}`, {len(rows)} rows. The simulator builds each case "
          "only from the configuration columns (model architecture, GPU, parallel layout, batch, "
          "precision, recompute, and `unit` to pick the FLOP/peak convention); predictions never read "
          "`value` or `source`, which are used only here to score them, and of `notes` only the software "
          "release (container version), which picks a release profile where profiles.yaml describes one "
          "(none is shipped, so today no prediction depends on `notes`).", "",
          "Rows by metric: " + ", ".join(f"`{m}` {n}" for m, n in sorted(metrics.items())) + ".", ""]

    md += cross_validated_section()
    acc_md, acc_lines = acceptance_section(rows)
    md += acc_md

    primary = [r for r in rows if r.metric in PRIMARY]
    dense = [r for r in primary if not r.moe]
    md += ["## By source", "",
           "Primary metrics (tokens/s/GPU and iteration time), dense and MoE.", ""]
    md += grouped_table(primary, lambda r: short(r["source"]), "source")
    md += ["", "## By GPU type", "", "Primary metrics, dense and MoE; `gpu` column as published.", ""]
    md += grouped_table(primary, lambda r: r["gpu"], "gpu")
    md += ["", "## By source, GPU and precision class", "",
           "Primary metrics, dense and MoE. Precision class: FP4 / FP8 / 16-bit / unknown, from the "
           "free-text `precision` column.", ""]
    md += grouped_table(primary, lambda r: f"{short(r['source'], 40)} · {r['gpu']} · "
                                           f"{precision_class(r['precision'])}", "source · gpu · precision")
    md += ["", "## By model (dense)", "", "Dense rows, primary metrics.", ""]
    md += grouped_table(dense, lambda r: r["model"], "model")
    md += [""] + layout_ranking_section(rows)
    md += [""] + family_section(rows)
    md += [""] + coverage_section(rows, baseline)
    md += [""] + drift_section(rows)
    md += [""] + worst_section(rows) + [""] + not_predicted_section(rows) + [""]
    return "\n".join(md), acc_lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pred", required=True, help="CSV written by `clustertwin validate training`")
    ap.add_argument("--out", required=True, help="Markdown report to write")
    ap.add_argument("--baseline", help="Predictions of a previous release on the same cases, for the coverage table")
    args = ap.parse_args()

    with open(args.pred, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"metric", "value", "predicted_value", "status", "reason"} - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{args.pred}: missing column(s) {', '.join(sorted(missing))}")
        rows = [Row(d) for d in reader]

    baseline = None
    if args.baseline:
        with open(args.baseline, newline="", encoding="utf-8") as f:
            baseline = [Row(d) for d in csv.DictReader(f)]
        if len(baseline) != len(rows):
            raise SystemExit(f"{args.baseline}: {len(baseline)} rows, {args.pred} has {len(rows)}: not the same cases")
    text, lines = render(rows, args.pred, baseline)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    for line in lines:
        print(line)
    print(f"report written to {args.out}")


if __name__ == "__main__":
    main()

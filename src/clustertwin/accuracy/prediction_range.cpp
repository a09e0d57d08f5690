#include "clustertwin/accuracy/prediction_range.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>

#include "clustertwin/core/csv.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"

namespace ct {

ComparableClass comparable_class(std::string domain, const GpuSpec& gpu, const ModelSpec& model, Precision precision,
                                 std::string stack) {
  const bool hybrid = model.mamba.heads > 0;
  const std::string model_class = hybrid ? "hybrid" : model.moe.enabled() ? "moe" : "dense";
  std::string precision_class = "bf16";
  if (precision == Precision::NVFP4) precision_class = "fp4";
  else if (precision == Precision::FP8 || precision == Precision::FP8Block || precision == Precision::MXFP8)
    precision_class = "fp8";
  return {std::move(domain), gpu.arch, model_class, precision_class, std::move(stack)};
}

namespace {

const char* const kColumns[] = {"domain", "generation", "model_class", "precision_class", "stack", "source", "log_error"};

const std::string* key(const ComparableClass& c, ComparableKey k) {
  switch (k) {
    case ComparableKey::Generation: return &c.generation;
    case ComparableKey::ModelClass: return &c.model_class;
    case ComparableKey::PrecisionClass: return &c.precision_class;
    case ComparableKey::Stack: return &c.stack;
  }
  return &c.stack;
}

const char* key_name(ComparableKey k) {
  switch (k) {
    case ComparableKey::Generation: return "GPU generation";
    case ComparableKey::ModelClass: return "model class";
    case ComparableKey::PrecisionClass: return "precision";
    case ComparableKey::Stack: return "stack";
  }
  return "?";
}

std::optional<ComparableKey> parse_key(const std::string& s) {
  if (s == "generation") return ComparableKey::Generation;
  if (s == "model_class") return ComparableKey::ModelClass;
  if (s == "precision_class") return ComparableKey::PrecisionClass;
  if (s == "stack") return ComparableKey::Stack;
  return std::nullopt;
}

// The first `keys` keys of the policy's order must match.
bool matches(const ComparableClass& a, const ComparableClass& b, const RangePolicy& p, std::size_t keys) {
  if (a.domain != b.domain) return false;
  for (std::size_t i = 0; i < keys; ++i)
    if (*key(a, p.order[i]) != *key(b, p.order[i])) return false;
  return true;
}

std::string basis(const RangePolicy& p, std::size_t keys) {
  if (keys == 0) return "same domain only";
  std::string s = "same ";
  for (std::size_t i = 0; i < keys; ++i) s += (i == 0 ? "" : i + 1 == keys ? " and " : ", ") + std::string(key_name(p.order[i]));
  return s;
}

}  // namespace

std::string PredictionRange::describe() const {
  if (!available()) return "no range: too few comparable measured runs";
  return fmt::format("from the held-out errors of {} comparable measured runs: {}", runs, basis);
}

HeldOutErrors HeldOutErrors::load(const std::string& data_dir) {
  const std::string file = data_dir + "/calibration/residuals.csv", policy_file = data_dir + "/calibration/ranges.yaml";
  RangePolicy policy;
  if (std::filesystem::exists(policy_file)) {
    const YAML::Node root = load_yaml_file(policy_file);
    policy.coverage = yaml_number(root, "coverage", policy_file, "");
    policy.min_runs = static_cast<int>(yaml_number(root, "min_runs", policy_file, ""));
    if (!(policy.coverage > 0 && policy.coverage < 1)) throw InputError(policy_file, "coverage", "must lie between 0 and 1");
    if (policy.min_runs < 1) throw InputError(policy_file, "min_runs", "must be at least 1");
    if (const YAML::Node order = root["fallback_order"]) {
      if (!order.IsSequence()) throw InputError(policy_file, "fallback_order", "must list the keys, most important first");
      policy.order.clear();
      for (const auto& k : order) {
        const auto parsed = parse_key(k.as<std::string>());
        if (!parsed)
          throw InputError(policy_file, "fallback_order",
                           "unknown key '" + k.as<std::string>() + "' (generation, model_class, precision_class, stack)");
        if (std::find(policy.order.begin(), policy.order.end(), *parsed) != policy.order.end())
          throw InputError(policy_file, "fallback_order", "lists '" + k.as<std::string>() + "' twice");
        policy.order.push_back(*parsed);
      }
    }
    if (const YAML::Node w = root["width_scale"]) {
      if (!w.IsMap()) throw InputError(policy_file, "width_scale", "must map a domain to a factor");
      for (const auto& kv : w) {
        const std::string domain = kv.first.as<std::string>();
        const double f = yaml_number(w, domain, policy_file, "width_scale");
        if (!(f >= 1 && f <= 10)) throw InputError(policy_file, "width_scale." + domain, "must lie between 1 and 10");
        policy.width_scale[domain] = f;
      }
    }
  }
  std::vector<HeldOutError> errors;
  if (!std::filesystem::exists(file)) return {errors, policy};
  const CsvTable t = read_csv_file(file);
  for (const char* c : kColumns)
    if (t.column(c) < 0) throw InputError(file, c, "required column missing");
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const CsvRowView row(t, r);
    HeldOutError e{{row.str("domain"), row.str("generation"), row.str("model_class"), row.str("precision_class"),
                    row.str("stack")},
                   row.str("source"), 0};
    try {
      e.log_error = std::stod(row.str("log_error"));
    } catch (...) {
      throw InputError(file, fmt::format("line {}: log_error", t.row_lines[r]), "is not a number");
    }
    if (!std::isfinite(e.log_error) || std::abs(e.log_error) > 10)
      throw InputError(file, fmt::format("line {}: log_error", t.row_lines[r]), "must be a finite log ratio within +-10");
    errors.push_back(std::move(e));
  }
  return {std::move(errors), policy};
}

PredictionRange HeldOutErrors::range(const ComparableClass& c, const std::string& exclude_source, double scale) const {
  if (scale <= 0) scale = policy_.scale(c.domain);
  const double tail = (1.0 - policy_.coverage) / 2.0;
  for (int keys = static_cast<int>(policy_.order.size()); keys >= 0; --keys) {
    std::vector<double> e;
    for (const HeldOutError& x : errors_)
      if (matches(x.cls, c, policy_, static_cast<std::size_t>(keys)) && (exclude_source.empty() || x.source != exclude_source))
        e.push_back(x.log_error);
    const int n = static_cast<int>(e.size());
    const int k = static_cast<int>(std::floor(tail * (n + 1) + 1e-9));  // 0.1 * 20 is 1.999.. in binary
    // The most specific class with enough runs; the broadest one as long as any interval exists.
    if (k < 1 || (n < policy_.min_runs && keys > 0)) continue;
    std::sort(e.begin(), e.end());
    PredictionRange r;
    r.runs = n;
    r.coverage = policy_.coverage;
    r.basis = basis(policy_, static_cast<std::size_t>(keys));
    if (keys < static_cast<int>(policy_.order.size()))
      r.basis += ": fewer than " + std::to_string(policy_.min_runs) + " runs match more closely";
    // log_error > 0: predicted too fast, so the measured rate is predicted * exp(-log_error).
    const double lo = e[static_cast<std::size_t>(k - 1)], hi = e[static_cast<std::size_t>(n - k)];
    const double centre = (lo + hi) / 2, half = (hi - lo) / 2 * scale;
    r.fast_factor = std::exp(-(centre - half));
    r.slow_factor = std::exp(-(centre + half));
    return r;
  }
  return {};
}

std::string HeldOutErrors::csv() const {
  std::string out = csv_line(std::vector<std::string>(std::begin(kColumns), std::end(kColumns)));
  for (const HeldOutError& e : errors_)
    out += csv_line({e.cls.domain, e.cls.generation, e.cls.model_class, e.cls.precision_class, e.cls.stack, e.source,
                     fmt::format("{:.6g}", e.log_error)});
  return out;
}

namespace {

// Each scored error with its range built without its own source, at width_scale 1 (log-error bounds).
struct Scored {
  const HeldOutError* e;
  double lo, hi;
  bool inside(double scale) const {
    const double centre = (lo + hi) / 2, half = (hi - lo) / 2 * scale;
    return e->log_error >= centre - half && e->log_error <= centre + half;
  }
};

std::vector<Scored> score(const HeldOutErrors& e, const std::string& domain) {
  std::vector<Scored> out;
  for (const HeldOutError& x : e.errors()) {
    if (x.cls.domain != domain) continue;
    const PredictionRange r = e.range(x.cls, x.source, 1.0);
    if (r.available()) out.push_back({&x, -std::log(r.fast_factor), -std::log(r.slow_factor)});
  }
  return out;
}

// The least scale (steps of 0.05) at which the `keep` errors reach the coverage.
double least_scale(const std::vector<Scored>& s, double coverage, const std::function<bool(const Scored&)>& keep) {
  std::vector<double> needed;  // per error: the scale at which it falls inside
  for (const Scored& x : s) {
    if (!keep(x)) continue;
    const double centre = (x.lo + x.hi) / 2, half = (x.hi - x.lo) / 2;
    const double d = std::abs(x.e->log_error - centre);
    needed.push_back(half > 0 ? std::max(1.0, d / half) : (d == 0 ? 1.0 : 10.0));
  }
  if (needed.empty()) return 1.0;
  std::sort(needed.begin(), needed.end());
  const std::size_t k = static_cast<std::size_t>(std::ceil(coverage * static_cast<double>(needed.size()))) - 1;
  return std::min(10.0, std::ceil(needed[std::min(k, needed.size() - 1)] * 20 - 1e-9) / 20);
}

}  // namespace

double leave_one_source_out_coverage(const HeldOutErrors& e, const std::string& domain, double scale) {
  const std::vector<Scored> s = score(e, domain);
  const auto inside = std::count_if(s.begin(), s.end(), [&](const Scored& x) { return x.inside(scale); });
  return s.empty() ? 0.0 : static_cast<double>(inside) / static_cast<double>(s.size());
}

WidthFit fit_width_scale(const HeldOutErrors& e, const std::string& domain) {
  const std::vector<Scored> s = score(e, domain);
  std::set<std::string> sources;
  for (const Scored& x : s) sources.insert(x.e->source);
  WidthFit f;
  if (sources.size() < 2) return f;
  const double coverage = e.policy().coverage;
  f.scale = least_scale(s, coverage, [](const Scored&) { return true; });
  int inside = 0;
  for (const std::string& src : sources) {
    const double scale = least_scale(s, coverage, [&](const Scored& x) { return x.e->source != src; });
    for (const Scored& x : s)
      if (x.e->source == src && x.inside(scale)) ++inside;
  }
  f.runs = static_cast<int>(s.size());
  f.sources = static_cast<int>(sources.size());
  f.nested_coverage = static_cast<double>(inside) / f.runs;
  return f;
}

}  // namespace ct

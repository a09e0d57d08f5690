#pragma once
// How far to trust a figure. The twin's held-out errors on measured runs (written by `clustertwin
// calibrate` to data/calibration/residuals.csv) give every prediction a range: the spread of those
// errors on the runs most comparable to it (same model class, stack, GPU generation and precision
// class: RangePolicy::order), broader classes where few runs are comparable. The interval is
// distribution-free: between the k-th smallest and k-th largest of n errors, k = floor(tail (n + 1)),
// a new error of the same kind falls with probability (n + 1 - 2k) / (n + 1) >= the coverage asked
// for. Errors are not exchangeable across sources, though (a new cluster's errors share its software
// and measurement method), so the interval is widened about its centre by a per-domain width_scale,
// chosen by `calibrate` as the least that covers the asked share of held-out sources' runs (and
// checked by nesting: each source scored with the scale fitted without it).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "clustertwin/hw/hardware.hpp"
#include "clustertwin/hw/precision.hpp"
#include "clustertwin/model/model_spec.hpp"

namespace ct {

// What makes a measured run comparable to a prediction (RangePolicy::order says which keys matter most).
struct ComparableClass {
  std::string domain;           // training | serving
  std::string generation;       // GPU architecture (data/hardware/gpus.yaml `arch`)
  std::string model_class;      // dense | moe | hybrid (Mamba layers)
  std::string precision_class;  // bf16 | fp8 | fp4
  std::string stack;            // training: software profile; serving: scenario (offline | server | interactive)
};
ComparableClass comparable_class(std::string domain, const GpuSpec& gpu, const ModelSpec& model, Precision precision,
                                 std::string stack);

// One held-out prediction of a measured run. log_error = ln(predicted rate / measured rate): above 0
// the twin was too fast (for a time metric, measured time / predicted time).
struct HeldOutError {
  ComparableClass cls;
  std::string source;
  double log_error = 0;
};

struct PredictionRange {
  int runs = 0;        // held-out errors behind the range; 0: no range (too few comparable runs)
  std::string basis;   // "same model class, stack, GPU generation and precision", or what was dropped
  double coverage = 0; // the nominal coverage (0.8)
  // Measured rate / predicted rate at the slow and the fast end of the range.
  double slow_factor = 1, fast_factor = 1;

  bool available() const { return runs > 0; }
  // The range of a rate-like figure (tokens/s, throughput) and of a time-like one (step time, days,
  // energy, cost, GPUs needed), which scales inversely.
  std::pair<double, double> of_rate(double predicted) const { return {predicted * slow_factor, predicted * fast_factor}; }
  std::pair<double, double> of_time(double predicted) const { return {predicted / fast_factor, predicted / slow_factor}; }
  // "from the held-out errors of 143 comparable measured runs: same GPU generation, model class, ..."
  std::string describe() const;
};

enum class ComparableKey { Generation, ModelClass, PrecisionClass, Stack };

struct RangePolicy {
  double coverage = 0.8;
  int min_runs = 20;  // a class with fewer held-out errors falls back to a broader one
  std::map<std::string, double> width_scale;  // by domain; absent: 1
  // Keys a comparable run must share, most important first; falling back drops the last one first.
  std::vector<ComparableKey> order{ComparableKey::ModelClass, ComparableKey::Stack, ComparableKey::Generation,
                                   ComparableKey::PrecisionClass};
  double scale(const std::string& domain) const {
    const auto it = width_scale.find(domain);
    return it == width_scale.end() ? 1.0 : it->second;
  }
};

class HeldOutErrors {
 public:
  // data/calibration/residuals.csv and ranges.yaml of a data folder; a folder without them gives
  // no ranges (PredictionRange::available() false), never an error.
  static HeldOutErrors load(const std::string& data_dir);
  HeldOutErrors() = default;
  HeldOutErrors(std::vector<HeldOutError> errors, RangePolicy policy) : errors_(std::move(errors)), policy_(policy) {}

  // The range of a prediction of class `c`; errors of `exclude_source` are left out (to score the
  // ranges themselves on held-out sources); `scale` overrides the policy's width_scale.
  PredictionRange range(const ComparableClass& c, const std::string& exclude_source = {}, double scale = 0) const;
  const std::vector<HeldOutError>& errors() const { return errors_; }
  const RangePolicy& policy() const { return policy_; }
  // CSV text of the errors (the columns load() reads).
  std::string csv() const;

 private:
  std::vector<HeldOutError> errors_;
  RangePolicy policy_;
};

// Share of a domain's errors whose measurement falls inside the range built without its own source.
double leave_one_source_out_coverage(const HeldOutErrors& e, const std::string& domain, double scale);

struct WidthFit {
  double scale = 1;             // the least width_scale covering the nominal share of held-out runs
  double nested_coverage = 0;   // each source's runs scored with the scale fitted without that source
  int runs = 0, sources = 0;
};
// Fits a domain's width_scale on its errors; runs 0 when fewer than two sources have ranges.
WidthFit fit_width_scale(const HeldOutErrors& e, const std::string& domain);

}  // namespace ct

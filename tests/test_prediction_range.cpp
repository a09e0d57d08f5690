// Ranges from held-out errors (accuracy/prediction_range.hpp) and the calibration-file edits that
// `clustertwin calibrate` fits through (calibrate/fit_spec.hpp). Expected values are hand-derived
// order statistics and text edits.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "clustertwin/accuracy/prediction_range.hpp"
#include "clustertwin/calibrate/fit_spec.hpp"
#include "clustertwin/calibrate/fitter.hpp"
#include "clustertwin/config/calibration_loader.hpp"

namespace ct {
namespace {
namespace fs = std::filesystem;

const ComparableClass kH100Dense{"training", "hopper", "dense", "bf16", "megatron-core"};

std::vector<HeldOutError> grid(const ComparableClass& c, int n, double step, double centre, const std::string& source) {
  std::vector<HeldOutError> e;
  for (int i = 0; i < n; ++i) e.push_back({c, source, centre + step * (i - (n - 1) / 2.0)});
  return e;
}

TEST(PredictionRange, OrderStatisticsOfTheComparableErrors) {
  // 19 errors -0.09 .. +0.09: k = floor(0.1 * 20) = 2, so the 2nd smallest and 2nd largest, -0.08 and +0.08.
  const HeldOutErrors e(grid(kH100Dense, 19, 0.01, 0.0, "a"), {0.8, 10, {}});
  const PredictionRange r = e.range(kH100Dense);
  ASSERT_TRUE(r.available());
  EXPECT_EQ(r.runs, 19);
  EXPECT_NEAR(r.fast_factor, std::exp(0.08), 1e-12);
  EXPECT_NEAR(r.slow_factor, std::exp(-0.08), 1e-12);
  const auto [lo, hi] = r.of_time(10.0);  // a time: measured = predicted * exp(log_error)
  EXPECT_NEAR(lo, 10.0 * std::exp(-0.08), 1e-9);
  EXPECT_NEAR(hi, 10.0 * std::exp(0.08), 1e-9);
  EXPECT_NE(r.describe().find("19 comparable measured runs"), std::string::npos) << r.describe();
}

TEST(PredictionRange, PredictedTooFastMeansMeasuredRatesBelow) {
  // Every error +0.1 (twin 10.5% too fast): the measured rate is predicted * exp(-0.1).
  std::vector<HeldOutError> errs(30, HeldOutError{kH100Dense, "a", 0.1});
  const PredictionRange r = HeldOutErrors(errs, {0.8, 20, {}}).range(kH100Dense);
  const auto [lo, hi] = r.of_rate(1000.0);
  EXPECT_NEAR(lo, 1000.0 * std::exp(-0.1), 1e-9);
  EXPECT_NEAR(hi, 1000.0 * std::exp(-0.1), 1e-9);
}

TEST(PredictionRange, FewComparableRunsFallBackToABroaderClass) {
  std::vector<HeldOutError> errs = grid(kH100Dense, 5, 0.01, 0.0, "a");
  ComparableClass moe = kH100Dense;
  moe.model_class = "moe";
  const auto more = grid(moe, 30, 0.02, 0.0, "b");
  errs.insert(errs.end(), more.begin(), more.end());
  // The default order keeps the model class longest: dense runs are never ranged by MoE runs
  // while any run is left in the domain, so the 5 dense and 30 MoE runs meet only there.
  const PredictionRange r = HeldOutErrors(errs, {0.8, 20, {}}).range(kH100Dense);
  EXPECT_EQ(r.runs, 35);
  EXPECT_EQ(r.basis.rfind("same domain only:", 0), 0u) << r.basis;
  // FP8 runs of the same model class, stack and generation: only the precision (the last key) is dropped.
  ComparableClass fp8 = kH100Dense;
  fp8.precision_class = "fp8";
  std::vector<HeldOutError> near = grid(kH100Dense, 5, 0.01, 0.0, "a");
  const auto fp8_runs = grid(fp8, 30, 0.02, 0.0, "b");
  near.insert(near.end(), fp8_runs.begin(), fp8_runs.end());
  near.insert(near.end(), more.begin(), more.end());
  const PredictionRange r8 = HeldOutErrors(near, {0.8, 20, {}}).range(kH100Dense);
  EXPECT_EQ(r8.runs, 35);
  EXPECT_EQ(r8.basis.rfind("same model class, stack and GPU generation:", 0), 0u) << r8.basis;
  // An order from ranges.yaml that ranks the generation first groups the dense and MoE runs of one GPU.
  RangePolicy by_gpu{0.8, 20, {}};
  by_gpu.order = {ComparableKey::Generation, ComparableKey::ModelClass};
  const PredictionRange rg = HeldOutErrors(errs, by_gpu).range(kH100Dense);
  EXPECT_EQ(rg.runs, 35);
  EXPECT_EQ(rg.basis.rfind("same GPU generation:", 0), 0u) << rg.basis;
  EXPECT_FALSE(HeldOutErrors(grid(kH100Dense, 8, 0.01, 0, "a"), {0.8, 20, {}}).range(kH100Dense).available())
      << "8 errors: k = floor(0.1 * 9) = 0, no interval";
}

TEST(PredictionRange, WidthScaleWidensAboutTheCentre) {
  RangePolicy p{0.8, 10, {{"training", 2.0}}};
  const PredictionRange r = HeldOutErrors(grid(kH100Dense, 19, 0.01, 0.2, "a"), p).range(kH100Dense);
  // Unscaled log bounds 0.12 .. 0.28 (centre 0.2, half 0.08); doubled: 0.04 .. 0.36.
  EXPECT_NEAR(-std::log(r.fast_factor), 0.04, 1e-12);
  EXPECT_NEAR(-std::log(r.slow_factor), 0.36, 1e-12);
}

TEST(PredictionRange, WidthFitReachesTheNominalCoverageOnHeldOutSources) {
  // Ten sources whose errors share one distribution: no widening needed beyond the order-statistic
  // interval, and each source held out is covered about 80% of the time.
  std::vector<HeldOutError> errs;
  for (int s = 0; s < 10; ++s)
    for (int i = 0; i < 30; ++i) errs.push_back({kH100Dense, "src" + std::to_string(s), 0.01 * ((i * 7 + s * 3) % 30) - 0.145});
  const HeldOutErrors e(errs, {0.8, 20, {}});
  const WidthFit w = fit_width_scale(e, "training");
  EXPECT_EQ(w.sources, 10);
  EXPECT_LE(w.scale, 1.15);
  EXPECT_GE(w.nested_coverage, 0.72);
  EXPECT_LE(w.nested_coverage, 0.88);
  // Sources offset from one another (a spread between sources larger than within them): the fitted
  // widening is the least, in steps of 0.05, whose ranges cover 80% of the held-out sources' runs.
  for (auto& x : errs) x.log_error += 0.1 * (x.source.back() - '0');
  const HeldOutErrors offset(errs, {0.8, 20, {}});
  const WidthFit wide = fit_width_scale(offset, "training");
  EXPECT_GT(wide.scale, 1.0);
  EXPECT_GE(leave_one_source_out_coverage(offset, "training", wide.scale), 0.8);
  EXPECT_LT(leave_one_source_out_coverage(offset, "training", wide.scale - 0.05), 0.8);
}

TEST(PredictionRange, LogErrorSignIsPredictedTooFast) {
  EXPECT_NEAR(log_error("tokens_per_sec_per_gpu", 200, 100), std::log(2.0), 1e-12);
  EXPECT_NEAR(log_error("iteration_time_s", 1.0, 2.0), std::log(2.0), 1e-12);  // step predicted half as long
}

struct ScratchCalibration {
  fs::path dir = fs::temp_directory_path() / ("clustertwin-fitspec-" + std::to_string(::getpid()));
  ScratchCalibration() {
    fs::remove_all(dir);
    fs::copy(std::string(CLUSTERTWIN_DATA_DIR) + "/calibration", dir, fs::copy_options::recursive);
  }
  ~ScratchCalibration() { fs::remove_all(dir); }
};

std::vector<FitParameter>::const_iterator find_parameter(const FitSpec& spec, const std::string& name) {
  return std::find_if(spec.parameters.begin(), spec.parameters.end(), [&](const FitParameter& p) { return p.name == name; });
}

TEST(FitSpec, BlockFieldEditsEveryBlockOfTheGroupOnly) {
  ScratchCalibration s;
  const FitSpec spec = load_fit_spec((s.dir / "fit.yaml").string());
  const auto hopper = find_parameter(spec, "sustained_tensor_fraction[hopper]");
  ASSERT_NE(hopper, spec.parameters.end());
  const double a100_before = load_calibration(s.dir.string()).device("a100-sxm-80gb").sustained_tensor_fraction;
  write_parameter(*hopper, s.dir.string(), 0.777);
  EXPECT_DOUBLE_EQ(read_parameter(*hopper, s.dir.string()), 0.777);
  const Calibration cal = load_calibration(s.dir.string());
  for (const char* gpu : {"h100-sxm-80gb", "h100-sxm-96gb-500w", "h800-sxm-80gb", "h200-sxm-141gb"})
    EXPECT_DOUBLE_EQ(cal.device(gpu).sustained_tensor_fraction, 0.777) << gpu;
  EXPECT_DOUBLE_EQ(cal.device("a100-sxm-80gb").sustained_tensor_fraction, a100_before);
}

TEST(FitSpec, InlineScaleKeepsTheForwardBackwardRatio) {
  ScratchCalibration s;
  const FitSpec spec = load_fit_spec((s.dir / "fit.yaml").string());
  const auto flash2 = find_parameter(spec, "attention[flash2].fwd");
  ASSERT_NE(flash2, spec.parameters.end());
  const Calibration before = load_calibration(s.dir.string());
  write_parameter(*flash2, s.dir.string(), read_parameter(*flash2, s.dir.string()) / 2);
  const Calibration after = load_calibration(s.dir.string());
  for (const char* gpu : {"a100-sxm-80gb", "h100-sxm-80gb", "b200"}) {
    const auto& b = before.device(gpu).attention.at(AttentionKernel::FlashAttention2);
    const auto& a = after.device(gpu).attention.at(AttentionKernel::FlashAttention2);
    EXPECT_NEAR(a.fwd_fraction, b.fwd_fraction / 2, 0.001) << gpu;  // written to 3 significant digits
    EXPECT_NEAR(a.bwd_fraction, b.bwd_fraction / 2, 0.001) << gpu;
    EXPECT_EQ(a.fwd_fraction == b.fwd_fraction, false);
  }
  // The other kernel family is untouched.
  EXPECT_DOUBLE_EQ(after.device("h100-sxm-80gb").attention.at(AttentionKernel::Native).fwd_fraction,
                   before.device("h100-sxm-80gb").attention.at(AttentionKernel::Native).fwd_fraction);
}

}  // namespace
}  // namespace ct

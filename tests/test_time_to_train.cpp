// Whole-run projections: MLPerf time-to-train from the reference convergence points (hand
// calculations from the RCP means in data/calibration/mlperf_rcp.yaml) and pretraining GPU-hours.
#include <gtest/gtest.h>

#include <algorithm>

#include "clustertwin/core/paths.hpp"
#include "clustertwin/train/time_to_train.hpp"

using namespace ct;

namespace {

const ConvergenceBenchmark& benchmark(const std::string& id) {
  static const auto all = load_convergence_benchmarks(data_dir() + "/calibration/mlperf_rcp.yaml");
  const auto it = std::find_if(all.begin(), all.end(), [&](const ConvergenceBenchmark& b) { return b.id == id; });
  EXPECT_NE(it, all.end()) << id;
  return *it;
}

}  // namespace

TEST(TimeToTrain, RcpInterpolationFollowsTheCheckersPrunedSet) {
  const ConvergenceBenchmark& lora = benchmark("llama2_70b_lora");
  // Pruned set {8: 3178.67, 16: 4032, 128: 11264}; BS 32 (6037.33) is pruned and never used.
  EXPECT_NEAR(*sequences_to_converge(lora, 8), 3178.67, 1e-6);
  EXPECT_NEAR(*sequences_to_converge(lora, 9), 3178.67 + (4032 - 3178.67) / 8.0, 1e-6);          // 3285.33
  EXPECT_NEAR(*sequences_to_converge(lora, 64), 4032 + (64 - 16) * (11264 - 4032) / 112.0, 1e-6);  // 7131.43
  EXPECT_NEAR(*sequences_to_converge(lora, 4), 3178.67, 1e-6);  // below the smallest: that RCP
  EXPECT_FALSE(sequences_to_converge(lora, 256).has_value());  // above the largest: no RCP
  const ConvergenceBenchmark& gpt3 = benchmark("gpt3");
  EXPECT_NEAR(*sequences_to_converge(gpt3, 2688), 577536 + (2688 - 2048) * (589824 - 577536) / 1024.0, 1e-6);
}

TEST(TimeToTrain, Gpt3ProjectionByHand) {
  // GBS 2048: 577536 / 2048 = 282 steps; an evaluation every 24576 / 2048 = 12 steps -> 23 evaluations,
  // each the forward pass of 5659 sequences = 5659 / 2048 steps' worth at a third of a step's work.
  const auto t = project_time_to_train(benchmark("gpt3"), 2048, 10.0);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->steps, 282);
  EXPECT_EQ(t->evaluations, 23);
  EXPECT_DOUBLE_EQ(t->train_s, 2820.0);
  EXPECT_NEAR(t->eval_s, 23 * 5659.0 / 2048 * 10.0 / 3, 1e-9);
}

TEST(TimeToTrain, LoraSkipsTheFirstEvaluationsAndEvaluatesAtHalfAStep) {
  // GBS 8: ceil(3178.67 / 8) = 398 steps; every 384 / 8 = 48 steps -> 8 evaluations, less
  // floor(0.125 * 8 + 2) = 3 skipped; LoRA's backward has no weight gradients: forward = half a step.
  const auto t = project_time_to_train(benchmark("llama2_70b_lora"), 8, 1.0);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->steps, 398);
  EXPECT_EQ(t->evaluations, 5);
  EXPECT_NEAR(t->eval_s, 5 * 173.0 / 8 * 0.5, 1e-9);
  EXPECT_NEAR(t->total_s(), 398 + 5 * 173.0 / 8 * 0.5, 1e-9);
}

TEST(TimeToTrain, Llama405bBelowTheSmallestRcpAndRoundedEvaluationInterval) {
  // GBS 448 <= 1152: 322560 sequences -> 720 steps; ceil(46080 / 448) = 103 steps per evaluation -> 6.
  const auto t = project_time_to_train(benchmark("llama31_405b"), 448, 2.0);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->steps, 720);
  EXPECT_EQ(t->evaluations, 6);
}

TEST(TimeToTrain, PretrainingGpuHours) {
  // 3.5T tokens at 1000 tokens/s/GPU: 3.5e9 GPU-seconds = 972,222 GPU-hours.
  EXPECT_NEAR(pretraining_gpu_hours(3.5e12, 1000), 3.5e9 / 3600, 1e-3);
  EXPECT_EQ(pretraining_gpu_hours(3.5e12, 0), 0.0);
  EXPECT_DOUBLE_EQ(load_pretraining_tokens(data_dir() + "/calibration/pretraining_tokens.yaml").at("falcon-180b"), 3.5e12);
}

// A run whose layout is not published is predicted with the fastest layout under its published
// constraints: nothing a submitter could pick by hand is faster, and the constraints hold.
#include <gtest/gtest.h>

#include "clustertwin/validate/layout_search.hpp"
#include "scenario_helpers.hpp"

using namespace ct;

TEST(LayoutSearch, NoHandPickedLayoutIsFasterAndTheConstraintsHold) {
  TrainRequest r;
  r.model = "llama2-70b", r.system = "dgx-h100", r.gpus = 16, r.global_batch = 16, r.seq_len = 8192;
  r.precision = "fp8", r.recompute = "none", r.lora = true;
  const TrainScenario given = ct::testing::scenario(r);
  const auto best = simulate_fastest_layout(given, ct::testing::catalogs().calibration, false);
  ASSERT_TRUE(best.has_value());
  const ParallelLayout& b = best->scenario.layout;
  EXPECT_EQ(b.gpus, 16);
  EXPECT_EQ(b.global_batch, 16);
  EXPECT_EQ(b.seq_len, 8192);
  EXPECT_EQ(b.precision, Precision::FP8);
  EXPECT_TRUE(b.lora);
  EXPECT_TRUE(best->feasible);
  for (auto [tp, pp, cp] : {std::tuple{8, 1, 1}, {4, 1, 1}, {4, 2, 1}, {2, 1, 2}, {8, 2, 1}}) {
    TrainRequest hand = r;
    hand.tp = tp, hand.pp = pp, hand.cp = cp;
    const TrainResult res = simulate_training_step(ct::testing::scenario(hand), ct::testing::catalogs().calibration, {.keep_timeline = false});
    if (res.feasible) {
      EXPECT_LE(best->step_time_s, res.step_time_s * (1 + 1e-9)) << "TP" << tp << " PP" << pp << " CP" << cp;
    }
  }
}

TEST(LayoutSearch, APublishedMicroBatchIsKept) {
  TrainRequest r;
  r.model = "llama3-8b", r.system = "dgx-h100", r.gpus = 8, r.global_batch = 32, r.seq_len = 4096, r.micro_batch = 2;
  const auto best = simulate_fastest_layout(ct::testing::scenario(r), ct::testing::catalogs().calibration, true);
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(best->scenario.layout.micro_batch, 2);
}

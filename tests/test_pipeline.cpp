// Pipeline schedules and the step simulator on cases with known answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <fmt/format.h>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/train/pipeline_schedule.hpp"
#include "clustertwin/train/step_simulator.hpp"
#include "scenario_helpers.hpp"

using namespace ct;

TEST(Schedule, OneFOneBWarmupAndOrder) {
  // Stage 0 of 4 with 6 micro-batches: 3 warm-up forwards, then F/B alternating, then cool-down.
  const auto order = pipeline_schedule(0, 4, 1, 6);
  ASSERT_EQ(order.size(), 12u);
  const bool expected_fwd[] = {1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0};
  for (int k = 0; k < 12; ++k) EXPECT_EQ(order[k].forward, expected_fwd[k]) << k;
  // The last stage has no warm-up: F0 B0 F1 B1 ...
  const auto last = pipeline_schedule(3, 4, 1, 6);
  EXPECT_TRUE(last[0].forward);
  EXPECT_FALSE(last[1].forward);
  EXPECT_EQ(last[1].microbatch, 0);
}

TEST(Schedule, EveryPassRunsExactlyOnce) {
  for (int vp : {1, 2, 4})
    for (int st = 0; st < 4; ++st) {
      const auto order = pipeline_schedule(st, 4, vp, 8);
      int fwd = 0, bwd = 0;
      for (const auto& e : order) (e.forward ? fwd : bwd)++;
      EXPECT_EQ(fwd, 8 * vp);
      EXPECT_EQ(bwd, 8 * vp);
    }
}

TEST(Schedule, InterleavedWarmupIsMegatrons) {
  // (p - rank - 1) * 2 + (v - 1) * p forwards before the first backward.
  const auto order = pipeline_schedule(1, 4, 3, 8);
  const auto first_bwd = std::find_if(order.begin(), order.end(), [](const ScheduleEntry& e) { return !e.forward; });
  EXPECT_EQ(first_bwd - order.begin(), (4 - 1 - 1) * 2 + (3 - 1) * 4 + 1);
}

TEST(Schedule, Llama405BUnevenStages) {
  // 126 layers on 16 stages: the embedding and the loss count as a layer each, so the first and
  // last stages hold 7 layers and the others 8 (Llama 3 paper, section 3.3.2).
  const auto layers = layers_per_chunk(126, 16);
  EXPECT_EQ(layers.front(), 7);
  EXPECT_EQ(layers.back(), 7);
  for (int i = 1; i < 15; ++i) EXPECT_EQ(layers[i], 8);
}

namespace {

// A scenario where only compute costs time: communication is free and instant.
TrainScenario pure_compute(int pp, int microbatches, Calibration& cal) {
  const Catalogs cat = Catalogs::load(data_dir());
  cal = cat.calibration;
  cal.network.nvlink_latency_s = cal.network.scale_out_latency_s = 0;
  cal.kernels.launch_overhead_s = 0;
  TrainScenario s;
  s.model.name = "toy";
  s.model.layers = 8, s.model.hidden = 2048, s.model.ffn_hidden = 8192, s.model.heads = 16;
  s.model.kv_heads = 16, s.model.head_dim = 128, s.model.vocab = 8, s.model.mlp = MlpKind::Gelu;
  s.system = cat.hardware.system("dgx-h100");
  s.system.gpu.nvlink_bytes_per_s = 1e30;
  s.system.nic_bytes_per_s = 1e30;
  s.profile = cat.profile("megatron-core");
  s.profile.step_overhead_s = s.profile.microbatch_overhead_s = 0;
  s.layout.gpus = pp, s.layout.pp = pp, s.layout.seq_len = 2048, s.layout.micro_batch = 1;
  s.layout.global_batch = microbatches;
  resolve_layout(s.layout, s.model, "test");
  return s;
}

}  // namespace

TEST(StepSimulator, OneFOneBBubbleIsPMinusOneOverM) {
  Calibration cal;
  const TrainScenario s = pure_compute(4, 16, cal);
  const TrainResult r = simulate_training_step(s, cal);
  const TimeBreakdown& b = r.breakdown;
  // Narayanan et al. 2021: bubble time / ideal time = (p - 1) / m.
  EXPECT_NEAR(b.bubble_s / b.compute_s, 3.0 / 16.0, 0.01);
  EXPECT_NEAR(b.dp_exposed_s + b.tp_exposed_s + b.cp_exposed_s, 0.0, 1e-9);
}

TEST(StepSimulator, InterleavingShrinksTheBubbleByV) {
  Calibration cal;
  TrainScenario s = pure_compute(4, 8, cal);
  s.layout.vp = 2;
  const TrainResult r = simulate_training_step(s, cal);
  // With v virtual stages the bubble is (p - 1) / (v m).
  EXPECT_NEAR(r.breakdown.bubble_s / r.breakdown.compute_s, 3.0 / (2 * 8), 0.01);
}

TEST(StepSimulator, BreakdownAddsUpToTheStepTime) {
  const TrainScenario s = ct::testing::scenario({.model = "llama3-70b", .system = "dgx-h100", .gpus = 256, .tp = 4,
                                                 .pp = 4, .vp = 5, .global_batch = 128, .seq_len = 8192,
                                                 .precision = "fp8"});
  const TrainResult r = simulate_training_step(s, ct::testing::catalogs().calibration);
  for (const TimeBreakdown& b : r.stage_breakdowns) {
    const double sum = b.compute_s + b.tp_exposed_s + b.cp_exposed_s + b.dp_exposed_s + b.bubble_s + b.optimizer_s +
                       b.overhead_s;
    EXPECT_NEAR(sum / r.step_time_s, 1.0, 1e-6);
  }
}

TEST(StepSimulator, ExtrapolatedLongAccumulationMatchesTheFullSimulation) {
  const TrainScenario s = ct::testing::scenario(
      {.model = "llama3-8b", .system = "dgx-h100", .gpus = 64, .tp = 2, .pp = 4, .vp = 2, .global_batch = 8 * 96});
  const Calibration& cal = ct::testing::catalogs().calibration;
  const TrainResult fast = simulate_training_step(s, cal, {.keep_timeline = false});
  const TrainResult full = simulate_training_step(s, cal, {.keep_timeline = true});
  EXPECT_GT(full.graph.size(), 1000u);
  EXPECT_NEAR(fast.step_time_s / full.step_time_s, 1.0, 0.005);
}

// Issue 17: the extrapolated step (two short simulations, then the steady-state slope) agrees
// with the full event simulation within 0.1% over a grid of depths, interleavings, models and
// accumulation lengths, MoE with host-paced passes and uneven stages included.
TEST(StepSimulator, ExtrapolationAgreesWithTheFullSimulationOverAGrid) {
  struct Case {
    const char* model;
    const char* system;
    int gpus, tp, pp, vp, ep, global_batch;
  };
  const Case cases[] = {
      {"llama3-8b", "dgx-h100", 32, 1, 4, 1, 1, 32 * 8},     {"llama3-8b", "dgx-h100", 64, 1, 8, 1, 1, 8 * 40},
      {"llama3-8b", "dgx-h100", 32, 1, 16, 1, 1, 2 * 50},    {"llama3-8b", "dgx-h100", 32, 1, 32, 1, 1, 1 * 70},
      {"llama3-8b", "dgx-h100", 64, 1, 8, 2, 1, 8 * 40},     {"llama3-8b", "dgx-h100", 32, 1, 16, 2, 1, 2 * 48},
      {"llama3-70b", "dgx-h100", 256, 4, 8, 5, 1, 8 * 32},   {"qwen3-30b-a3b", "dgx-h100", 64, 1, 8, 1, 8, 8 * 35},
      {"mixtral-8x7b", "dgx-h100", 64, 2, 4, 1, 8, 8 * 37},  {"llama3.1-405b", "dgx-h100", 1024, 8, 16, 1, 1, 8 * 41},
      {"llama2-13b", "dgx-h100", 64, 1, 32, 1, 1, 2 * 128},  {"llama2-13b", "dgx-h100", 64, 2, 16, 1, 1, 2 * 100},
  };
  const Calibration& cal = ct::testing::catalogs().calibration;
  for (const Case& c : cases) {
    const TrainScenario s = ct::testing::scenario({.model = c.model, .system = c.system, .gpus = c.gpus, .tp = c.tp,
                                                   .pp = c.pp, .vp = c.vp, .ep = c.ep, .global_batch = c.global_batch,
                                                   .seq_len = 4096});
    const TrainResult fast = simulate_training_step(s, cal, {.keep_timeline = false});
    const TrainResult full = simulate_training_step(s, cal, {.keep_timeline = true});
    EXPECT_NEAR(fast.step_time_s / full.step_time_s, 1.0, 1e-3)
        << c.model << " pp " << c.pp << " vp " << c.vp << " microbatches " << s.layout.microbatches();
  }
}

// Issue 17: without a timeline the step is clocked stage by stage, not through the task graph.
// Both compute the same longest path with the same operations, so over a grid of depths,
// interleavings, ZeRO stages, ZeRO-3 per-pass gathers and MoE the step and every stage's
// breakdown are the same doubles (accumulations short enough that neither extrapolates).
TEST(StepSimulator, StageClockIsTheTaskGraphExactly) {
  struct Case {
    const char* model;
    int gpus, tp, pp, vp, ep, global_batch;
    const char* zero;
  };
  const Case cases[] = {
      {"llama3-8b", 8, 1, 1, 1, 1, 8 * 4, "zero1"},    {"llama3-8b", 32, 1, 4, 1, 1, 8 * 6, "zero1"},
      {"llama3-8b", 32, 1, 4, 2, 1, 8 * 8, "zero1"},   {"llama3-8b", 64, 1, 8, 4, 1, 8 * 16, "none"},
      {"llama3-8b", 32, 1, 1, 1, 1, 32 * 3, "zero3"},  {"llama3-8b", 64, 2, 4, 1, 1, 8 * 9, "zero3"},
      {"llama3-70b", 256, 4, 8, 5, 1, 8 * 8, "zero2"}, {"qwen3-30b-a3b", 64, 1, 8, 1, 8, 8 * 11, "zero1"},
      {"mixtral-8x7b", 64, 2, 4, 1, 8, 8 * 5, "none"}, {"llama2-13b", 64, 1, 32, 1, 1, 2 * 40, "zero1"},
  };
  const Calibration& cal = ct::testing::catalogs().calibration;
  for (const Case& c : cases) {
    const TrainScenario s = ct::testing::scenario({.model = c.model, .system = "dgx-h100", .gpus = c.gpus, .tp = c.tp,
                                                   .pp = c.pp, .vp = c.vp, .ep = c.ep, .global_batch = c.global_batch,
                                                   .seq_len = 4096, .zero = c.zero});
    const TrainResult clocked = simulate_training_step(s, cal, {.keep_timeline = false});
    const TrainResult graph = simulate_training_step(s, cal, {.keep_timeline = true});
    const std::string what = fmt::format("{} pp {} vp {} {}", c.model, c.pp, c.vp, c.zero);
    ASSERT_GT(graph.graph.size(), 0u) << what;
    EXPECT_EQ(clocked.step_time_s, graph.step_time_s) << what;
    EXPECT_EQ(clocked.critical_stage, graph.critical_stage) << what;
    ASSERT_EQ(clocked.stage_breakdowns.size(), graph.stage_breakdowns.size()) << what;
    for (std::size_t st = 0; st < graph.stage_breakdowns.size(); ++st) {
      EXPECT_EQ(clocked.stage_breakdowns[st].bubble_s, graph.stage_breakdowns[st].bubble_s) << what << " stage " << st;
      EXPECT_EQ(clocked.stage_breakdowns[st].dp_exposed_s, graph.stage_breakdowns[st].dp_exposed_s) << what;
      EXPECT_EQ(clocked.stage_breakdowns[st].optimizer_s, graph.stage_breakdowns[st].optimizer_s) << what;
    }
  }
}

TEST(StepSimulator, DataParallelGradientReductionOverlapsTheBackwardPass) {
  // With many buckets almost all of the reduce-scatter hides under the last backward pass.
  const TrainScenario s = ct::testing::scenario(
      {.model = "llama3-8b", .system = "dgx-h100", .gpus = 64, .global_batch = 64, .seq_len = 8192});
  const TrainResult r = simulate_training_step(s, ct::testing::catalogs().calibration);
  const double reduce_s = ct::testing::dp_reduce_s(r);
  ASSERT_GT(reduce_s, 0);
  EXPECT_LT(r.breakdown.dp_exposed_s, 0.5 * reduce_s);
}

TEST(StepSimulator, DoesNotFitIsAResultNotAnError) {
  const TrainScenario s = ct::testing::scenario(
      {.model = "llama3.1-405b", .system = "dgx-h100", .gpus = 8, .tp = 8, .global_batch = 8, .seq_len = 8192});
  const TrainResult r = simulate_training_step(s, ct::testing::catalogs().calibration);
  EXPECT_FALSE(r.feasible);
  EXPECT_NE(r.infeasible_reason.find("GB"), std::string::npos);
  EXPECT_GT(r.peak_memory.total_bytes(), 80e9);
}

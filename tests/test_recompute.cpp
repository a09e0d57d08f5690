// Megatron-Core selective-recompute modules: what each frees, what it re-runs, and the choice
// of the least recompute that fits.
#include <gtest/gtest.h>

#include "clustertwin/core/error.hpp"
#include "clustertwin/train/memory_model.hpp"
#include "clustertwin/train/recompute_choice.hpp"
#include "scenario_helpers.hpp"

using namespace ct;
using ct::testing::catalogs;
using ct::testing::scenario;

namespace {

TrainRequest deepseek_on_gb200(const std::string& recompute) {
  TrainRequest r;
  r.model = "deepseek-v3", r.system = "gb200-nvl72", r.gpus = 256;
  r.pp = 4, r.vp = 4, r.ep = 64, r.micro_batch = 1, r.global_batch = 4096, r.seq_len = 4096;
  r.precision = "mxfp8", r.recompute = recompute;
  return r;
}

double recompute_seconds(const TrainResult& r) { return r.breakdown.recompute_s; }

}  // namespace

TEST(RecomputeModules, NamesRoundTrip) {
  ParallelLayout l;
  parse_recompute("selective:mla_up_proj,moe_act", "test", l);
  EXPECT_EQ(l.recompute, Recompute::Selective);
  EXPECT_EQ(l.recompute_modules, unsigned{kRecomputeMlaUpProj | kRecomputeMoeAct});
  EXPECT_EQ(recompute_name(l), "selective:mla_up_proj,moe_act");
  parse_recompute("selective", "test", l);
  EXPECT_EQ(recompute_name(l), "selective");
  EXPECT_TRUE(l.recomputes(kRecomputeCoreAttn));
  EXPECT_THROW(parse_recompute("selective:attention", "test", l), InputError);
  EXPECT_THROW(parse_recompute("full:mlp", "test", l), InputError);
}

// MLA up-projection recompute keeps neither the expanded Q, K (128 heads x 192) nor V (128 x 128):
// 2 bytes x tokens x 128 x (192 + 192 + 128) less per layer (DeepSeek-V3 config, TP 1).
TEST(RecomputeModules, MlaUpProjectionFreesQKV) {
  const TrainScenario none = scenario(deepseek_on_gb200("none"));
  ParallelLayout up = none.layout;
  parse_recompute("selective:mla_up_proj", "test", up);
  LayerSpec attention_moe;
  attention_moe.ffn = FfnKind::Moe;
  const double tokens = 4096;
  const double freed = layer_activation_bytes(none.model, none.layout, attention_moe, true) -
                       layer_activation_bytes(none.model, up, attention_moe, true);
  EXPECT_NEAR(freed, 2.0 * tokens * 128 * (192 + 192 + 128), 1.0);
}

// moe_act drops the routed experts' fc2 input: top-8 copies of 2048 MXFP8 bytes per token.
TEST(RecomputeModules, MoeActivationFreesTheExpertDownProjectionInput) {
  const TrainScenario none = scenario(deepseek_on_gb200("none"));
  ParallelLayout act = none.layout;
  parse_recompute("selective:moe_act", "test", act);
  LayerSpec attention_moe;
  attention_moe.ffn = FfnKind::Moe;
  const double freed = layer_activation_bytes(none.model, none.layout, attention_moe, true) -
                       layer_activation_bytes(none.model, act, attention_moe, true);
  EXPECT_NEAR(freed, 4096.0 * 8 * 2048 * 1.0 /*MXFP8 byte*/, 1.0);
}

TEST(RecomputeModules, RecomputeCostsTimeAndSavesMemory) {
  const TrainResult none = simulate_training_step(scenario(deepseek_on_gb200("none")), catalogs().calibration);
  const TrainResult up = simulate_training_step(scenario(deepseek_on_gb200("selective:mla_up_proj")), catalogs().calibration);
  const TrainResult full = simulate_training_step(scenario(deepseek_on_gb200("full")), catalogs().calibration);
  EXPECT_EQ(recompute_seconds(none), 0.0);
  EXPECT_GT(recompute_seconds(up), 0.0);
  EXPECT_LT(recompute_seconds(up), recompute_seconds(full));
  EXPECT_LT(up.peak_memory.activations_bytes, none.peak_memory.activations_bytes);
  EXPECT_LT(full.peak_memory.activations_bytes, up.peak_memory.activations_bytes);
}

TEST(RecomputeChoice, LeastRecomputeThatFits) {
  // DeepSeek-V3 on GB200 without recompute needs more than 186 GB (Megatron-Bridge's recipe
  // enables mla_up_proj recompute for it).
  const TrainScenario s = scenario(deepseek_on_gb200("none"));
  const TrainResult none = simulate_training_step(s, catalogs().calibration);
  ASSERT_FALSE(none.feasible);
  const TrainResult chosen = simulate_with_fitting_recompute(s, catalogs().calibration);
  EXPECT_TRUE(chosen.feasible);
  EXPECT_EQ(chosen.scenario.layout.recompute, Recompute::Selective);
  // Every lighter option on the ladder does not fit.
  for (const ParallelLayout& option : recompute_options(s.layout, s.profile)) {
    if (option.recompute == chosen.scenario.layout.recompute && option.recompute_modules == chosen.scenario.layout.recompute_modules)
      break;
    TrainScenario lighter = s;
    lighter.layout = option;
    EXPECT_FALSE(simulate_training_step(lighter, catalogs().calibration).feasible) << recompute_name(option);
  }
}

TEST(RecomputeChoice, NoRecomputeWhenItFits) {
  TrainRequest r = deepseek_on_gb200("none");
  r.model = "mixtral-8x7b", r.gpus = 64, r.pp = 1, r.vp = 1, r.ep = 8, r.global_batch = 256;
  const TrainResult chosen = simulate_with_fitting_recompute(scenario(r), catalogs().calibration);
  EXPECT_TRUE(chosen.feasible);
  EXPECT_EQ(chosen.scenario.layout.recompute, Recompute::None);
}

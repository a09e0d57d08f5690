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

namespace {

// Activation bytes one DeepSeek-V3 attention + MoE layer on GB200 keeps without recompute, less
// what it keeps under `recompute`.
double freed_by(const std::string& recompute) {
  const TrainScenario none = scenario(deepseek_on_gb200("none"));
  ParallelLayout with = none.layout;
  parse_recompute(recompute, "test", with);
  LayerSpec attention_moe;
  attention_moe.ffn = FfnKind::Moe;
  return layer_activation_bytes(none.model, none.layout, attention_moe, true) -
         layer_activation_bytes(none.model, with, attention_moe, true);
}

}  // namespace

// MLA up-projection recompute keeps neither the expanded Q, K (128 heads x 192) nor V (128 x 128):
// 2 bytes x tokens x 128 x (192 + 192 + 128) less per layer (DeepSeek-V3 config, TP 1, 4,096 tokens).
TEST(RecomputeModules, MlaUpProjectionFreesQKV) {
  EXPECT_NEAR(freed_by("selective:mla_up_proj"), 2.0 * 4096 * 128 * (192 + 192 + 128), 1.0);
}

// moe_act drops the routed experts' fc2 input: top-8 copies of 2048 MXFP8 bytes per token.
TEST(RecomputeModules, MoeActivationFreesTheExpertDownProjectionInput) {
  EXPECT_NEAR(freed_by("selective:moe_act"), 4096.0 * 8 * 2048 * 1.0 /*MXFP8 byte*/, 1.0);
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
  // enables mla_up_proj recompute for it). Without host memory to offload to, the choice is the
  // least recompute that fits.
  TrainScenario s = scenario(deepseek_on_gb200("none"));
  s.system.host_memory_bytes_per_gpu = 0;
  const TrainResult none = simulate_training_step(s, catalogs().calibration);
  ASSERT_FALSE(none.feasible);
  const TrainResult chosen = simulate_fitting_memory(s, catalogs().calibration);
  EXPECT_TRUE(chosen.feasible);
  EXPECT_EQ(chosen.scenario.layout.recompute, Recompute::Selective);
  EXPECT_EQ(chosen.scenario.layout.activation_offload_layers, 0);
  // Every lighter option on the ladder does not fit.
  for (const ParallelLayout& option : recompute_options(s.layout, s.profile, s.model)) {
    if (option.recompute == chosen.scenario.layout.recompute && option.recompute_modules == chosen.scenario.layout.recompute_modules)
      break;
    TrainScenario lighter = s;
    lighter.layout = option;
    EXPECT_FALSE(simulate_training_step(lighter, catalogs().calibration).feasible) << recompute_name(option);
  }
}

// With Grace memory next to the GPU, offloading a few layers' activations over NVLink-C2C fits
// without recomputing anything, hidden under compute: faster than the recompute that fits. The
// choice offloads as few layers as fit.
TEST(RecomputeChoice, OffloadsTheFewestLayersThatFitWhenFaster) {
  const TrainScenario s = scenario(deepseek_on_gb200("none"));
  const TrainResult chosen = simulate_fitting_memory(s, catalogs().calibration);
  ASSERT_TRUE(chosen.feasible);
  const int n = chosen.scenario.layout.activation_offload_layers;
  EXPECT_GT(n, 0);
  EXPECT_EQ(chosen.scenario.layout.recompute, Recompute::None);
  TrainScenario fewer = chosen.scenario;
  fewer.layout.activation_offload_layers = n - 1;
  EXPECT_FALSE(simulate_training_step(fewer, catalogs().calibration).feasible);
  TrainScenario no_host = s;
  no_host.system.host_memory_bytes_per_gpu = 0;
  EXPECT_LT(chosen.step_time_s, simulate_fitting_memory(no_host, catalogs().calibration).step_time_s);
}

TEST(RecomputeChoice, NoRecomputeWhenItFits) {
  TrainRequest r = deepseek_on_gb200("none");
  r.model = "mixtral-8x7b", r.gpus = 64, r.pp = 1, r.vp = 1, r.ep = 8, r.global_batch = 256;
  const TrainResult chosen = simulate_fitting_memory(scenario(r), catalogs().calibration);
  EXPECT_TRUE(chosen.feasible);
  EXPECT_EQ(chosen.scenario.layout.recompute, Recompute::None);
}

// Optimizer offload to Grace memory: the offloaded share of the FP32 master weights and Adam
// moments leaves HBM, and the CPU step costs link and host-memory traffic (hand calculation).
TEST(OptimizerOffload, MovesStateToHostMemoryAndCostsItsTraffic) {
  TrainRequest r = deepseek_on_gb200("none");
  const TrainResult on_gpu = simulate_training_step(scenario(r), catalogs().calibration);
  r.optimizer_offload = 0.5;
  const TrainScenario s = scenario(r);
  const TrainResult half = simulate_training_step(s, catalogs().calibration);
  EXPECT_NEAR(half.peak_memory.optimizer_bytes, 0.5 * on_gpu.peak_memory.optimizer_bytes, 1.0);
  EXPECT_NEAR(half.peak_memory.host_bytes, 0.5 * on_gpu.peak_memory.optimizer_bytes, 1.0);
  // Per offloaded parameter: gradient (2 B) down and weight (2 B) up the 225 GB/s NVLink-C2C share;
  // Adam reads and writes master + m + v (2 x 12 B) and reads the copied BF16 gradient (2 B) at 256 GB/s.
  const double per_param_s = 4.0 / 225e9 + 26.0 / 256e9;
  const double params = half.peak_memory.host_bytes / 12.0;  // the offloaded optimizer shard, 12 B each
  EXPECT_GT(half.breakdown.optimizer_s, on_gpu.breakdown.optimizer_s + 0.9 * params * per_param_s);
  EXPECT_TRUE(half.feasible);  // 200.5 GB without offload on a 186 GB GPU
  EXPECT_FALSE(on_gpu.feasible);
}

namespace {

// Llama 3.1 405B with Megatron-FSDP on 128 GB200 (TP 2, one micro-batch of 8,192 tokens per GPU,
// no pipeline), as Megatron-Bridge's recipe runs it, with `layers` layers' activations offloaded.
TrainResult llama405b_fsdp_offloading(int layers, double host_link_bytes_per_s = 0) {
  TrainRequest r;
  r.model = "llama3.1-405b", r.system = "gb200-nvl72", r.gpus = 128, r.tp = 2, r.zero = "fsdp";
  r.global_batch = 64, r.seq_len = 8192, r.precision = "fp8", r.activation_offload_layers = layers;
  TrainScenario s = scenario(r);
  if (host_link_bytes_per_s > 0) s.system.host_link_bytes_per_s = host_link_bytes_per_s;
  return simulate_training_step(s, catalogs().calibration);
}

}  // namespace

// Offloading n of the 126 identical layers moves n layers' saved activations (Korthikanti's
// per-layer bytes, layer_activation_bytes) to host memory and frees n - 1 of them in HBM (one
// stays as the copy engine's staging buffer). Megatron-Bridge offloads 95 layers: it fits.
TEST(ActivationOffload, MovesLayersToHostMemory) {
  const TrainResult none = llama405b_fsdp_offloading(0), some = llama405b_fsdp_offloading(95);
  const double layer = layer_activation_bytes(some.scenario.model, some.scenario.layout, LayerSpec{}, true);
  EXPECT_NEAR(some.peak_memory.host_bytes, 95 * layer, 1.0);
  EXPECT_NEAR(none.peak_memory.activations_bytes - some.peak_memory.activations_bytes, 94 * layer, 1.0);
  EXPECT_FALSE(none.feasible);
  EXPECT_TRUE(some.feasible);
  EXPECT_THROW(llama405b_fsdp_offloading(126), InputError);  // the last layer's backward follows at once
}

// Each offloaded layer's copy runs beside the next layer's compute: at NVLink-C2C speed it is
// hidden; over a 100x slower link, each copy out (forward) and back (backward) shows by what it
// exceeds that layer's pass.
TEST(ActivationOffload, CopiesShowOnlyWhenLongerThanALayersCompute) {
  const TrainResult none = llama405b_fsdp_offloading(0), fast = llama405b_fsdp_offloading(95);
  EXPECT_EQ(fast.breakdown.offload_s, 0);
  EXPECT_NEAR(fast.step_time_s, none.step_time_s, 1e-9 * none.step_time_s);
  const double link = 2.25e9;
  const TrainResult slow = llama405b_fsdp_offloading(95, link);
  const LayerPasses p = ct::testing::layer_passes_of(slow.scenario);
  const double copy_s = layer_activation_bytes(slow.scenario.model, slow.scenario.layout, LayerSpec{}, true) / link;
  ASSERT_GT(copy_s, p.bwd.total_s());
  const double per_layer = (copy_s - p.fwd.total_s()) + (copy_s - p.bwd.total_s());
  EXPECT_NEAR(slow.breakdown.offload_s, 95 * slow.scenario.layout.microbatches() * per_layer, 1e-9);
}

TEST(OptimizerOffload, SystemWithoutHostFiguresIsAnInputError) {
  TrainRequest r;
  r.model = "llama3-8b", r.system = "dgx-b200", r.gpus = 8, r.optimizer_offload = 0.5;
  EXPECT_THROW(simulate_training_step(scenario(r), catalogs().calibration), InputError);
}

namespace {

// Seconds of the forward `fc1.cast` op of a Llama 3 8B layer on 8 GPUs of `system` at `precision`.
double fc1_cast_s(const std::string& system, const std::string& precision) {
  TrainRequest r;
  r.model = "llama3-8b", r.system = system, r.gpus = 8, r.precision = precision;
  for (const Op& op : ct::testing::layer_passes_of(scenario(r)).fwd.ops)
    if (op.name == "mlp_fc1.cast") return op.time_s - catalogs().calibration.kernels.launch_overhead_s;
  return 0;
}

}  // namespace

// Casting a BF16 operand reads 2 B per element and writes each quantised copy: per-tensor FP8 on
// Blackwell one 1-byte copy (FP8 GEMMs take any layout), MXFP8 two copies of 1 + 1/32 bytes (row-
// and column-wise, each with its E8M0 scales), per-tensor FP8 on Hopper two 1-byte copies.
TEST(Fp8Casts, BytesFollowTheCopiesEachRecipeNeeds) {
  const double fp8_blackwell = fc1_cast_s("dgx-b200", "fp8"), mxfp8 = fc1_cast_s("dgx-b200", "mxfp8");
  ASSERT_GT(fp8_blackwell, 0);
  EXPECT_NEAR(mxfp8 / fp8_blackwell, (2 + 2 * (1 + 1.0 / 32)) / (2 + 1.0), 1e-9);
  const double fp8_hopper = fc1_cast_s("dgx-h100", "fp8"), fp8_block_hopper = fc1_cast_s("dgx-h100", "fp8-block");
  EXPECT_NEAR(fp8_block_hopper / fp8_hopper, (2 + 2 * (1 + 4.0 / 128)) / (2 + 2.0), 1e-9);
}

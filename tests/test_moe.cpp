// Mixture-of-experts, MLA and hybrid layers against published totals and closed forms.
#include <gtest/gtest.h>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/cost/flops.hpp"
#include "clustertwin/model/params.hpp"
#include "clustertwin/report/train_report.hpp"
#include "clustertwin/parallel/topology.hpp"
#include "clustertwin/train/step_simulator.hpp"
#include "scenario_helpers.hpp"

using namespace ct;

using ct::testing::catalogs;

TEST(MoeParams, DeepSeekV3Is671BTotal37BActive) {
  // DeepSeek-V3 technical report: 671B total, 37B activated per token (main model, MTP excluded).
  const ModelSpec m = catalogs().model("deepseek-v3");
  EXPECT_NEAR((total_params(m) - mtp_params(m)) / 671e9, 1.0, 0.01);
  EXPECT_NEAR(active_params(m) / 37e9, 1.0, 0.03);
  EXPECT_EQ(m.moe.num_experts, 256);
  EXPECT_EQ(m.moe.top_k, 8);
  EXPECT_EQ(m.layer(0).ffn, FfnKind::Dense);  // first_k_dense_replace = 3
  EXPECT_EQ(m.layer(3).ffn, FfnKind::Moe);
}

TEST(MoeParams, Mixtral8x7B) {
  // Mistral AI: 46.7B total, 12.9B active.
  const ModelSpec m = catalogs().model("mixtral-8x7b");
  EXPECT_NEAR(total_params(m) / 46.7e9, 1.0, 0.01);
  EXPECT_NEAR(active_params(m) / 12.9e9, 1.0, 0.02);
}

TEST(MoeParams, Qwen3MoE) {
  EXPECT_NEAR(total_params(catalogs().model("qwen3-30b-a3b")) / 30.5e9, 1.0, 0.01);
  EXPECT_NEAR(total_params(catalogs().model("qwen3-235b-a22b")) / 235e9, 1.0, 0.01);
}

TEST(MoeFlops, TopKExpertsAndTheRouterPerToken) {
  // One MoE layer by hand: 3 x 2 x (attention GEMMs + router + top-k SwiGLU experts) per token,
  // plus attention 3 x 2 s (q + v) and the LM head.
  ModelSpec m;
  m.layers = 1, m.hidden = 1024, m.heads = 8, m.kv_heads = 8, m.head_dim = 128, m.vocab = 1000;
  m.ffn_hidden = 4096, m.mlp = MlpKind::SwiGlu;
  m.moe.num_experts = 8, m.moe.top_k = 2, m.moe.expert_ffn_hidden = 512;
  m.layer_plan = {LayerSpec{MixerKind::Attention, FfnKind::Moe}};
  const double h = 1024, s = 2048, E = 8, k = 2, f = 512, V = 1000;
  const double per_token = 2 * (4 * h * h + h * E + k * 3 * h * f) + 2 * s * (2 * h) + 2 * h * V;
  EXPECT_NEAR(cost::megatron_model_flops(m, 1, s) / (3 * s * per_token), 1.0, 1e-12);
}

TEST(ExpertParallel, AllToAllInsideAnNvlinkDomainUsesNvlink) {
  const SystemSpec& sys = catalogs().hardware.system("gb200-nvl72");
  const DeviceCalibration& dev = catalogs().calibration.device(sys.gpu.id);
  NetworkCalibration net;
  net.nvlink_latency_s = net.scale_out_latency_s = 0;
  // 64 ranks in one 72-GPU domain: (n-1)/n of the bytes over NVLink.
  const GroupPlacement g = place_group(64, 1, 72);
  const double bytes = 1e9;
  EXPECT_NEAR(group_all_to_all_time_s(bytes, g, sys, dev, net),
              63.0 / 64 * bytes / (sys.gpu.nvlink_bytes_per_s * dev.nvlink_ring_fraction), 1e-12);
}

TEST(ExpertParallel, AllToAllAcrossNodesIsBoundByEachGpusOwnNic) {
  const SystemSpec& sys = catalogs().hardware.system("dgx-h100");
  const DeviceCalibration& dev = catalogs().calibration.device(sys.gpu.id);
  NetworkCalibration net;
  net.nvlink_latency_s = net.scale_out_latency_s = 0;
  // 32 ranks over 4 nodes: 24/32 of every GPU's bytes leave through its one 400G NIC.
  const GroupPlacement g = place_group(32, 1, 8);
  const double nic = sys.nic_bytes_per_s * sys.nics_per_gpu * sys.fabric.nic_achievable_fraction;
  EXPECT_NEAR(group_all_to_all_time_s(1e9, g, sys, dev, net), 24.0 / 32 * 1e9 / nic, 1e-12);
}

TEST(ExpertParallel, MoreExpertParallelismShardsExpertMemory) {
  auto run = [](int ep) {
    const TrainScenario s = ct::testing::scenario({.model = "qwen3-30b-a3b", .system = "gb200-nvl72", .gpus = 64,
                                                   .ep = ep, .global_batch = 64, .precision = "mxfp8"});
    return simulate_training_step(s, catalogs().calibration, {.keep_timeline = false});
  };
  const TrainResult ep8 = run(8), ep64 = run(64);
  EXPECT_LT(ep64.peak_memory.weights_bytes, ep8.peak_memory.weights_bytes);
  EXPECT_GT(ep64.breakdown.ep_exposed_s, 0.0);
}

TEST(Hybrid, NemotronHPatternAndMambaLayers) {
  const ModelSpec m = catalogs().model("nemotron-3-nano-30b-a3b");
  int mamba = 0, attention = 0, moe = 0;
  for (std::int64_t i = 0; i < m.layers; ++i) {
    mamba += m.layer(i).mixer == MixerKind::Mamba;
    attention += m.layer(i).mixer == MixerKind::Attention;
    moe += m.layer(i).ffn == FfnKind::Moe;
  }
  EXPECT_EQ(m.layers, 52);
  EXPECT_EQ(mamba, 23);
  EXPECT_EQ(attention, 6);
  EXPECT_EQ(moe, 23);
  // NVIDIA: 31.6B total, ~3.2B active (without the input embedding).
  EXPECT_NEAR(total_params(m) / 31.6e9, 1.0, 0.01);
}

TEST(ExpertParallel, ExpertGradientsAreReducedOverTheirOwnDataParallelGroup) {
  // 64 GPUs, no TP/PP: with EP 8 every expert lives on 8 GPUs (expert data parallel 8) and its
  // gradients must be reduced among them; with EP 64 each expert lives on one GPU and has none.
  auto reduce_s = [](int ep) {
    const TrainScenario s = ct::testing::scenario(
        {.model = "qwen3-30b-a3b", .system = "gb200-nvl72", .gpus = 64, .ep = ep, .global_batch = 64});
    return ct::testing::dp_reduce_s(simulate_training_step(s, catalogs().calibration));
  };
  // Expert gradients of one GPU at EP 8: 128/8 experts x 48 layers x 3 x 2048 x 768 x 2 bytes,
  // reduce-scattered over 8 ranks on NVLink: at least (7/8) x bytes / NVLink bandwidth more.
  const double expert_bytes = 16.0 * 48 * 3 * 2048 * 768 * 2;
  const SystemSpec& sys = catalogs().hardware.system("gb200-nvl72");
  EXPECT_GT(reduce_s(8) - reduce_s(64), 7.0 / 8 * expert_bytes / sys.gpu.nvlink_bytes_per_s);
}

// Token dropping caps the busiest expert GPU at its capacity: with capacity factor 1 an
// imbalanced router costs what a balanced one does; a larger capacity lets part of the imbalance through.
TEST(ExpertCapacity, DroppingCapsTheBusiestExpertAtItsCapacity) {
  auto step = [](double imbalance, double capacity) {
    TrainRequest r;
    r.model = "mixtral-8x7b", r.system = "dgx-h100", r.gpus = 64, r.ep = 8, r.global_batch = 256;
    r.moe_imbalance = imbalance, r.moe_capacity_factor = capacity;
    return simulate_training_step(ct::testing::scenario(r), ct::testing::catalogs().calibration).step_time_s;
  };
  EXPECT_DOUBLE_EQ(step(1.5, 1.0), step(1.0, 0));
  EXPECT_DOUBLE_EQ(step(1.5, 1.25), step(1.25, 0));
  EXPECT_DOUBLE_EQ(step(1.5, 2.0), step(1.5, 0));
  EXPECT_GT(step(1.5, 0), step(1.0, 0));
}

// A faster scale-out NIC (ConnectX-8 800G what-if on GB200) speeds up an all-to-all that leaves
// the 72-GPU NVLink domain and changes nothing for one that stays inside it.
TEST(ExpertParallel, FasterNicHelpsOnlyAllToAllAcrossRacks) {
  auto ep_exposed = [](int ep, double nic_gb_s) {
    TrainRequest r;
    r.model = "deepseek-v3", r.system = "gb200-nvl72", r.gpus = 1024, r.pp = 8, r.vp = 4, r.ep = ep;
    r.global_batch = 8192, r.precision = "mxfp8", r.recompute = "selective:mla_up_proj", r.nic_gb_s = nic_gb_s;
    return simulate_training_step(ct::testing::scenario(r), ct::testing::catalogs().calibration).breakdown.ep_exposed_s;
  };
  EXPECT_DOUBLE_EQ(ep_exposed(64, 100), ep_exposed(64, 0));
  EXPECT_LT(ep_exposed(128, 100), 0.8 * ep_exposed(128, 0));
}

// The names the issues and papers use reach the catalog model (data/models/aliases.yaml).
TEST(ModelCatalog, AliasesResolveToCatalogModels) {
  EXPECT_EQ(catalogs().model("llama3-405b").name, "llama3.1-405b");
  EXPECT_EQ(catalogs().model("llm-jp-3-172b").name, "llmjp3-172b");
  EXPECT_THROW(catalogs().model("llama3-406b"), InputError);
}

namespace {

// Forward ops of one MoE layer (Qwen3-235B-A22B on 256 H100, TP 2, EP ep, ETP etp).
std::vector<Op> moe_forward_ops(int ep, int etp) {
  TrainRequest r;
  r.model = "qwen3-235b-a22b", r.system = "dgx-h100", r.gpus = 256, r.tp = 2, r.pp = 8, r.ep = ep, r.etp = etp;
  r.global_batch = 2048, r.precision = "fp8";
  LayerSpec spec;
  spec.ffn = FfnKind::Moe;
  return ct::testing::layer_passes_of(ct::testing::scenario(r), spec).fwd.ops;
}

double expert_gemm_flops(const std::vector<Op>& ops) {
  double flops = 0;
  for (const Op& op : ops)
    if (op.kind == OpKind::Gemm && op.name.rfind("experts_", 0) == 0) flops += op.flops;
  return flops;
}

}  // namespace

// Expert tensor parallelism splits each expert's FFN over etp GPUs and gathers their tokens:
// the expert FLOPs per GPU stay the same, the expert weights per GPU halve, and an all-gather
// and a reduce-scatter over the ETP group appear.
TEST(ExpertTensorParallel, SameFlopsHalfTheWeightsPlusTwoCollectives) {
  const auto one = moe_forward_ops(16, 1), two = moe_forward_ops(16, 2);
  EXPECT_NEAR(expert_gemm_flops(two), expert_gemm_flops(one), 1e-6 * expert_gemm_flops(one));
  int collectives = 0;
  for (const Op& op : two) collectives += op.name.rfind("etp_", 0) == 0 && op.time_s > 0;
  EXPECT_EQ(collectives, 2);
  for (const Op& op : one) EXPECT_NE(op.name.rfind("etp_", 0), 0u) << op.name;

  auto expert_params = [](int etp) {
    TrainRequest r;
    r.model = "qwen3-235b-a22b", r.system = "dgx-h100", r.gpus = 256, r.tp = 2, r.pp = 8, r.ep = 16, r.etp = etp;
    r.global_batch = 2048, r.precision = "fp8";
    const TrainResult res = simulate_training_step(ct::testing::scenario(r), catalogs().calibration, {.timing = false});
    double p = 0;
    for (const ChunkInfo& c : res.chunks) p += c.expert_params;
    return p;
  };
  EXPECT_NEAR(expert_params(2), expert_params(1) / 2, 1.0);
}

namespace {

// One MoE layer of Qwen3-30B-A3B (128 experts, top-8) on 8 B200, MXFP8, EP `ep`, with the host
// issuing one kernel every `host_kernel_s` seconds; `capacity` > 0 drops tokens (no host sync).
LayerPasses qwen3_moe_layer(int ep, double host_kernel_s, double capacity = 0) {
  TrainRequest r;
  r.model = "qwen3-30b-a3b", r.system = "dgx-b200", r.gpus = 8, r.ep = ep, r.global_batch = 512;
  r.precision = "mxfp8", r.moe_capacity_factor = capacity;
  TrainScenario s = ct::testing::scenario(r);
  s.profile.host_kernel_s = host_kernel_s;
  LayerSpec spec;
  spec.ffn = FfnKind::Moe;
  return ct::testing::layer_passes_of(s, spec);
}

double op_launches(const Pass& p, const std::string& name) {
  for (const Op& op : p.ops)
    if (op.name == name) return op.launches;
  return -1;
}

}  // namespace

// Grouped expert GEMMs and their input casts are one call per local expert (multi-stream
// cuBLAS): 128 experts over EP 8 are 16 calls each, over EP 4 32 calls.
TEST(HostPacing, ExpertGemmsAreOneLaunchPerLocalExpert) {
  const LayerPasses ep8 = qwen3_moe_layer(8, 0), ep4 = qwen3_moe_layer(4, 0);
  EXPECT_EQ(op_launches(ep8.fwd, "experts_gate_up"), 16);
  EXPECT_EQ(op_launches(ep8.fwd, "experts_fc1.cast"), 16);
  EXPECT_EQ(op_launches(ep8.bwd, "experts_down.wgrad"), 16);
  EXPECT_EQ(op_launches(ep4.fwd, "experts_gate_up"), 32);
  EXPECT_EQ(op_launches(ep8.fwd, "router"), 1);
  // Halving the local experts removes 16 of the 32 calls from each of the 4 expert GEMM/cast
  // pairs of the forward pass.
  EXPECT_EQ(ep4.fwd.launches - ep8.fwd.launches, 4 * 16);
}

// A dropless MoE layer syncs with the host every forward, so a pass lasts at least as long as
// the host takes to issue its kernels: max(GPU time, launches x host time per kernel). Token
// dropping has static shapes (no sync) and is not paced.
TEST(HostPacing, DroplessPassLastsAtLeastTheHostIssueTime) {
  const LayerPasses gpu = qwen3_moe_layer(8, 0), fast_host = qwen3_moe_layer(8, 1e-9), slow = qwen3_moe_layer(8, 1e-3);
  EXPECT_DOUBLE_EQ(fast_host.fwd.total_s(), gpu.fwd.total_s());
  EXPECT_EQ(fast_host.fwd.host_wait_s, 0);
  for (auto pass : {&LayerPasses::fwd, &LayerPasses::bwd}) {
    EXPECT_GT((slow.*pass).launches * 1e-3, (gpu.*pass).total_s());
    EXPECT_NEAR((slow.*pass).total_s(), (slow.*pass).launches * 1e-3, 1e-12);
    EXPECT_NEAR((slow.*pass).host_wait_s, (slow.*pass).launches * 1e-3 - (gpu.*pass).total_s(), 1e-12);
  }
  const LayerPasses dropping = qwen3_moe_layer(8, 1e-3, 1.0), dropping_gpu = qwen3_moe_layer(8, 0, 1.0);
  EXPECT_DOUBLE_EQ(dropping.fwd.total_s(), dropping_gpu.fwd.total_s());
}

// Host pacing shows in the step breakdown as host overhead, and a smaller micro-batch (the same
// kernels for a quarter of the tokens) loses more of its step to it.
TEST(HostPacing, SmallMicroBatchesAreHostBound) {
  auto step = [](int micro_batch) {
    TrainRequest r;
    r.model = "qwen3-30b-a3b", r.system = "dgx-b200", r.gpus = 8, r.ep = 8, r.global_batch = 512;
    r.precision = "mxfp8", r.micro_batch = micro_batch;
    return simulate_training_step(ct::testing::scenario(r), catalogs().calibration);
  };
  const TrainResult mb1 = step(1), mb4 = step(4);
  EXPECT_GT(mb1.breakdown.overhead_s / mb1.step_time_s, mb4.breakdown.overhead_s / mb4.step_time_s);
  EXPECT_GT(mb1.step_time_s, mb4.step_time_s);
  // The timeline shows the idle GPU as host_bound slices.
  TrainRequest r;
  r.model = "qwen3-30b-a3b", r.system = "dgx-b200", r.gpus = 8, r.ep = 8, r.global_batch = 64, r.precision = "mxfp8";
  const TrainResult traced = simulate_training_step(ct::testing::scenario(r), catalogs().calibration, {.keep_timeline = true});
  EXPECT_NE(train_chrome_trace(traced).find("\"name\":\"host_bound\""), std::string::npos);
}

TEST(ExpertTensorParallel, MustFitTheStageRanks) {
  TrainRequest r;
  r.model = "qwen3-235b-a22b", r.system = "dgx-h100", r.gpus = 256, r.tp = 2, r.pp = 8, r.ep = 32, r.etp = 2;
  r.global_batch = 2048;
  EXPECT_THROW(ct::testing::scenario(r), InputError);  // ep*etp = 64 > tp*cp*dp = 32
}

TEST(ExpertParallel, NodeLevelDeduplicationSendsATokenOncePerRemoteNode) {
  // DeepSeek-V3 routing (256 experts, top-8) over EP 32 = 4 nodes of 8 GPUs, 64 experts per node.
  // Flat: 8 x 3/4 = 6 copies leave the node. Deduplicated: 3 x (1 - C(192, 8) / C(256, 8)) distinct
  // remote nodes; C(192, 8) / C(256, 8) = prod_{i<8} (192 - i) / (256 - i) = 0.096446 by hand.
  double p_none = 1;
  for (int i = 0; i < 8; ++i) p_none *= (192.0 - i) / (256.0 - i);
  EXPECT_NEAR(p_none, 0.096446, 5e-6);
  EXPECT_DOUBLE_EQ(remote_copies_per_token(256, 8, 4, false), 6.0);
  EXPECT_NEAR(remote_copies_per_token(256, 8, 4, true), 3 * (1 - p_none), 1e-12);  // 2.7107
  // One expert per token (top-1) cannot be deduplicated: both give (D-1)/D.
  EXPECT_NEAR(remote_copies_per_token(64, 1, 4, true), remote_copies_per_token(64, 1, 4, false), 1e-12);
  EXPECT_EQ(remote_copies_per_token(256, 8, 1, true), 0.0);  // inside one NVLink domain nothing leaves
}

TEST(ExpertParallel, DeduplicatedDispatchIsBoundByTheDistinctRemoteNodes) {
  const SystemSpec& sys = catalogs().hardware.system("dgx-b200");
  const DeviceCalibration& dev = catalogs().calibration.device(sys.gpu.id);
  NetworkCalibration net;
  net.nvlink_latency_s = net.scale_out_latency_s = 0;
  const GroupPlacement g = place_group(32, 1, 8);
  const double tokens = 4096, token_bytes = 7168 * 2;
  const double nic = sys.scale_out_bytes_per_s_per_gpu() * sys.fabric.nic_achievable_fraction / sys.fabric.oversubscription;
  const double flat = moe_all_to_all_time_s(tokens, token_bytes, 256, 8, false, g, sys, dev, net);
  const double dedup = moe_all_to_all_time_s(tokens, token_bytes, 256, 8, true, g, sys, dev, net);
  EXPECT_NEAR(flat, 6.0 * tokens * token_bytes / nic, 1e-12);  // every remote copy through the NIC
  EXPECT_NEAR(dedup, remote_copies_per_token(256, 8, 4, true) * tokens * token_bytes / nic, 1e-12);
  EXPECT_NEAR(flat / dedup, 6.0 / 2.7107, 1e-3);
}

TEST(ExpertParallel, DedupDispatchIsARunSettingThatShortensACrossNodeStep) {
  TrainRequest r{.model = "deepseek-v3", .system = "dgx-b200", .gpus = 256, .pp = 8, .ep = 32, .global_batch = 256,
                 .precision = "mxfp8", .recompute = "full"};
  const TrainResult flat = simulate_training_step(ct::testing::scenario(r), catalogs().calibration, {.keep_timeline = false});
  r.ep_dispatch = "dedup";
  const TrainScenario s = ct::testing::scenario(r);
  EXPECT_TRUE(s.layout.ep_node_dedup);
  const TrainResult dedup = simulate_training_step(s, catalogs().calibration, {.keep_timeline = false});
  EXPECT_LT(dedup.breakdown.ep_exposed_s, flat.breakdown.ep_exposed_s);
  EXPECT_LE(dedup.step_time_s, flat.step_time_s);
  r.ep_dispatch = "deepep";
  EXPECT_THROW(ct::testing::scenario(r), InputError);
}

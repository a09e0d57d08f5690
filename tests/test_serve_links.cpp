// Serving simulator: which link a replica's collectives cross (NVLink, PCIe, scale-out), the MoE
// expert reads of a decode step and attention data parallelism, against hand arithmetic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/serve/capacity.hpp"
#include "clustertwin/serve/iteration_cost.hpp"
#include "clustertwin/serve/kv_cache.hpp"
#include "clustertwin/serve/links.hpp"
#include "clustertwin/serve/replica.hpp"
#include "clustertwin/serve/serving_calibration.hpp"

namespace ct::serve {
namespace {

const Catalogs& catalogs() {
  static const Catalogs cat = Catalogs::load(data_dir());
  return cat;
}

// Values written out here rather than read from serving.yaml, so the arithmetic below is by hand.
const PcieCollectives kPcie{0.5, 3e-6};

ReplicaSpec replica_on(const std::string& model, const std::string& system, int tp, int pp) {
  return {catalogs().model(model), catalogs().hardware.system(system), tp, pp, Precision::NVFP4, 1.0};
}

cost::Link tp_link(const ReplicaSpec& r) {
  const Calibration& cal = catalogs().calibration;
  return tp_all_reduce_link(r, cal.device(r.system.gpu.id), cal.network, kPcie);
}

TEST(ServeLinks, RtxProTensorParallelAllReduceGoesOverPcieGen5) {
  const ReplicaSpec r = replica_on("llama3.1-70b", "rtx-pro-6000-server", 4, 1);
  const cost::Link link = tp_link(r);
  // PCIe Gen5 x16: 64 GB/s one way, half of it achievable as NCCL bus bandwidth.
  EXPECT_DOUBLE_EQ(link.bus_bytes_per_s, 32e9);
  EXPECT_DOUBLE_EQ(link.latency_s, 3e-6);
  // One all-reduce of an 8192-token chunk of 8192-wide BF16 activations over 4 cards: ring,
  // 2 (n-1)/n S/B + 2 (n-1) alpha = 1.5 x 134,217,728 B / 32e9 B/s + 6 x 3 us = 6.309 ms.
  const double bytes = 8192.0 * 8192.0 * 2.0;
  EXPECT_NEAR(cost::all_reduce_time_s(bytes, 4, link), 1.5 * 134217728.0 / 32e9 + 18e-6, 1e-12);
}

TEST(ServeLinks, NvlBridgePairUsesNvlinkAndWiderGroupsUsePcie) {
  const Calibration& cal = catalogs().calibration;
  const ReplicaSpec pair = replica_on("llama2-70b", "h100-nvl-server", 2, 1);
  const cost::Link bridge = tp_link(pair);
  // NVLink bridge: 300 GB/s one way x the H100 ring fraction (devices.yaml h100-nvl-94gb: 0.81).
  EXPECT_DOUBLE_EQ(bridge.bus_bytes_per_s, 300e9 * 0.81);
  EXPECT_DOUBLE_EQ(bridge.latency_s, cal.network.nvlink_latency_s);
  const ReplicaSpec quad = replica_on("llama2-70b", "h100-nvl-server", 4, 1);
  EXPECT_DOUBLE_EQ(tp_link(quad).bus_bytes_per_s, 32e9);
}

TEST(ServeLinks, PipelineHandOffInsideAPcieNodeUsesPcie) {
  const Calibration& cal = catalogs().calibration;
  const ReplicaSpec r = replica_on("llama3.1-70b", "rtx-pro-6000-server", 1, 8);
  const cost::Link link = pp_hand_off_link(r, cal.device(r.system.gpu.id), cal.network, kPcie);
  EXPECT_DOUBLE_EQ(link.bus_bytes_per_s, 32e9);
  // 8192 tokens x 8192 hidden x 2 bytes handed to the next stage: S/B + alpha.
  EXPECT_NEAR(cost::p2p_time_s(134217728.0, link), 134217728.0 / 32e9 + 3e-6, 1e-12);
}

TEST(ServeLinks, SxmSystemsKeepTheirNvlinkDomain) {
  const Calibration& cal = catalogs().calibration;
  const ReplicaSpec r = replica_on("llama3.1-70b", "dgx-b200", 8, 1);
  const DeviceCalibration& dev = cal.device("b200");
  // 900 GB/s one way x ring fraction x NVLS speed-up (devices.yaml b200).
  EXPECT_DOUBLE_EQ(tp_link(r).bus_bytes_per_s, 900e9 * dev.nvlink_ring_fraction * dev.nvls_all_reduce_speedup);
}

TEST(ServeLinks, GpuWithoutAPcieFigureIsAClearError) {
  ReplicaSpec r = replica_on("llama3.1-70b", "dgx-h100", 2, 1);
  r.system.nvlink_domain_gpus = 1;  // as if the SXM board had no NVLink: the catalog has no PCIe rate
  EXPECT_THROW(tp_link(r), InputError);
}

TEST(ServeLinks, TensorParallelSearchSpansThePcieNode) {
  const HardwareCatalog& hw = catalogs().hardware;
  EXPECT_EQ(max_tensor_parallel_gpus(hw.system("rtx-pro-6000-server")), 8);
  EXPECT_EQ(max_tensor_parallel_gpus(hw.system("h100-nvl-server")), 8);
  EXPECT_EQ(max_tensor_parallel_gpus(hw.system("gb200-nvl72")), 72);
  const auto layouts = candidate_layouts(8, 8, 0, 0);
  EXPECT_NE(std::find(layouts.begin(), layouts.end(), std::make_pair(8, 1)), layouts.end());
}

TEST(ServeLinks, ServingYamlCarriesThePcieAndKernelCalibration) {
  const ServingCalibration sc = load_serving_calibration(data_dir());
  EXPECT_GT(sc.pcie.bus_fraction, 0);
  EXPECT_LE(sc.pcie.bus_fraction, 1);
  EXPECT_GT(sc.pcie.latency_s, 0);
  EXPECT_GT(sc.kernels.nvfp4_gemm_fraction, 0);
  const EngineLimits limits = EngineLimits::from(sc);
  EXPECT_DOUBLE_EQ(limits.pcie.bus_fraction, sc.pcie.bus_fraction);
  EXPECT_DOUBLE_EQ(limits.kernels.nvfp4_gemm_fraction, sc.kernels.nvfp4_gemm_fraction);
}

// Iteration costs of `r` without the host overhead, so differences are device time only.
IterationCostModel device_cost(const ReplicaSpec& r) {
  EngineLimits limits;
  limits.iteration_overhead_s = 0;
  return IterationCostModel(r, catalogs().calibration, limits);
}

TEST(ServeMoe, SecondDecodeTokenReadsTheNewlyTouchedExperts) {
  const Catalogs& cat = catalogs();
  const IterationCostModel cost = device_cost(
      {cat.model("qwen3-30b-a3b"), cat.hardware.system("dgx-b200"), 1, 1, Precision::FP8, 1.0});
  IterationBatch one, two;
  one.add_decode(100);
  two.add_decode(100);
  two.add_decode(100);
  // Qwen3-30B-A3B: 48 MoE layers of 128 experts (top-8), each expert 3 x 2048 x 768 weights. Two
  // tokens touch 128 (1 - (120/128)^2) = 15.5 experts, one token 8: 7.5 more experts per layer,
  // read in FP8 (1 byte) at the achievable B200 HBM bandwidth. Activation bytes are negligible.
  const double expert_bytes = 3.0 * 2048 * 768;
  const double hbm = 8e12 * cat.calibration.device("b200").hbm_fraction;
  const double expected_s = 48 * 7.5 * expert_bytes / hbm;
  EXPECT_NEAR(cost.breakdown(two).gemm_s - cost.breakdown(one).gemm_s, expected_s, 0.01 * expected_s);
}

TEST(ServeAttentionDp, MlaLatentIsNoLongerReplicatedOverTheRanks) {
  ReplicaSpec r = replica_on("deepseek-v3", "dgx-b200", 8, 1);
  // FP8 latent cache: 61 layers x (512 + 64) x 1 byte = 35,136 bytes per token on every TP rank...
  EXPECT_DOUBLE_EQ(replica_kv_bytes_per_token_per_gpu(r), 61.0 * 576);
  // ...while with attention DP a token lives on one rank only: 35,136 / 8 per GPU on average.
  r.attention_dp = true;
  EXPECT_DOUBLE_EQ(replica_kv_bytes_per_token_per_gpu(r), 61.0 * 576 / 8);
}

TEST(ServeAttentionDp, EveryRankKeepsAllAttentionWeights) {
  ReplicaSpec r = replica_on("llama3.1-70b", "dgx-h100", 8, 1);
  r.weights = Precision::FP8;
  // Llama 3.1 70B attention per layer: Q and O 8192 x 8192 each, K and V 8192 x 1024 each.
  const double attention_params = 80.0 * (2 * 8192.0 * 8192 + 2 * 8192.0 * 1024);
  EXPECT_DOUBLE_EQ(attention_weight_params(r.model), attention_params);
  const EngineLimits limits;
  const double split = plan_memory(r, limits, catalogs().calibration.memory).weight_bytes_per_gpu;
  r.attention_dp = true;
  const double replicated = plan_memory(r, limits, catalogs().calibration.memory).weight_bytes_per_gpu;
  // FP8: one byte per weight; each rank adds the 7/8 of the attention weights it did not hold.
  EXPECT_NEAR(replicated - split, attention_params * 7.0 / 8.0, 1.0);
}

TEST(ServeAttentionDp, OneAllReduceWorthOfTrafficPerLayerInsteadOfTwo) {
  const Catalogs& cat = catalogs();
  ReplicaSpec r{cat.model("qwen3-235b-a22b"), cat.hardware.system("dgx-h100"), 8, 1, Precision::FP8, 1.0};
  IterationBatch b;
  b.add_prefill_chunk(4096, 0);
  const double tp_comm_s = device_cost(r).breakdown(b).comm_s;
  r.attention_dp = true;
  const double dp_comm_s = device_cost(r).breakdown(b).comm_s;
  EXPECT_NEAR(dp_comm_s, 0.5 * tp_comm_s, 1e-12);
}

}  // namespace
}  // namespace ct::serve

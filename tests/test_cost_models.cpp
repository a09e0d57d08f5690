// Cost models against closed forms derived by hand or published formulas.
#include <gtest/gtest.h>

#include <cmath>

#include "clustertwin/cost/collective.hpp"
#include "clustertwin/cost/compute.hpp"
#include "clustertwin/cost/flops.hpp"
#include "clustertwin/model/params.hpp"

using namespace ct;

TEST(Collectives, RingAllReduceMatchesAlphaBeta) {
  // 2(n-1)/n * S/B + 2(n-1) a with S = 1 GB, n = 8, B = 100 GB/s, a = 5 us.
  const cost::Link link{100e9, 5e-6};
  const double expected = 2.0 * 7 / 8 * 1e9 / 100e9 + 2.0 * 7 * 5e-6;
  EXPECT_NEAR(cost::ring_all_reduce_time_s(1e9, 8, link), expected, 1e-12);
  EXPECT_NEAR(expected, 0.01757, 1e-9);
}

TEST(Collectives, AllGatherAndReduceScatterAreHalfAnAllReduce) {
  const cost::Link link{50e9, 0};
  EXPECT_NEAR(cost::all_gather_time_s(4e9, 16, link), 15.0 / 16 * 4e9 / 50e9, 1e-12);
  EXPECT_NEAR(cost::reduce_scatter_time_s(4e9, 16, link) * 2, cost::ring_all_reduce_time_s(4e9, 16, link), 1e-12);
}

TEST(Collectives, SingleRankCostsNothing) {
  const cost::Link link{1e9, 1e-5};
  EXPECT_EQ(cost::all_reduce_time_s(1e9, 1, link), 0.0);
  EXPECT_EQ(cost::all_gather_time_s(1e9, 1, link), 0.0);
}

TEST(Collectives, TreeBeatsRingForSmallMessagesOnManyRanks) {
  const cost::Link link{50e9, 10e-6};
  // 1 KB over 1024 ranks: the ring pays 2*1023 latencies, the tree 2*10.
  EXPECT_LT(cost::tree_all_reduce_time_s(1e3, 1024, link), cost::ring_all_reduce_time_s(1e3, 1024, link));
  EXPECT_NEAR(cost::all_reduce_time_s(1e3, 1024, link), cost::tree_all_reduce_time_s(1e3, 1024, link), 1e-15);
}

TEST(Gemm, LowPrecisionTimeScalesWithThePeakRatio) {
  // A large compute-bound GEMM on the same device: FP8 and FP4 run at their peak ratios.
  const cost::GemmShape s{16384, 16384, 16384};
  cost::GemmDevice bf16{2.5e15, 0.75, 8e12, 128, 128, 256, 0};  // 8192 tiles fill 128 SMs exactly
  cost::GemmDevice fp8 = bf16, fp4 = bf16;
  fp8.peak_flops = 5e15;
  fp4.peak_flops = 10e15;
  const double t16 = cost::gemm_time_s(s, bf16, 2, 2), t8 = cost::gemm_time_s(s, fp8, 1, 2), t4 = cost::gemm_time_s(s, fp4, 0.5, 2);
  EXPECT_NEAR(t16 / t8, 2.0, 1e-9);
  EXPECT_NEAR(t16 / t4, 4.0, 1e-9);
  // And the time is FLOPs over achievable throughput: 2 * 16384^3 / (2.5e15 * 0.75).
  EXPECT_NEAR(t16, 2.0 * std::pow(16384.0, 3) / (2.5e15 * 0.75), 1e-9);
}

TEST(Gemm, SkinnyGemmIsMemoryBound) {
  // m = 1: a matrix-vector product reads the whole 8192x8192 BF16 matrix from HBM.
  const cost::GemmShape s{1, 8192, 8192};
  const cost::GemmDevice d{989e12, 0.8, 3e12, 132, 128, 256, 0};
  const double bytes = (1.0 * 8192 + 8192.0 * 8192) * 2 + 8192.0 * 2;
  EXPECT_NEAR(cost::gemm_time_s(s, d, 2, 2), bytes / 3e12, 1e-12);
}

TEST(Gemm, WaveQuantisation) {
  // 132 SMs, 128x256 tiles: a 128 x (133*256) output needs two waves, the second nearly empty.
  const cost::GemmShape s{128, 133 * 256, 4096};
  EXPECT_NEAR(cost::wave_efficiency(s, 132, 128, 256), 133.0 / 264.0, 1e-12);
  EXPECT_NEAR(cost::wave_efficiency({128, 132 * 256, 4096}, 132, 128, 256), 1.0, 1e-12);
}

TEST(Attention, CausalHalvesTheWorkAndBackwardIsTwoAndAHalfTimes) {
  cost::AttentionShape a{1, 32, 8192, 8192, 128, true};
  EXPECT_NEAR(a.fwd_flops(), 4.0 * 32 * 8192.0 * 8192 * 128 / 2, 1);
  const cost::AttentionDevice d{1e15, 0.5, 0.5, 0, 0};
  EXPECT_NEAR(cost::attention_bwd_time_s(a, d) / cost::attention_fwd_time_s(a, d), 2.5, 1e-9);
}

TEST(Flops, MegatronFormulaForGpt) {
  // Narayanan et al. 2021: 72 B s l h^2 (1 + s/(6h) + V/(12 l h)) for GPT-3 175B.
  ModelSpec m;
  m.layers = 96, m.hidden = 12288, m.ffn_hidden = 4 * 12288, m.heads = 96, m.kv_heads = 96, m.head_dim = 128;
  m.vocab = 51200, m.mlp = MlpKind::Gelu;
  const double B = 1536, s = 2048, l = 96, h = 12288, V = 51200;
  const double expected = 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
  EXPECT_NEAR(cost::megatron_model_flops(m, B, s) / expected, 1.0, 1e-12);
}

TEST(Flops, MegatronFormulaCountsEveryGemmOfALlamaLayer) {
  // Llama-style GQA + SwiGLU, counted GEMM by GEMM: 3 x 2 x (Q, K, V, O, gate, up, down, LM head)
  // + 3 x attention (QK^T and PV over the full s x s block).
  ModelSpec m;
  m.layers = 4, m.hidden = 1024, m.ffn_hidden = 2816, m.heads = 16, m.kv_heads = 4, m.head_dim = 64;
  m.vocab = 32000, m.mlp = MlpKind::SwiGlu;
  const double s = 4096, B = 2, h = 1024, q = 1024, kv = 256, f = 2816, V = 32000;
  const double per_token_fwd = m.layers * 2 * (h * q + 2 * h * kv + q * h + 3 * h * f) + 2 * h * V;
  const double attention_fwd = m.layers * 2 * 2 * s * q;  // per token: QK^T and PV
  const double expected = 3 * B * s * (per_token_fwd + attention_fwd);
  EXPECT_NEAR(cost::megatron_model_flops(m, B, s) / expected, 1.0, 1e-12);
}

TEST(Params, Llama2SevenBillion) {
  // Llama 2 7B: 32 layers, 4096 hidden, 11008 intermediate, 32000 vocab, untied: 6.738e9.
  ModelSpec m;
  m.layers = 32, m.hidden = 4096, m.ffn_hidden = 11008, m.heads = 32, m.kv_heads = 32, m.head_dim = 128;
  m.vocab = 32000, m.mlp = MlpKind::SwiGlu;
  EXPECT_NEAR(total_params(m) / 6.738e9, 1.0, 1e-3);
}

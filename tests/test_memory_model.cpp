// Activation and state memory against Korthikanti et al. 2022 ("Reducing Activation
// Recomputation in Large Transformer Models") closed forms.
#include <gtest/gtest.h>

#include "clustertwin/train/memory_model.hpp"

using namespace ct;

namespace {

// GPT as in the paper: MHA, 4h GeLU MLP, dropout, 16-bit activations.
ModelSpec gpt(double h, double a) {
  ModelSpec m;
  m.layers = 4, m.hidden = static_cast<std::int64_t>(h), m.ffn_hidden = static_cast<std::int64_t>(4 * h);
  m.heads = static_cast<std::int64_t>(a), m.kv_heads = m.heads, m.head_dim = m.hidden / m.heads;
  m.vocab = 51200, m.mlp = MlpKind::Gelu, m.norm = NormKind::LayerNorm, m.dropout = 0.1;
  return m;
}

ParallelLayout layout(int t, bool sp, double s, int b) {
  ParallelLayout l;
  l.tp = t, l.sequence_parallel = sp, l.seq_len = static_cast<std::int64_t>(s), l.micro_batch = b;
  l.precision = Precision::BF16;
  return l;
}

}  // namespace

TEST(ActivationMemory, NoParallelismIsEquationOne) {
  const double s = 2048, b = 1, h = 12288, a = 96;
  // s b h (34 + 5 a s / h)
  EXPECT_NEAR(layer_activation_bytes(gpt(h, a), layout(1, false, s, b), false), s * b * h * (34 + 5 * a * s / h), 1);
}

TEST(ActivationMemory, TensorParallelIsEquationTwo) {
  const double s = 2048, b = 2, h = 12288, a = 96, t = 8;
  // s b h (10 + 24/t + 5 a s / (h t))
  EXPECT_NEAR(layer_activation_bytes(gpt(h, a), layout(8, false, s, b), false),
              s * b * h * (10 + 24 / t + 5 * a * s / (h * t)), 1);
}

TEST(ActivationMemory, SequenceParallelIsEquationFour) {
  const double s = 2048, b = 1, h = 12288, a = 96, t = 8;
  // s b h / t (34 + 5 a s / h)
  EXPECT_NEAR(layer_activation_bytes(gpt(h, a), layout(8, true, s, b), false), s * b * h / t * (34 + 5 * a * s / h), 1);
}

TEST(ActivationMemory, FlashAttentionDropsTheQuadraticTerm) {
  const double s = 8192, b = 1, h = 4096, a = 32;
  EXPECT_NEAR(layer_activation_bytes(gpt(h, a), layout(1, false, s, b), true), 34 * s * b * h, 1);
}

TEST(ActivationMemory, FullRecomputeKeepsOnlyTheLayerInput) {
  ParallelLayout l = layout(4, true, 4096, 2);
  // 2 s b h bytes, divided by t under sequence parallelism.
  EXPECT_NEAR(layer_checkpoint_bytes(gpt(8192, 64), l), 2.0 * 4096 * 2 * 8192 / 4, 1);
}

TEST(StateMemory, DistributedOptimizerShardsOnlyTheOptimizer) {
  SoftwareProfile p;  // 2 B weights, 4 B FP32 master, 2 B grads, 8 B Adam
  p.weight_bytes_per_param = 2, p.master_bytes_per_param = 4, p.grad_bytes_per_param = 2;
  p.optimizer_state_bytes_per_param = 8;
  ParallelLayout l;
  l.dp = 8, l.cp = 1, l.sharding = DpSharding::Zero1;
  const MemoryBreakdown m = state_memory(1e9, l, p);
  EXPECT_DOUBLE_EQ(m.weights_bytes, 2e9);
  EXPECT_DOUBLE_EQ(m.gradients_bytes, 2e9);
  EXPECT_DOUBLE_EQ(m.optimizer_bytes, 12e9 / 8);
  l.sharding = DpSharding::Zero3;  // ZeRO-3 shards all three (Rajbhandari et al. 2020)
  const MemoryBreakdown z3 = state_memory(1e9, l, p);
  EXPECT_DOUBLE_EQ(z3.weights_bytes + z3.gradients_bytes + z3.optimizer_bytes, 16e9 / 8);
}

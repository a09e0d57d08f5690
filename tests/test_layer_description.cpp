// One description of a layer (workload/layer.hpp) used by training and serving alike: the same
// ops, shapes and collectives on both sides, FLOPs that match a hand count of the architecture,
// and the serving-only parts (sliding windows, Mamba state) pinned to hand calculations.
#include <gtest/gtest.h>

#include <cmath>

#include "clustertwin/serve/iteration_cost.hpp"
#include "clustertwin/serve/serving.hpp"
#include "scenario_helpers.hpp"

using namespace ct;
using namespace ct::serve;

namespace {

// One micro-batch of one 2,048-token sequence per TP group.
TrainScenario training(const char* model, int tp, bool sp) {
  TrainRequest r;
  r.model = model, r.system = "dgx-h100", r.gpus = tp, r.tp = tp, r.global_batch = 1;
  r.seq_len = 2048, r.sequence_parallel = sp;
  return ct::testing::scenario(r);
}

ReplicaSpec replica(const char* model, int tp) {
  const Catalogs& cat = ct::testing::catalogs();
  return {cat.model(model), cat.hardware.system("dgx-h100"), tp, 1, Precision::BF16, 2.0};
}

void expect_same_ops(const std::vector<LayerOp>& a, const std::vector<LayerOp>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].kind, b[i].kind) << a[i].name;
    EXPECT_EQ(a[i].rows, b[i].rows) << a[i].name;
    EXPECT_EQ(a[i].n, b[i].n) << a[i].name;
    EXPECT_EQ(a[i].k, b[i].k) << a[i].name;
    EXPECT_EQ(a[i].per_row, b[i].per_row) << a[i].name;
  }
}

double description_gemm_flops(const LayerDescription& d, const BatchRows& rows) {
  double flops = 0;
  for (const auto* part : {&d.mixer, &d.ffn})
    for (const LayerOp& op : *part)
      if (op.kind == LayerOpKind::Gemm) flops += rows.gemm(op).flops();
  return flops;
}

}  // namespace

// Llama 3 70B on TP 8 without sequence parallelism: Megatron's layer and the engine's layer are the
// same ops, and their GEMM FLOPs are the hand count 2 T [h (q + 2 kv) + q h + 3 h f] / tp.
TEST(LayerDescription, TrainingAndServingCostTheSameDenseLayer) {
  const TrainScenario s = training("llama3-70b", 8, false);
  const ReplicaSpec r = replica("llama3-70b", 8);
  const LayerDescription train = describe_layer(s.model, LayerSpec{}, layer_parallelism(s.layout));
  const LayerDescription serve = describe_layer(r.model, LayerSpec{}, engine_parallelism(r));
  expect_same_ops(train.mixer, serve.mixer);
  expect_same_ops(train.ffn, serve.ffn);

  const double T = 2048, h = 8192, q = 8192, kv = 1024, f = 28672, tp = 8;
  const double by_hand = 2 * T * (h * (q + 2 * kv) + q * h + 3 * h * f) / tp;
  EXPECT_NEAR(description_gemm_flops(serve, batch_rows(r.model, engine_parallelism(r), T, 1)), by_hand, 1e-6 * by_hand);
  // The training forward pass executes exactly the described GEMMs.
  double train_flops = 0;
  for (const Op& op : ct::testing::layer_passes_of(s).fwd.ops)
    if (op.kind == OpKind::Gemm) train_flops += op.flops;
  EXPECT_NEAR(train_flops, by_hand, 1e-6 * by_hand);
  // Two TP all-reduces of T h BF16 bytes each per forward (Korthikanti et al. 2022, fig. 4).
  int exits = 0;
  for (const auto* part : {&serve.mixer, &serve.ffn})
    for (const LayerOp& op : *part)
      if (op.kind == LayerOpKind::TpExit) {
        ++exits;
        EXPECT_EQ(op.per_row, h * 2);
      }
  EXPECT_EQ(exits, 2);
}

// An MoE layer cut two ways over 8 GPUs does the same expert FLOPs per GPU for the same T tokens:
// Megatron with EP 8 (T/8 tokens per rank, whole experts) and the engines with experts sharded
// over TP 8 (every token on every rank, 1/8 of each expert): 2 T k (3 h f) / 8 for SwiGLU experts.
TEST(LayerDescription, ExpertFlopsDoNotDependOnHowTheExpertsAreCut) {
  const Catalogs& cat = ct::testing::catalogs();
  const ModelSpec m = cat.model("qwen3-30b-a3b");
  const LayerSpec moe{MixerKind::None, FfnKind::Moe};
  LayerParallelism megatron;
  megatron.ep = 8;
  LayerParallelism engine;
  engine.tp = 8;
  engine.experts_in_tp_region = true;
  const double T = 4096, k = m.moe.top_k, h = m.hidden, f = m.moe.expert_ffn_hidden;
  auto expert_flops = [&](const LayerParallelism& p, double tokens) {
    const BatchRows rows = batch_rows(m, p, tokens, 1.0);
    double flops = 0;
    for (const LayerOp& op : describe_layer(m, moe, p).ffn)
      if (op.grouped && op.kind == LayerOpKind::Gemm) flops += rows.gemm(op).flops();
    return flops;
  };
  const double by_hand = 2 * T * k * 3 * h * f / 8;
  EXPECT_NEAR(expert_flops(megatron, T / 8), by_hand, 1e-6 * by_hand);
  EXPECT_NEAR(expert_flops(engine, T), by_hand, 1e-6 * by_hand);
}

// A 256-token prompt chunk from an empty cache with a 128-token window: the first 128 queries see
// their causal prefix (128 x 64 pairs), the other 128 see 128 keys each: 8,192 + 16,384 pairs.
TEST(LayerDescription, SlidingWindowCapsEveryQuerysKeys) {
  IterationBatch b;
  b.window = 128;
  b.add_prefill_chunk(256, 0);
  EXPECT_DOUBLE_EQ(b.prefill_attention_pairs, 256.0 * 128);  // unwindowed: 256 (0 + 128)
  EXPECT_DOUBLE_EQ(b.prefill_window_pairs, 128.0 * 64 + 128.0 * 128);
  b.add_prefill_chunk(64, 1000);  // all past the window
  EXPECT_DOUBLE_EQ(b.prefill_window_pairs, 128.0 * 64 + 128.0 * 128 + 64.0 * 128);
  b.add_decode(1000);
  b.add_decode(50);
  EXPECT_DOUBLE_EQ(b.decode_window_tokens, 128 + 50);
  EXPECT_DOUBLE_EQ(b.decode_context_tokens, 1050);
}

// GPT-OSS alternates sliding-window and full layers: a decode batch at 8k context reads the
// window's KV in half of its layers, so its attention costs far less than with full layers.
TEST(LayerDescription, ServingHonoursTheSlidingWindowLayers) {
  const Catalogs& cat = ct::testing::catalogs();
  const EngineLimits limits = EngineLimits::from(load_serving_calibration(data_dir()));
  ReplicaSpec r = replica("gpt-oss-120b", 1);
  const IterationCostModel windowed(r, cat.calibration, limits);
  r.model.sliding_window = 0;
  const IterationCostModel full(r, cat.calibration, limits);
  IterationBatch a = windowed.empty_batch(), b = full.empty_batch();
  for (int i = 0; i < 64; ++i) a.add_decode(8192), b.add_decode(8192);
  const double w = windowed.breakdown(a).attention_s, f = full.breakdown(b).attention_s;
  // Half the layers read 128 instead of 8,192 tokens: a little over half the KV traffic.
  EXPECT_NEAR(w / f, 0.5 * (1 + 128.0 / 8192), 0.02);
}

// A Mamba-2 layer in decode reads and writes each sequence's SSM state (heads x head_dim x state)
// and convolution state ((conv_kernel - 1) x (inner + 2 groups state)) once, in BF16.
TEST(LayerDescription, MambaDecodeMovesTheRecurrentState) {
  const Catalogs& cat = ct::testing::catalogs();
  const EngineLimits limits = EngineLimits::from(load_serving_calibration(data_dir()));
  const ReplicaSpec r = replica("nemotron-3-nano-30b-a3b", 1);
  const IterationCostModel cost(r, cat.calibration, limits);
  IterationBatch one = cost.empty_batch(), many = cost.empty_batch();
  one.add_decode(1000);
  for (int i = 0; i < 257; ++i) many.add_decode(1000);
  const MambaSpec& mb = r.model.mamba;
  std::int64_t mamba_layers = 0;
  for (std::int64_t i = 0; i < r.model.layers; ++i) mamba_layers += r.model.layer(i).mixer == MixerKind::Mamba;
  const double per_sequence = 2.0 * 2.0 *
                              (mb.heads * mb.head_dim * mb.state + (mb.conv_kernel - 1) * (mb.inner() + 2 * mb.groups * mb.state)) *
                              mamba_layers;
  const auto& dev = cat.calibration.device(r.system.gpu.id);
  const double hbm = r.system.gpu.hbm_bytes_per_s * dev.hbm_fraction;
  // 256 more sequences add their state traffic and, in the attention layers, their KV reads
  // (memory-bound at 1,000 tokens of GQA context).
  const double extra_s = cost.breakdown(many).attention_s - cost.breakdown(one).attention_s;
  const double expected_s = 256 * (per_sequence + 1000 * replica_kv_bytes_per_token_per_gpu(r)) / hbm;
  EXPECT_NEAR(extra_s, expected_s, 1e-6 * expected_s);
}

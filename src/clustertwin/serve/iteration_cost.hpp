#pragma once
// Time of one engine iteration of a replica: a forward pass over every token scheduled in it, the
// prompt chunks being prefilled and one token for each decoding sequence. Pure functions of the
// batch's shape (no engine state). Each layer is the one description training uses
// (workload/layer.hpp), costed forward by the shared cost models: GEMMs by roofline with wave
// quantisation (weights are read once per iteration whatever the batch, which is why decode is
// memory-bound), element-wise kernels by their HBM bytes, TP collectives by the alpha-beta model.
// What is the engine's own: fused causal attention over the prompt chunks and memory-bound reads
// of the KV cache (or the Mamba state) for decode, the LM head on sampled rows, PP hand-offs.
#include <algorithm>
#include <vector>

#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/cost/collective.hpp"
#include "clustertwin/cost/compute.hpp"
#include "clustertwin/cost/power.hpp"
#include "clustertwin/serve/replica.hpp"
#include "clustertwin/workload/layer.hpp"

namespace ct::serve {

struct IterationBatch {
  double prefill_tokens = 0;           // prompt tokens computed in this iteration (all chunks)
  double prefill_attention_pairs = 0;  // sum over chunks of c * (context before + c/2): causal query-key pairs
  double decode_sequences = 0;         // sequences generating one token
  double decode_context_tokens = 0;    // their context lengths, summed (KV read by decode attention)
  double sampled_sequences = 0;        // rows through the LM head: decodes + prompts that finish here
  // Sliding-window layers (GPT-OSS) attend over the last `window` tokens only: the same sums
  // with every query's keys capped at the window. 0 = the model has none.
  double window = 0;
  double prefill_window_pairs = 0, decode_window_tokens = 0;
  double tokens() const { return prefill_tokens + decode_sequences; }

  // Adds a prompt chunk of `chunk` tokens after `context_before` tokens already in the cache.
  void add_prefill_chunk(double chunk, double context_before) {
    prefill_tokens += chunk;
    prefill_attention_pairs += chunk * (context_before + 0.5 * chunk);
    if (window <= 0) return;
    // Queries before the window fills see their whole prefix, the rest `window` keys each.
    const double filling = std::clamp(window - context_before, 0.0, chunk);
    prefill_window_pairs += filling * (context_before + 0.5 * filling) + (chunk - filling) * window;
  }
  void add_decode(double context_tokens) {
    decode_sequences += 1;
    decode_context_tokens += context_tokens;
    if (window > 0) decode_window_tokens += std::min(context_tokens, window);
  }
};

struct IterationBreakdown {
  double gemm_s = 0;         // projections, MLP / experts
  double attention_s = 0;    // prefill attention + decode KV reads
  double elementwise_s = 0;  // norms, residual adds
  double comm_s = 0;         // TP all-reduces, PP hand-offs
  double lm_head_s = 0;
  double overhead_s = 0;     // host-side scheduling and sampling
  // What the iteration keeps busy, for the power model: the roofline compute and memory times of
  // its kernels (each at most the kernel's time; a kernel can count in both).
  cost::Roofline activity;
  double total_s() const { return gemm_s + attention_s + elementwise_s + comm_s + lm_head_s + overhead_s; }
};

// One iteration on one GPU of the replica, at the clock its power limit allows.
struct IterationRun {
  double time_s = 0;
  double gpu_power_w = 0;
  double gpu_load = 0;  // share of the GPU's dynamic power range (drives fans and host)
};

// How the engines cut a replica's layer: experts sharded over TP like an MLP (vLLM FusedMoE,
// TensorRT-LLM moe_tp_size = tp by default), no expert parallelism; attention DP splits the
// residual stream and keeps the mixer whole on each rank.
LayerParallelism engine_parallelism(const ReplicaSpec& r);

class IterationCostModel {
 public:
  // Throws InputError when the GPU has no tensor cores for the weight format (FP4 on Hopper).
  IterationCostModel(const ReplicaSpec& replica, const Calibration& cal, const EngineLimits& limits);

  IterationBreakdown breakdown(const IterationBatch& b) const;
  // Time and GPU power of an iteration: above the GPU's power limit its clock drops and the
  // compute-bound part takes longer (cost/power.hpp).
  IterationRun run(const IterationBatch& b) const;
  double time_s(const IterationBatch& b) const { return run(b).time_s; }
  const cost::GpuPower& gpu_power() const { return power_; }
  // An empty batch for this model (its sliding window set).
  IterationBatch empty_batch() const;


 private:
  struct LayerGroup {
    double count = 0;
    LayerDescription ops;  // the layer as training describes it
  };
  // Adds one group's forward ops for the batch to `out`.
  void add_layer_group(const LayerGroup& g, const IterationBatch& b, const BatchRows& rows, IterationBreakdown& out) const;
  double attention_time_s(bool sliding, const IterationBatch& b, double share, cost::Roofline& activity) const;
  double mamba_time_s(const IterationBatch& b, double share, cost::Roofline& activity) const;
  double tp_collective_s(const LayerOp& op, double bytes) const;  // a TP region's entry or exit

  ReplicaSpec r_;
  LayerParallelism parallel_;
  std::vector<LayerGroup> groups_;
  cost::GemmDevice gemm_, bf16_gemm_;
  cost::AttentionDevice attention_, ssd_;
  cost::Link tp_link_, pp_link_;
  double hbm_bytes_per_s_ = 0;
  double launch_s_ = 0;
  double operand_bytes_ = 2;
  double kv_bytes_per_token_per_layer_ = 0;  // on one GPU
  double attention_heads_ = 0;               // per GPU, over its share of the batch
  double prefill_head_dim_ = 0, decode_head_dim_ = 0;
  double overhead_s_ = 0;
  cost::GpuPower power_;
};

}  // namespace ct::serve

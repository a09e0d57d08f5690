#pragma once
// Time of one engine iteration of a replica: a forward pass over every token scheduled in it, the
// prompt chunks being prefilled and one token for each decoding sequence. Pure functions of the
// batch's shape (no engine state), built from the shared cost models: GEMMs by roofline with wave
// quantisation (weights are read once per iteration whatever the batch, which is why decode is
// memory-bound), fused causal attention over the prompt chunks, memory-bound reads of the KV cache
// for decode attention, TP all-reduces and PP hand-offs by the alpha-beta collective model.
#include <vector>

#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/cost/collective.hpp"
#include "clustertwin/cost/compute.hpp"
#include "clustertwin/serve/replica.hpp"

namespace ct::serve {

struct IterationBatch {
  double prefill_tokens = 0;           // prompt tokens computed in this iteration (all chunks)
  double prefill_attention_pairs = 0;  // sum over chunks of c * (context before + c/2): causal query-key pairs
  double decode_sequences = 0;         // sequences generating one token
  double decode_context_tokens = 0;    // their context lengths, summed (KV read by decode attention)
  double sampled_sequences = 0;        // rows through the LM head: decodes + prompts that finish here
  double tokens() const { return prefill_tokens + decode_sequences; }

  // Adds a prompt chunk of `chunk` tokens after `context_before` tokens already in the cache.
  void add_prefill_chunk(double chunk, double context_before) {
    prefill_tokens += chunk;
    prefill_attention_pairs += chunk * (context_before + 0.5 * chunk);
  }
  void add_decode(double context_tokens) {
    decode_sequences += 1;
    decode_context_tokens += context_tokens;
  }
};

struct IterationBreakdown {
  double gemm_s = 0;         // projections, MLP / experts
  double attention_s = 0;    // prefill attention + decode KV reads
  double elementwise_s = 0;  // norms, residual adds
  double comm_s = 0;         // TP all-reduces, PP hand-offs
  double lm_head_s = 0;
  double overhead_s = 0;     // host-side scheduling and sampling
  double total_s() const { return gemm_s + attention_s + elementwise_s + comm_s + lm_head_s + overhead_s; }
};

class IterationCostModel {
 public:
  // Throws InputError when the GPU has no tensor cores for the weight format (FP4 on Hopper).
  IterationCostModel(const ReplicaSpec& replica, const Calibration& cal, const EngineLimits& limits);

  IterationBreakdown breakdown(const IterationBatch& b) const;
  double time_s(const IterationBatch& b) const { return breakdown(b).total_s(); }

  // Expected number of distinct experts that `tokens` tokens route to when each picks top_k of
  // num_experts uniformly (balanced routing): E (1 - (1 - k/E)^T).
  static double distinct_experts(double tokens, int num_experts, int top_k);

 private:
  struct LayerGroup {
    double count = 0;
    bool attention = true;       // attention mixer (else Mamba: projections only, no KV)
    bool moe = false;
    double mixer_params = 0;     // projection weights of the mixer, whole layer
    double dense_ffn_params = 0; // dense MLP, or the shared experts + router of an MoE layer
  };
  double layer_group_time_s(const LayerGroup& g, const IterationBatch& b, IterationBreakdown& out) const;
  // `params` of one layer part split over `shards` GPUs, applied to `tokens` tokens.
  double projection_time_s(double tokens, double params, double shards) const;

  ReplicaSpec r_;
  std::vector<LayerGroup> groups_;
  cost::GemmDevice gemm_, lm_head_gemm_;
  cost::AttentionDevice attention_;
  cost::Link tp_link_, pp_link_;
  double hbm_bytes_per_s_ = 0;
  double launch_s_ = 0;
  double operand_bytes_ = 2;
  double expert_params_ = 0;
  double kv_bytes_per_token_per_layer_ = 0;  // on one GPU
  double attention_heads_per_gpu_ = 0;
  double prefill_head_dim_ = 0, decode_head_dim_ = 0;
  double overhead_s_ = 0;
};

}  // namespace ct::serve

#pragma once
// One description of a model layer, shared by training and serving: the forward ops one GPU runs
// for a batch, in order, with their shapes, bytes and collectives, as functions of the batch's
// token counts. Training (workload/ops.cpp) costs it forward, derives backward and recompute from
// it and adds the pipeline and optimizer; serving (serve/iteration_cost.cpp) costs it per engine
// iteration and adds the KV cache and batching. The description is built once per layer kind and
// only its sizes are resolved per batch, which keeps both hot loops free of allocation.
#include <string>
#include <vector>

#include "clustertwin/cost/compute.hpp"
#include "clustertwin/model/model_spec.hpp"

namespace ct {

// Activations, the residual stream and the messages between GPUs are BF16.
inline constexpr double kActivationBytes = 2.0;

// Which of the batch's token counts an op's size follows.
enum class Rows : std::uint8_t {
  Tokens,    // tokens through the TP region: the whole batch on every TP rank
  Residual,  // tokens on this GPU's residual stream: 1/tp of them when it is split over TP
  Mixer,     // tokens through the mixer's GEMMs: the residual share under attention DP, else Tokens
  Routed,    // routed token copies through this GPU's expert GEMMs
};

enum class LayerOpKind : std::uint8_t {
  Gemm,
  Cast,         // quantisation of a GEMM input to the low-precision format
  Elementwise,  // a memory-bound kernel
  Attention,    // the attention core (how it runs, flash or unfused, prefill or decode, is the caller's)
  SsdScan,      // the Mamba-2 chunked scan
  TpEnter,      // start of a TP region: all-gather with a split residual, nothing with a replicated one
  TpExit,       // end of a TP region: reduce-scatter with a split residual, all-reduce with a replicated one
  EpDispatch,   // expert-parallel all-to-all of the routed tokens
  EpCombine,
  EtpGather,    // expert-tensor-parallel all-gather of the routed copies
  EtpScatter,
  CpExchange,   // ring attention's K/V exchange (context parallelism)
};

struct LayerOp {
  LayerOpKind kind = LayerOpKind::Gemm;
  std::string name;
  Rows rows = Rows::Tokens;
  // Gemm: C[m, n] = A[m, k] B[k, n] with m = rows (grouped: rows per active expert).
  double n = 0, k = 0;
  // Cast: elements per row; Elementwise: bytes per row; collectives: bytes per row in all.
  double per_row = 0;
  bool grouped = false;        // one GEMM per active local expert, launched as a group
  bool low_precision = true;   // in the run's GEMM format (the router stays in BF16)
  int kernels = 1;             // launches of an element-wise op
  double bwd_bytes = 1;        // Elementwise: the backward moves this multiple of the forward bytes
  bool sliding = false;        // Attention: a sliding-window layer
};

// The collective at a TP region's boundary, Megatron's f/g points (Korthikanti et al. 2022,
// fig. 4-5): entering, an all-gather of a split residual and nothing for a replicated one;
// leaving, a reduce-scatter or an all-reduce. A backward pass enters where the forward left.
enum class TpCollective : std::uint8_t { None, AllGather, ReduceScatter, AllReduce };
inline TpCollective tp_boundary_collective(bool entering, bool sequence_parallel) {
  if (entering) return sequence_parallel ? TpCollective::AllGather : TpCollective::None;
  return sequence_parallel ? TpCollective::ReduceScatter : TpCollective::AllReduce;
}

// How one GPU's share of a layer is cut.
struct LayerParallelism {
  int tp = 1, ep = 1, etp = 1;
  // The residual stream is split over TP: Megatron's sequence parallelism, and the engines'
  // attention DP (each rank keeps its own sequences between the MoE/MLP parts).
  bool sequence_parallel = false;
  // Attention DP (TensorRT-LLM enable_attention_dp, SGLang --enable-dp-attention): the mixer runs
  // on the rank's own tokens with all heads and unsplit weights; no TP collectives around it.
  bool mixer_data_parallel = false;
  // Experts sharded over the TP group like an MLP, every token routed on every rank after the
  // TP region starts (vLLM FusedMoE, TensorRT-LLM moe_tp): one reduction at the end. Otherwise
  // Megatron's token dispatcher: the residual shard is routed, dispatched over EP and its copies
  // all-gathered over ETP.
  bool experts_in_tp_region = false;
};

// The batch's token counts an op's rows resolve to.
struct BatchRows {
  double tokens = 0, residual = 0, mixer = 0, routed = 0;
  double active_experts = 1;  // local experts receiving at least one token (at least one)
  double of(Rows r) const {
    switch (r) {
      case Rows::Tokens: return tokens;
      case Rows::Residual: return residual;
      case Rows::Mixer: return mixer;
      case Rows::Routed: return routed;
    }
    return 0;
  }
  // The shape of a GEMM op for this batch (a grouped GEMM: one per active expert).
  cost::GemmShape gemm(const LayerOp& op) const {
    const double m = of(op.rows);
    return op.grouped ? cost::GemmShape{m / active_experts, op.n, op.k, active_experts} : cost::GemmShape{m, op.n, op.k, 1};
  }
};

// The forward ops of one layer of kind `spec`, in execution order: its token mixer (attention or
// Mamba), then its feed-forward part (dense MLP or experts); either may be empty.
struct LayerDescription {
  std::vector<LayerOp> mixer, ffn;
};
LayerDescription describe_layer(const ModelSpec& m, const LayerSpec& spec, const LayerParallelism& p);

// Token counts of a batch of `tokens` tokens per TP rank. `expert_load`: routed copies on the
// busiest expert GPU relative to balanced routing (1 = balanced).
BatchRows batch_rows(const ModelSpec& m, const LayerParallelism& p, double tokens, double expert_load);

// Expected experts of `experts` that `tokens` routing decisions, each picking top_k of
// num_experts uniformly, leave with at least one token: experts (1 - (1 - k/E)^T).
double active_experts(double experts, double tokens, int num_experts, int top_k);

// Attention heads on one GPU (whole heads; all of them under attention DP) and the head width
// the attention core's FLOPs follow (MLA: the mean of the 192-wide QK and 128-wide V heads).
double attention_heads_per_gpu(const ModelSpec& m, const LayerParallelism& p);
double attention_head_dim(const ModelSpec& m);
// MLA decode with the up-projections absorbed: QK over kv_lora + rope, V over kv_lora.
double absorbed_attention_head_dim(const ModelSpec& m);

// The Mamba-2 chunked scan over `tokens` tokens with heads split over `tp`: the intra-chunk
// attention-like product, the chunk-state FLOPs and the HBM bytes its kernel chain streams
// (forward; the backward does kAttentionBwdFlopRatio times the work).
struct SsdWork {
  cost::AttentionShape chunk;
  double state_flops = 0;
  double bytes = 0;
};
SsdWork ssd_work(const MambaSpec& m, double tokens, double tp);
// Its seconds: the chunk products and state FLOPs at the `fa2` kernel's efficiency (Triton
// kernels at the FlashAttention-2 level), unless the kernel chain's HBM traffic takes longer.
double ssd_time_s(const SsdWork& w, const cost::AttentionDevice& fa2, double hbm_bytes_per_s, bool backward);
// Kernels of the chunked scan (cumsum, chunk states, state passing, chunk scan, output), counted
// from mamba_ssm.
inline constexpr int kSsdScanKernels = 5;

}  // namespace ct

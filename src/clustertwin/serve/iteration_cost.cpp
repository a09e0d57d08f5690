#include "clustertwin/serve/iteration_cost.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "clustertwin/core/error.hpp"
#include "clustertwin/model/params.hpp"
#include "clustertwin/serve/kv_cache.hpp"
#include "clustertwin/serve/links.hpp"

namespace ct::serve {

namespace {

// Activations travel between GPUs and through norms in BF16.
constexpr double kActivationBytes = 2.0;
// Per token and layer, two RMSNorms (read + write) and two residual adds (read two, write one):
// (1 + 1) x 2 + (2 + 1) x 2 = 10 passes over the hidden state per layer.
constexpr double kElementwisePassesPerLayer = 10.0;
// Megatron-style TP: one all-reduce after attention and one after the MLP in every layer. With
// attention DP the batch is all-gathered before the MoE/MLP and reduce-scattered after it: the
// bytes and steps of one all-reduce.
constexpr double kAllReducesPerLayer = 2.0;
constexpr double kAllReducesPerLayerWithAttentionDp = 1.0;
// Attention FLOPs per query-key pair and head dimension: QK^T and PV, a multiply-add each.
constexpr double kAttentionFlopsPerPairDim = 4.0;

// HBM bytes an MoE layer moves outside its expert GEMMs, per token: the dispatch reads the hidden
// state and writes one copy per chosen expert (1 + k), the combine reads the k expert outputs
// and writes their weighted sum (k + 1), in BF16.
double moe_dispatch_combine_bytes_per_token(double hidden, int top_k) {
  return 2.0 * (top_k + 1.0) * hidden * kActivationBytes;
}

double gemm_fraction_for(const DeviceCalibration& dev, PeakFormat f, const ServingKernels& kernels) {
  if (f == PeakFormat::FP4 && kernels.nvfp4_gemm_fraction > 0) return kernels.nvfp4_gemm_fraction;
  if (auto it = dev.gemm_fraction.find(f); it != dev.gemm_fraction.end()) return it->second;
  // No micro-benchmark for this format: assume the next wider format's fraction of its own peak.
  if (f == PeakFormat::FP4)
    if (auto it = dev.gemm_fraction.find(PeakFormat::FP8); it != dev.gemm_fraction.end()) return it->second;
  return dev.gemm_fraction.at(PeakFormat::BF16);
}

}  // namespace

IterationCostModel::IterationCostModel(const ReplicaSpec& replica, const Calibration& cal, const EngineLimits& limits)
    : r_(replica) {
  const GpuSpec& gpu = r_.system.gpu;
  const DeviceCalibration& dev = cal.device(gpu.id);
  const PeakFormat fmt = gemm_peak_format(r_.weights);
  if (gpu.peak(fmt) <= 0)
    throw InputError("replica", "precision",
                     fmt::format("{} has no tensor-core peak for {} weights", gpu.name, to_string(r_.weights)));
  hbm_bytes_per_s_ = gpu.hbm_bytes_per_s * dev.hbm_fraction;
  launch_s_ = cal.kernels.launch_overhead_s;
  operand_bytes_ = weight_bytes_per_param(r_.weights);
  gemm_ = {gpu.peak(fmt), gemm_fraction_for(dev, fmt, limits.kernels), hbm_bytes_per_s_,
           gpu.sm_count, cal.kernels.gemm_tile_m, cal.kernels.gemm_tile_n, launch_s_};
  lm_head_gemm_ = gemm_;
  lm_head_gemm_.peak_flops = gpu.peak(PeakFormat::BF16);
  lm_head_gemm_.achievable_fraction = gemm_fraction_for(dev, PeakFormat::BF16, limits.kernels);
  const AttentionEfficiency& att = dev.attention.at(AttentionKernel::Native);
  attention_ = {gpu.peak(PeakFormat::BF16), att.fwd_fraction, att.bwd_fraction, cal.kernels.attention_seq_half,
                launch_s_};
  if (r_.tp > 1) tp_link_ = tp_all_reduce_link(r_, dev, cal.network, limits.pcie);
  if (r_.pp > 1) pp_link_ = pp_hand_off_link(r_, dev, cal.network, limits.pcie);
  overhead_s_ = limits.iteration_overhead_s;

  const ModelSpec& m = r_.model;
  std::map<LayerSpec, double> counts;
  for (std::int64_t i = 0; i < m.layers; ++i) counts[m.layer(i)] += 1;
  const bool moe_everywhere = m.layer_plan.empty() && m.moe.enabled();
  expert_params_ = m.moe.enabled() ? expert_params(m) : 0.0;
  for (const auto& [spec, n] : counts) {
    LayerGroup g;
    g.count = n;
    g.attention = spec.mixer == MixerKind::Attention;
    g.mixer_params = g.attention ? attention_params(m) : spec.mixer == MixerKind::Mamba ? mamba_params(m) : 0.0;
    g.moe = spec.ffn == FfnKind::Moe || (moe_everywhere && spec.ffn == FfnKind::Dense);
    if (g.moe)
      g.dense_ffn_params = moe_params(m) - m.moe.num_experts * expert_params_;  // router + shared experts
    else if (spec.ffn == FfnKind::Dense)
      g.dense_ffn_params = mlp_params(m);
    groups_.push_back(g);
  }
  const std::int64_t kv_layers = std::max<std::int64_t>(1, kv_cache_layers(m));
  ReplicaSpec one_stage = r_;
  one_stage.pp = 1;
  kv_bytes_per_token_per_layer_ = replica_kv_bytes_per_token_per_gpu(one_stage) / static_cast<double>(kv_layers);
  // With attention DP a rank runs all heads over 1/tp of the sequences: the same work per GPU as
  // heads split evenly.
  const double heads = static_cast<double>(m.heads);
  attention_heads_per_gpu_ = r_.attention_dp ? heads / r_.tp : std::ceil(heads / r_.tp);
  if (m.mla.enabled()) {
    // Prefill runs MLA as ordinary attention (192-wide QK, 128-wide V for DeepSeek-V3); decode
    // absorbs the up-projections and attends over the latent: QK over kv_lora + rope, V over kv_lora.
    prefill_head_dim_ = 0.5 * static_cast<double>(m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim + m.mla.v_head_dim);
    decode_head_dim_ = 0.5 * static_cast<double>(2 * m.mla.kv_lora_rank + m.mla.qk_rope_head_dim);
  } else {
    prefill_head_dim_ = decode_head_dim_ = static_cast<double>(m.head_dim);
  }
}

double IterationCostModel::distinct_experts(double tokens, int num_experts, int top_k) {
  if (num_experts <= 0 || tokens <= 0) return 0.0;
  const double e = num_experts;
  return e * (1.0 - std::pow(1.0 - static_cast<double>(top_k) / e, tokens));
}

double IterationCostModel::projection_time_s(double tokens, double params, double shards) const {
  if (params <= 0 || tokens <= 0) return 0.0;
  // All of a layer part's matrices as one GEMM of the same FLOPs and weight bytes: exact for the
  // roofline's two terms, approximate only in wave quantisation.
  const double hidden = static_cast<double>(r_.model.hidden);
  const cost::GemmShape s{tokens, params / hidden / shards, hidden, 1};
  return cost::gemm_time_s(s, gemm_, operand_bytes_, kActivationBytes);
}

double IterationCostModel::layer_group_time_s(const LayerGroup& g, const IterationBatch& b,
                                              IterationBreakdown& out) const {
  const double tokens = b.tokens();
  const double hidden = static_cast<double>(r_.model.hidden);
  const double tp = r_.tp;
  const bool replicated_mixer = r_.attention_dp && g.attention;  // all weights, 1/tp of the tokens
  double gemm_s = replicated_mixer ? projection_time_s(tokens / tp, g.mixer_params, 1)
                                   : projection_time_s(tokens, g.mixer_params, tp);
  gemm_s += projection_time_s(tokens, g.dense_ffn_params, tp);
  if (g.moe) {
    const MoeSpec& moe = r_.model.moe;
    const double experts = distinct_experts(tokens, moe.num_experts, moe.top_k);
    const double tokens_per_expert = tokens * moe.top_k / experts;
    const cost::GemmShape s{tokens_per_expert, expert_params_ / hidden / r_.tp, hidden, experts};
    gemm_s += cost::gemm_time_s(s, gemm_, operand_bytes_, kActivationBytes);
  }
  double attention_s = 0;
  if (g.attention && b.prefill_tokens > 0) {
    const cost::AttentionShape s{1, attention_heads_per_gpu_, b.prefill_tokens,
                                 b.prefill_attention_pairs / b.prefill_tokens, prefill_head_dim_, false};
    attention_s += cost::attention_fwd_time_s(s, attention_);
  }
  if (g.attention && b.decode_sequences > 0) {
    // Decode attention reads every cached token once: memory-bound unless the heads are many and
    // wide (MLA), where the FLOPs take over.
    const double read_s = b.decode_context_tokens * kv_bytes_per_token_per_layer_ / hbm_bytes_per_s_;
    const double flops = kAttentionFlopsPerPairDim * attention_heads_per_gpu_ * b.decode_context_tokens * decode_head_dim_;
    const double compute_s = flops / (attention_.peak_flops * attention_.fwd_fraction);
    attention_s += std::max(read_s, compute_s) + launch_s_;
  }
  double elementwise_bytes = tokens * hidden * kActivationBytes * kElementwisePassesPerLayer;
  if (g.moe) elementwise_bytes += tokens * moe_dispatch_combine_bytes_per_token(hidden, r_.model.moe.top_k);
  const double elementwise_s = cost::memory_bound_time_s(elementwise_bytes, hbm_bytes_per_s_, launch_s_);
  const double all_reduces = r_.attention_dp ? kAllReducesPerLayerWithAttentionDp : kAllReducesPerLayer;
  const double comm_s =
      r_.tp > 1 ? all_reduces * cost::all_reduce_time_s(tokens * hidden * kActivationBytes, r_.tp, tp_link_) : 0.0;
  out.gemm_s += g.count * gemm_s;
  out.attention_s += g.count * attention_s;
  out.elementwise_s += g.count * elementwise_s;
  out.comm_s += g.count * comm_s;
  return g.count * (gemm_s + attention_s + elementwise_s + comm_s);
}

IterationBreakdown IterationCostModel::breakdown(const IterationBatch& b) const {
  IterationBreakdown out;
  if (b.tokens() <= 0) return out;
  for (const LayerGroup& g : groups_) layer_group_time_s(g, b, out);
  const double hidden = static_cast<double>(r_.model.hidden);
  if (b.sampled_sequences > 0) {
    const cost::GemmShape s{b.sampled_sequences, static_cast<double>(r_.model.vocab) / r_.tp, hidden, 1};
    out.lm_head_s = cost::gemm_time_s(s, lm_head_gemm_, kActivationBytes, kActivationBytes);
  }
  if (r_.pp > 1) out.comm_s += (r_.pp - 1) * cost::p2p_time_s(b.tokens() * hidden * kActivationBytes, pp_link_);
  out.overhead_s = overhead_s_;
  return out;
}

}  // namespace ct::serve

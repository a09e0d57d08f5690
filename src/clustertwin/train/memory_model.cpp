#include "clustertwin/train/memory_model.hpp"

#include <algorithm>

namespace ct {

namespace {

// Saved bytes per token of the residual stream, split into what TP shards and what it
// replicates (without sequence parallelism), in units of the hidden size h.
struct PerToken {
  double replicated = 0, sharded = 0;
};

PerToken attention_saved(const ModelSpec& m, const ParallelLayout& l, double in_bytes, bool dropout) {
  const double h = static_cast<double>(m.hidden);
  // Widths of Q, K, V and the attention output, in units of h.
  double q = static_cast<double>(m.q_dim()) / h, k = static_cast<double>(m.kv_dim()) / h, v = k, o = q;
  PerToken t;
  const double norm_out = l.recomputes(kRecomputeLayerNorm) ? 0 : in_bytes;  // the projection input
  t.replicated = 2 /*input norm*/ + norm_out + (dropout ? 1 : 0) /*dropout mask*/;
  bool qkv_kept = true;
  if (m.mla.enabled()) {
    const MlaSpec& a = m.mla;
    const double heads = static_cast<double>(m.heads);
    q = k = heads * (a.qk_nope_head_dim + a.qk_rope_head_dim) / h;  // K expanded per head
    v = o = heads * a.v_head_dim / h;
    t.replicated += (a.q_lora_rank + a.kv_lora_rank) * in_bytes / h;  // latents feeding the up-projections
    qkv_kept = !l.recomputes(kRecomputeMlaUpProj);
  }
  t.sharded = (qkv_kept ? 2 * (q + k + v) : 0) /*Q, K, V*/ + in_bytes * o /*attention output = out_proj input*/;
  return t;
}

PerToken mamba_saved(const ModelSpec& m, double in_bytes) {
  const MambaSpec& s = m.mamba;
  const double h = static_cast<double>(m.hidden), d = static_cast<double>(s.inner()) / h;
  const double bc = 2.0 * s.groups * s.state / h, heads = static_cast<double>(s.heads) / h;
  return {2 + in_bytes, 2 * (2 * d + bc + heads) /*in_proj out*/ + 2 * (d + bc) /*conv out*/ + 2 * d /*scan out*/ +
                            in_bytes * d /*out_proj input*/};
}

PerToken mlp_saved(double f_over_h, bool gated, double in_bytes, bool dropout) {
  return {2 /*norm*/ + in_bytes /*fc1 input*/ + (dropout ? 1 : 0), 2 * f_over_h * (gated ? 2 : 1) + in_bytes * f_over_h};
}

// A dense MLP block under the layout's recompute modules.
PerToken dense_mlp_saved(const ModelSpec& m, const ParallelLayout& l, double in_bytes, bool dropout) {
  if (l.recomputes(kRecomputeMlp)) return {2 /*norm*/ + 2 /*checkpointed block input*/, 0};
  PerToken t = mlp_saved(static_cast<double>(m.ffn_hidden) / static_cast<double>(m.hidden), m.gated_mlp(), in_bytes, dropout);
  if (l.recomputes(kRecomputeLayerNorm)) t.replicated -= in_bytes;
  return t;
}

PerToken moe_saved(const ModelSpec& m, const ParallelLayout& l, double in_bytes) {
  const MoeSpec& e = m.moe;
  // kg: routed copies through this GPU's expert GEMMs per token (with expert tensor parallelism
  // the gathered tokens, etp x, at 1/etp of the FFN width f).
  const double h = static_cast<double>(m.hidden), k = e.top_k, kg = k * l.etp,
               f = static_cast<double>(e.expert_ffn_hidden) / h / l.etp;
  const double w = e.latent_size > 0 ? static_cast<double>(e.latent_size) / h : 1.0;  // routed width / h
  PerToken t;
  // All per token of the residual stream; MoE tokens are sequence-parallel, so all of it shards.
  const double router_in = l.recomputes(kRecomputeLayerNorm) ? 0 : 2, fc2_in = l.recomputes(kRecomputeMoeAct) ? 0 : in_bytes;
  t.sharded = 2 /*norm*/ + router_in + kg * in_bytes * w /*expert fc1 input*/ + kg * 2 * f * (e.gated ? 2 : 1) +
              kg * fc2_in * f /*expert fc2 input*/ + k * 2 * w /*combined outputs*/ + (w < 1 ? 4 * w : 0) /*latents*/;
  if (e.shared_ffn_hidden > 0) {
    const PerToken s = mlp_saved(static_cast<double>(e.shared_ffn_hidden) / h, e.gated, in_bytes, false);
    t.sharded += s.sharded + s.replicated - 2;  // shares the norm
  }
  return t;
}

}  // namespace

double layer_activation_bytes(const ModelSpec& m, const ParallelLayout& l, const LayerSpec& spec, bool flash_attention) {
  const double s = static_cast<double>(l.seq_len) / l.cp, b = l.micro_batch, h = static_cast<double>(m.hidden);
  const double t = l.tp, a = static_cast<double>(m.heads);
  const bool dropout = m.dropout > 0;
  // GEMM inputs Transformer Engine keeps in FP8/FP4 for the backward pass.
  const double in_bytes = is_low_precision(l.precision) ? gemm_operand_bytes(l.precision) : 2.0;
  PerToken total;
  auto add = [&](PerToken p) {
    total.replicated += p.replicated;
    total.sharded += p.sharded;
  };
  if (spec.mixer == MixerKind::Attention) add(attention_saved(m, l, in_bytes, dropout));
  if (spec.mixer == MixerKind::Mamba) add(mamba_saved(m, in_bytes));
  if (spec.ffn == FfnKind::Dense) add(dense_mlp_saved(m, l, in_bytes, dropout));
  if (spec.ffn == FfnKind::Moe) add(moe_saved(m, l, in_bytes));
  const double per_sbh = l.sequence_parallel ? (total.replicated + total.sharded) / t : total.replicated + total.sharded / t;
  double bytes = per_sbh * s * b * h;
  // Unfused attention keeps the softmax scores, their dropout mask and output: 5 a s^2 b.
  const double keys = spec.sliding_window && m.sliding_window > 0 ? std::min<double>(s, m.sliding_window) : s;
  if (spec.mixer == MixerKind::Attention && !flash_attention) bytes += 5.0 * a * s * keys * b / t;
  return bytes;
}

double layer_activation_bytes(const ModelSpec& m, const ParallelLayout& l, bool flash_attention) {
  return layer_activation_bytes(m, l, LayerSpec{}, flash_attention);
}

double layer_checkpoint_bytes(const ModelSpec& m, const ParallelLayout& l) {
  const double s = static_cast<double>(l.seq_len) / l.cp;
  const double bytes = 2.0 * s * l.micro_batch * static_cast<double>(m.hidden);
  return l.sequence_parallel ? bytes / l.tp : bytes;
}

MemoryBreakdown state_memory(double params, const ParallelLayout& l, const SoftwareProfile& p, int shard_ranks) {
  const double shard = shard_ranks > 0 ? shard_ranks : l.shard_size();
  MemoryBreakdown mem;
  double weight_bytes = p.weight_bytes_per_param;
  if (is_low_precision(l.precision)) {
    // Trained weights keep a narrow copy next to the BF16 ones; frozen (LoRA) base weights are
    // stored in the compute format only.
    weight_bytes = l.lora ? gemm_operand_bytes(l.precision) : weight_bytes + gemm_operand_bytes(l.precision);
  }
  mem.weights_bytes = params * weight_bytes / (l.sharding == DpSharding::Zero3 ? shard : 1.0);
  if (l.lora) return mem;  // frozen base: no gradients or optimizer state beyond the tiny adapters
  const bool shard_grads = l.sharding == DpSharding::Zero2 || l.sharding == DpSharding::Zero3;
  mem.gradients_bytes = params * p.grad_bytes_per_param / (shard_grads ? shard : 1.0);
  const bool shard_optimizer = l.sharding != DpSharding::None;
  const double optimizer =
      params * (p.master_bytes_per_param + p.optimizer_state_bytes_per_param) / (shard_optimizer ? shard : 1.0);
  mem.optimizer_bytes = optimizer * (1 - l.optimizer_offload);
  mem.host_bytes = optimizer * l.optimizer_offload;
  return mem;
}

}  // namespace ct

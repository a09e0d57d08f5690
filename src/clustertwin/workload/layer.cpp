#include "clustertwin/workload/layer.hpp"

#include <algorithm>
#include <cmath>

namespace ct {

namespace {

// Kernel launches of multi-kernel ops (Megatron-Core MoE router and token permutation), counted
// from their implementations.
constexpr int kRouterKernels = 8, kPermuteKernels = 4;

class Describer {
 public:
  Describer(const ModelSpec& m, const LayerParallelism& p) : m_(m), p_(p), h_(static_cast<double>(m.hidden)) {}

  std::vector<LayerOp> ops;

  void gemm(std::string name, Rows rows, double n, double k, bool low_precision = true, bool grouped = false) {
    LayerOp op{LayerOpKind::Gemm, std::move(name), rows, n, k};
    op.low_precision = low_precision;
    op.grouped = grouped;
    ops.push_back(std::move(op));
  }
  // A GEMM in the low-precision format with its input quantised first (`<name>.cast`).
  void cast_gemm(const std::string& cast_name, std::string name, Rows rows, double n, double k, bool grouped = false) {
    LayerOp cast{LayerOpKind::Cast, cast_name, rows};
    cast.per_row = k;
    cast.grouped = grouped;
    ops.push_back(std::move(cast));
    gemm(std::move(name), rows, n, k, true, grouped);
  }
  void elementwise(std::string name, Rows rows, double bytes_per_row, double bwd_bytes = 1, int kernels = 1) {
    LayerOp op{LayerOpKind::Elementwise, std::move(name), rows};
    op.per_row = bytes_per_row;
    op.bwd_bytes = bwd_bytes;
    op.kernels = kernels;
    ops.push_back(std::move(op));
  }
  void comm(LayerOpKind kind, std::string name, Rows rows, double bytes_per_row) {
    LayerOp op{kind, std::move(name), rows};
    op.per_row = bytes_per_row;
    ops.push_back(std::move(op));
  }
  // A TP region's boundary on the residual stream (only where the part is split over TP).
  void tp_boundary(LayerOpKind kind, std::string name, bool split) {
    if (split && p_.tp > 1) comm(kind, std::move(name), Rows::Tokens, h_ * kActivationBytes);
  }
  void norm(std::string name) { elementwise(std::move(name), Rows::Residual, 2 * h_ * kActivationBytes, 2); }
  void residual_add() { elementwise("residual_add", Rows::Residual, 3 * h_ * kActivationBytes); }

  // A dense MLP (GeLU, squared ReLU or SwiGLU) of width `f` on one GPU.
  void mlp(const std::string& prefix, Rows rows, double f, bool gated, const char* act) {
    cast_gemm(prefix + "fc1.cast", prefix + (gated ? "gate_up" : "fc1"), rows, (gated ? 2 : 1) * f, h_);
    elementwise(prefix + act, rows, (gated ? 3.0 : 2.0) * f * kActivationBytes, 2);
    cast_gemm(prefix + "fc2.cast", prefix + "down", rows, h_, f);
  }

  void attention(bool sliding) {
    const bool split = !p_.mixer_data_parallel;
    const double t = split ? p_.tp : 1;
    const double heads = static_cast<double>(m_.heads) / t;
    const double kv = static_cast<double>(m_.kv_dim()) / t;
    double q_width = static_cast<double>(m_.q_dim()) / t, v_width = q_width;
    norm("input_norm");
    tp_boundary(LayerOpKind::TpEnter, "attn_in", split);
    if (m_.mla.enabled()) {
      const MlaSpec& a = m_.mla;
      q_width = heads * static_cast<double>(a.qk_nope_head_dim + a.qk_rope_head_dim);
      v_width = heads * static_cast<double>(a.v_head_dim);
      const double q_rank = static_cast<double>(a.q_lora_rank), kv_rank = static_cast<double>(a.kv_lora_rank);
      if (a.q_lora_rank > 0) {
        cast_gemm("q_down_proj.cast", "q_down_proj", Rows::Mixer, q_rank, h_);
        cast_gemm("q_up_proj.cast", "q_up_proj", Rows::Mixer, q_width, q_rank);
      } else {
        cast_gemm("q_proj.cast", "q_proj", Rows::Mixer, q_width, h_);
      }
      cast_gemm("kv_down_proj.cast", "kv_down_proj", Rows::Mixer, kv_rank + static_cast<double>(a.qk_rope_head_dim), h_);
      cast_gemm("kv_up_proj.cast", "kv_up_proj", Rows::Mixer,
                heads * static_cast<double>(a.qk_nope_head_dim + a.v_head_dim), kv_rank);
    } else {
      cast_gemm("qkv_proj.cast", "qkv_proj", Rows::Mixer, q_width + 2 * kv, h_);
    }
    if (m_.position == PositionKind::Rope) elementwise("rope", Rows::Mixer, 2 * (q_width + kv) * kActivationBytes);
    ops.push_back({LayerOpKind::CpExchange, "cp_ring", Rows::Mixer});
    LayerOp core{LayerOpKind::Attention, "core_attention", Rows::Mixer};
    core.sliding = sliding;
    ops.push_back(std::move(core));
    cast_gemm("out_proj.cast", "out_proj", Rows::Mixer, h_, v_width);
    tp_boundary(LayerOpKind::TpExit, "attn_out", split);
    residual_add();
  }

  // Mamba-2 mixer: in-projection, causal conv, chunked scan (SSD), gated norm, out-projection.
  void mamba() {
    const MambaSpec& mb = m_.mamba;
    const bool split = !p_.mixer_data_parallel;
    const double t = split ? p_.tp : 1;
    const double inner = static_cast<double>(mb.inner()) / t, heads = static_cast<double>(mb.heads) / t;
    // B and C are split over TP only as far as their groups go.
    const double bc = 2.0 * mb.groups * mb.state / std::max(1.0, std::min(t, static_cast<double>(mb.groups)));
    norm("input_norm");
    tp_boundary(LayerOpKind::TpEnter, "mamba_in", split);
    cast_gemm("in_proj.cast", "mamba_in_proj", Rows::Mixer, 2 * inner + bc + heads, h_);
    elementwise("causal_conv1d", Rows::Mixer, 2 * (inner + bc) * kActivationBytes, 2);
    ops.push_back({LayerOpKind::SsdScan, "ssd_scan", Rows::Mixer});
    elementwise("gated_rmsnorm", Rows::Mixer, 3 * inner * kActivationBytes, 2);
    cast_gemm("out_proj.cast", "mamba_out_proj", Rows::Mixer, h_, inner);
    tp_boundary(LayerOpKind::TpExit, "mamba_out", split);
    residual_add();
  }

  void dense_mlp() {
    norm("pre_mlp_norm");
    tp_boundary(LayerOpKind::TpEnter, "mlp_in", true);
    mlp("mlp_", Rows::Tokens, static_cast<double>(m_.ffn_hidden) / p_.tp, m_.gated_mlp(), activation());
    tp_boundary(LayerOpKind::TpExit, "mlp_out", true);
    residual_add();
  }

  // Routed experts (router, permutation, dispatch, grouped expert GEMMs, combine) and shared
  // experts. Latent MoE (Nemotron-3 Super) projects tokens to a narrower width before dispatch.
  void moe() {
    const MoeSpec& e = m_.moe;
    const bool in_tp = p_.experts_in_tp_region;
    const Rows route = in_tp ? Rows::Tokens : Rows::Residual;  // the tokens routed on this GPU
    const double k = e.top_k, E = e.num_experts;
    const double width = e.latent_size > 0 ? static_cast<double>(e.latent_size) : h_;
    const double f = static_cast<double>(e.expert_ffn_hidden) / (in_tp ? p_.tp : p_.etp);  // this GPU's slice
    const double permute_bytes = 2 * k * width * kActivationBytes;
    const char* act = e.gated ? "swiglu" : "relu2";
    norm("pre_mlp_norm");
    tp_boundary(LayerOpKind::TpEnter, "moe_in", in_tp);
    gemm("router", route, E, h_, /*low_precision=*/false);
    elementwise("router_topk", route, E * 4 * 2, 1, kRouterKernels);
    if (e.latent_size > 0) gemm("to_latent", route, width, h_);
    elementwise("permute", route, permute_bytes, 1, kPermuteKernels);
    if (!in_tp) comm(LayerOpKind::EpDispatch, "dispatch", Rows::Residual, width * kActivationBytes);
    if (!in_tp && p_.etp > 1) comm(LayerOpKind::EtpGather, "experts_in", Rows::Routed, width * kActivationBytes);
    cast_gemm("experts_fc1.cast", e.gated ? "experts_gate_up" : "experts_fc1", Rows::Routed, (e.gated ? 2 : 1) * f,
              width, true);
    elementwise(std::string("experts_") + act, Rows::Routed, (e.gated ? 3.0 : 2.0) * f * kActivationBytes, 2);
    cast_gemm("experts_fc2.cast", "experts_down", Rows::Routed, width, f, true);
    if (!in_tp && p_.etp > 1) comm(LayerOpKind::EtpScatter, "experts_out", Rows::Routed, width * kActivationBytes);
    if (!in_tp) comm(LayerOpKind::EpCombine, "combine", Rows::Residual, width * kActivationBytes);
    elementwise("unpermute", route, permute_bytes, 1, kPermuteKernels);
    if (e.latent_size > 0) gemm("from_latent", route, h_, width);
    if (e.shared_ffn_hidden > 0)
      mlp("shared_expert_", route, static_cast<double>(e.shared_ffn_hidden) / (in_tp ? p_.tp : 1), e.gated, act);
    tp_boundary(LayerOpKind::TpExit, "moe_out", in_tp);
    residual_add();
  }

 private:
  const char* activation() const {
    return m_.mlp == MlpKind::SwiGlu ? "swiglu" : (m_.mlp == MlpKind::Gelu ? "gelu" : "relu2");
  }

  const ModelSpec& m_;
  const LayerParallelism& p_;
  double h_;
};

}  // namespace

LayerDescription describe_layer(const ModelSpec& m, const LayerSpec& spec, const LayerParallelism& p) {
  LayerDescription out;
  Describer mixer(m, p), ffn(m, p);
  if (spec.mixer == MixerKind::Attention) mixer.attention(spec.sliding_window);
  if (spec.mixer == MixerKind::Mamba) mixer.mamba();
  if (spec.ffn == FfnKind::Dense) ffn.dense_mlp();
  if (spec.ffn == FfnKind::Moe) ffn.moe();
  out.mixer = std::move(mixer.ops);
  out.ffn = std::move(ffn.ops);
  return out;
}

double active_experts(double experts, double tokens, int num_experts, int top_k) {
  if (num_experts <= 0 || tokens <= 0) return 0.0;
  return experts * (1.0 - std::pow(1.0 - static_cast<double>(top_k) / num_experts, tokens));
}

BatchRows batch_rows(const ModelSpec& m, const LayerParallelism& p, double tokens, double expert_load) {
  BatchRows r;
  r.tokens = tokens;
  r.residual = p.sequence_parallel ? tokens / p.tp : tokens;
  r.mixer = p.mixer_data_parallel ? r.residual : tokens;
  if (!m.moe.enabled()) return r;
  const double k = m.moe.top_k;
  // Megatron: the residual shards of the EP x ETP group route to this GPU's E/ep experts, and the
  // ETP group gathers its copies; engines: every rank routes the whole batch to all experts.
  const double routed_from = p.experts_in_tp_region ? tokens : r.residual * p.etp;
  const double deciding = p.experts_in_tp_region ? tokens : routed_from * p.ep;
  const double local = p.experts_in_tp_region ? m.moe.num_experts : static_cast<double>(m.moe.num_experts) / p.ep;
  r.routed = routed_from * k * expert_load;
  // At least one expert, so that an empty batch gives empty grouped GEMMs rather than 0 / 0.
  r.active_experts = std::max(1.0, active_experts(local, deciding, m.moe.num_experts, m.moe.top_k));
  return r;
}

double attention_heads_per_gpu(const ModelSpec& m, const LayerParallelism& p) {
  const double heads = static_cast<double>(m.heads);
  return p.mixer_data_parallel ? heads : std::ceil(heads / p.tp);
}

double attention_head_dim(const ModelSpec& m) {
  const MlaSpec& a = m.mla;
  return a.enabled() ? 0.5 * static_cast<double>(a.qk_nope_head_dim + a.qk_rope_head_dim + a.v_head_dim)
                     : static_cast<double>(m.head_dim);
}

double absorbed_attention_head_dim(const ModelSpec& m) {
  const MlaSpec& a = m.mla;
  return a.enabled() ? 0.5 * static_cast<double>(2 * a.kv_lora_rank + a.qk_rope_head_dim) : static_cast<double>(m.head_dim);
}

SsdWork ssd_work(const MambaSpec& m, double tokens, double tp) {
  SsdWork w;
  cost::AttentionShape& a = w.chunk;
  a.batch = tokens / static_cast<double>(m.chunk);
  a.heads = static_cast<double>(m.heads) / tp;
  a.q_len = a.kv_len = static_cast<double>(m.chunk);
  a.head_dim = 0.5 * static_cast<double>(m.state + m.head_dim);
  a.causal = true;
  w.state_flops = 4.0 * tokens * a.heads * m.head_dim * m.state;
  // The kernel chain streams x, B, C, y and writes and reads the FP32 chunk states.
  const double inner = static_cast<double>(m.inner()) / tp, bc = 2.0 * m.groups * m.state;
  const double states = tokens / m.chunk * a.heads * m.head_dim * m.state * 4.0;
  w.bytes = tokens * (3 * inner + 2 * bc) * kActivationBytes + 2 * states;
  return w;
}

double ssd_time_s(const SsdWork& w, const cost::AttentionDevice& fa2, double hbm_bytes_per_s, bool backward) {
  const double chunk_s = backward ? cost::attention_bwd_time_s(w.chunk, fa2) : cost::attention_fwd_time_s(w.chunk, fa2);
  const double ratio = backward ? cost::kAttentionBwdFlopRatio : 1.0;
  const double state_s = ratio * w.state_flops / (fa2.peak_flops * (backward ? fa2.bwd_fraction : fa2.fwd_fraction));
  const double kernels = (backward ? 2.0 : 1.0) * kSsdScanKernels;
  const double memory_s = cost::memory_bound_time_s(ratio * w.bytes, hbm_bytes_per_s, kernels * fa2.launch_overhead_s);
  return std::max(chunk_s + state_s, memory_s);
}

}  // namespace ct

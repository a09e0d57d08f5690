#include "clustertwin/cost/flops.hpp"

#include <algorithm>

#include "clustertwin/model/params.hpp"

namespace ct::cost {
namespace {

// Weights of the matrix multiplies one token goes through in a layer (biases and norms excluded,
// routed experts counted top_k times, the router included).
double matmul_params_per_token(const ModelSpec& m, const LayerSpec& l) {
  const double h = static_cast<double>(m.hidden);
  double p = 0;
  if (l.mixer == MixerKind::Attention) {
    if (m.mla.enabled()) {
      const MlaSpec& a = m.mla;
      const double heads = static_cast<double>(m.heads);
      const double qk = static_cast<double>(a.qk_nope_head_dim + a.qk_rope_head_dim);
      p += a.q_lora_rank > 0 ? h * a.q_lora_rank + a.q_lora_rank * heads * qk : h * heads * qk;
      p += h * (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank * heads * (a.qk_nope_head_dim + a.v_head_dim);
      p += heads * a.v_head_dim * h;
    } else {
      p += h * (m.q_dim() + 2.0 * m.kv_dim()) + static_cast<double>(m.q_dim()) * h;
    }
  }
  if (l.mixer == MixerKind::Mamba) {
    const MambaSpec& s = m.mamba;
    p += h * (2.0 * s.inner() + 2.0 * s.groups * s.state + s.heads) + static_cast<double>(s.inner()) * h;
  }
  auto ffn = [&](double f, bool gated) { return (gated ? 3 : 2) * h * f; };
  if (l.ffn == FfnKind::Dense) p += ffn(static_cast<double>(m.ffn_hidden), m.gated_mlp());
  if (l.ffn == FfnKind::Moe) {
    const MoeSpec& e = m.moe;
    const double width = e.latent_size > 0 ? static_cast<double>(e.latent_size) : h;
    const double expert = (e.gated ? 3 : 2) * width * e.expert_ffn_hidden;
    p += h * e.num_experts + e.top_k * expert + ffn(static_cast<double>(e.shared_ffn_hidden), e.gated) +
         (e.latent_size > 0 ? 2 * h * width : 0.0);
  }
  return p;
}

// Forward FLOPs per token of the attention-like core over `seq` tokens, without the causal mask.
double mixer_core_flops_per_token(const ModelSpec& m, const LayerSpec& l, double seq) {
  if (l.mixer == MixerKind::Attention) {
    const double keys = l.sliding_window && m.sliding_window > 0 ? std::min<double>(seq, m.sliding_window) : seq;
    const double heads = static_cast<double>(m.heads);
    const double qk = m.mla.enabled() ? heads * (m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim) : m.q_dim();
    const double v = m.mla.enabled() ? heads * m.mla.v_head_dim : m.q_dim();
    return 2.0 * keys * (qk + v);  // QK^T and PV
  }
  if (l.mixer == MixerKind::Mamba) {
    const MambaSpec& s = m.mamba;
    return 2.0 * s.chunk * s.heads * (s.state + s.head_dim) + 4.0 * s.heads * s.head_dim * s.state;
  }
  return 0.0;
}

}  // namespace

double megatron_model_flops(const ModelSpec& m, double batch, double seq_len) {
  double per_token = 2.0 * m.hidden * m.vocab;  // LM head
  for (std::int64_t i = 0; i < m.layers; ++i) {
    const LayerSpec l = m.layer(i);
    per_token += 2.0 * matmul_params_per_token(m, l) + mixer_core_flops_per_token(m, l, seq_len);
  }
  return 3.0 * batch * seq_len * per_token;
}

double six_n_model_flops(const ModelSpec& m, double batch, double seq_len) {
  const double n = active_params(m);
  double attention = 0;
  for (std::int64_t i = 0; i < m.layers; ++i) attention += 3.0 * mixer_core_flops_per_token(m, m.layer(i), seq_len);
  return batch * seq_len * (6.0 * n + attention);
}

}  // namespace ct::cost

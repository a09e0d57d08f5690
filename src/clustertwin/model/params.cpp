#include "clustertwin/model/params.hpp"

namespace ct {

double attention_params(const ModelSpec& m) {
  const double h = static_cast<double>(m.hidden);
  if (m.mla.enabled()) {
    const MlaSpec& a = m.mla;
    const double heads = static_cast<double>(m.heads);
    const double qk = static_cast<double>(a.qk_nope_head_dim + a.qk_rope_head_dim);
    const double q = a.q_lora_rank > 0 ? h * a.q_lora_rank + a.q_lora_rank + a.q_lora_rank * heads * qk : h * heads * qk;
    const double kv = h * (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank +
                      a.kv_lora_rank * heads * (a.qk_nope_head_dim + a.v_head_dim);
    return q + kv + heads * a.v_head_dim * h;
  }
  const double q = static_cast<double>(m.q_dim()), kv = static_cast<double>(m.kv_dim());
  const double weights = h * (q + 2 * kv) + q * h;
  return weights + (m.bias ? q + 2 * kv + h : 0.0);
}

double mamba_params(const ModelSpec& m) {
  const MambaSpec& s = m.mamba;
  const double h = static_cast<double>(m.hidden), d = static_cast<double>(s.inner());
  const double bc = 2.0 * s.groups * s.state;
  const double in_proj = h * (2 * d + bc + s.heads);  // z, x, B, C, dt
  const double conv = (d + bc) * (s.conv_kernel + 1);  // depthwise kernel + bias
  return in_proj + conv + 3.0 * s.heads /*A, D, dt bias*/ + d /*gated norm*/ + d * h /*out_proj*/;
}

static double ffn_params(const ModelSpec& m, double f, bool gated) {
  const double h = static_cast<double>(m.hidden);
  return (gated ? 3 : 2) * h * f + (m.bias ? (gated ? 2 * f : f) + h : 0.0);
}

double mlp_params(const ModelSpec& m) { return ffn_params(m, static_cast<double>(m.ffn_hidden), m.gated_mlp()); }
double expert_params(const ModelSpec& m) {
  ModelSpec latent = m;  // latent MoE experts map latent -> latent
  if (m.moe.latent_size > 0) latent.hidden = m.moe.latent_size;
  return ffn_params(latent, static_cast<double>(m.moe.expert_ffn_hidden), m.moe.gated);
}
double shared_expert_params(const ModelSpec& m) {
  return m.moe.shared_ffn_hidden > 0 ? ffn_params(m, static_cast<double>(m.moe.shared_ffn_hidden), m.moe.gated) : 0.0;
}
double moe_params(const ModelSpec& m) {
  const double latent_proj = m.moe.latent_size > 0 ? 2.0 * m.hidden * m.moe.latent_size : 0.0;  // h -> latent -> h
  return static_cast<double>(m.hidden) * m.moe.num_experts + m.moe.num_experts * expert_params(m) +
         shared_expert_params(m) + latent_proj;
}

double norm_params(const ModelSpec& m) {
  return m.norm == NormKind::LayerNorm && m.bias ? 2.0 * m.hidden : 1.0 * m.hidden;
}

static double mixer_params(const ModelSpec& m, const LayerSpec& l) {
  switch (l.mixer) {
    case MixerKind::Attention: return attention_params(m) + norm_params(m);
    case MixerKind::Mamba: return mamba_params(m) + norm_params(m);
    case MixerKind::None: return 0.0;
  }
  return 0.0;
}

double layer_params(const ModelSpec& m, const LayerSpec& l) {
  double ffn = 0;
  if (l.ffn == FfnKind::Dense) ffn = mlp_params(m);
  if (l.ffn == FfnKind::Moe) ffn = moe_params(m);
  // A parallel-attention block (GPT-J, Falcon) shares one norm between attention and MLP.
  const double ffn_norm = l.ffn == FfnKind::None || (m.parallel_attention && l.mixer != MixerKind::None) ? 0.0 : norm_params(m);
  return mixer_params(m, l) + ffn + ffn_norm;
}

double layer_active_params(const ModelSpec& m, const LayerSpec& l) {
  if (l.ffn != FfnKind::Moe) return layer_params(m, l);
  return layer_params(m, l) - (m.moe.num_experts - m.moe.top_k) * expert_params(m);
}

double layer_params(const ModelSpec& m) { return layer_params(m, LayerSpec{}); }

double embedding_params(const ModelSpec& m) {
  const double pos = m.position == PositionKind::Learned ? static_cast<double>(m.max_seq) * m.hidden : 0.0;
  return static_cast<double>(m.vocab) * m.hidden + pos;
}

double lm_head_params(const ModelSpec& m) { return m.tied_embeddings ? 0.0 : static_cast<double>(m.vocab) * m.hidden; }

// DeepSeek-V3's MTP module: two norms, a 2h -> h projection and one more layer (the last layer's
// kind); embedding and head are shared with the main model.
double mtp_params(const ModelSpec& m) {
  if (m.mtp_layers == 0) return 0.0;
  const double h = static_cast<double>(m.hidden);
  return m.mtp_layers * (layer_params(m, m.layer(m.layers - 1)) + 2 * h * h + 3 * norm_params(m));
}

double total_params(const ModelSpec& m) {
  double layers = 0;
  for (std::int64_t i = 0; i < m.layers; ++i) layers += layer_params(m, m.layer(i));
  return layers + embedding_params(m) + lm_head_params(m) + norm_params(m) /*final norm*/ + mtp_params(m);
}

double active_params(const ModelSpec& m) {
  double layers = 0;
  for (std::int64_t i = 0; i < m.layers; ++i) layers += layer_active_params(m, m.layer(i));
  return layers + embedding_params(m) + lm_head_params(m) + norm_params(m);
}

}  // namespace ct

#include "clustertwin/model/params.hpp"

namespace ct {

double attention_params(const ModelSpec& m) {
  const double h = static_cast<double>(m.hidden);
  const double q = static_cast<double>(m.q_dim()), kv = static_cast<double>(m.kv_dim());
  const double weights = h * (q + 2 * kv) + q * h;
  return weights + (m.bias ? q + 2 * kv + h : 0.0);
}

double mlp_params(const ModelSpec& m) {
  const double h = static_cast<double>(m.hidden), f = static_cast<double>(m.ffn_hidden);
  const double up = m.gated_mlp() ? 2 * h * f : h * f;
  return up + f * h + (m.bias ? (m.gated_mlp() ? 2 * f : f) + h : 0.0);
}

double norm_params_per_layer(const ModelSpec& m) {
  const double per_norm = m.norm == NormKind::LayerNorm && m.bias ? 2.0 * m.hidden : 1.0 * m.hidden;
  return (m.parallel_attention ? 1 : 2) * per_norm;
}

double layer_params(const ModelSpec& m) { return attention_params(m) + mlp_params(m) + norm_params_per_layer(m); }

double embedding_params(const ModelSpec& m) {
  const double pos = m.position == PositionKind::Learned ? static_cast<double>(m.max_seq) * m.hidden : 0.0;
  return static_cast<double>(m.vocab) * m.hidden + pos;
}

double lm_head_params(const ModelSpec& m) { return m.tied_embeddings ? 0.0 : static_cast<double>(m.vocab) * m.hidden; }

double total_params(const ModelSpec& m) {
  return m.layers * layer_params(m) + embedding_params(m) + lm_head_params(m) + m.hidden;  // + final norm
}

}  // namespace ct

#include "clustertwin/cost/flops.hpp"

#include "clustertwin/model/params.hpp"

namespace ct::cost {

double megatron_model_flops(const ModelSpec& m, double batch, double seq_len) {
  const double h = static_cast<double>(m.hidden), l = static_cast<double>(m.layers);
  const double q_ratio = static_cast<double>(m.q_dim()) / h;
  const double kv_ratio = static_cast<double>(m.kv_heads) / static_cast<double>(m.heads);
  const double gated = m.gated_mlp() ? 1.5 : 1.0;
  const double attention = (1.0 + kv_ratio + seq_len / h) * q_ratio;
  const double mlp = static_cast<double>(m.ffn_hidden) / h * gated;
  const double logits = static_cast<double>(m.vocab) / (2.0 * l * h);
  return 12.0 * batch * seq_len * l * h * h * (attention + mlp + logits);
}

double six_n_model_flops(const ModelSpec& m, double batch, double seq_len) {
  const double n = total_params(m);
  const double attention = 12.0 * m.layers * static_cast<double>(m.hidden) * seq_len * seq_len;
  return batch * (6.0 * n * seq_len + attention);
}

}  // namespace ct::cost

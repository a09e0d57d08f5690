#include "clustertwin/serve/kv_cache.hpp"

#include <algorithm>
#include <cmath>

namespace ct::serve {

double kv_elements_per_token_per_layer(const ModelSpec& m) {
  if (m.mla.enabled()) return static_cast<double>(m.mla.kv_lora_rank + m.mla.qk_rope_head_dim);
  return 2.0 * static_cast<double>(m.kv_heads * m.head_dim);
}

std::int64_t kv_cache_layers(const ModelSpec& m) {
  if (m.layer_plan.empty()) return m.layers;
  return std::count_if(m.layer_plan.begin(), m.layer_plan.end(),
                       [](const LayerSpec& l) { return l.mixer == MixerKind::Attention; });
}

double kv_bytes_per_token(const ModelSpec& m, double element_bytes) {
  return static_cast<double>(kv_cache_layers(m)) * kv_elements_per_token_per_layer(m) * element_bytes;
}

double kv_bytes_per_token_per_gpu(const ModelSpec& m, double element_bytes, int tp, int pp) {
  double per_layer = kv_elements_per_token_per_layer(m) * element_bytes;
  if (!m.mla.enabled()) {
    const double heads_per_gpu = std::max(1.0, std::ceil(static_cast<double>(m.kv_heads) / tp));
    per_layer *= heads_per_gpu / static_cast<double>(m.kv_heads);
  }
  const double layers_per_gpu = std::ceil(static_cast<double>(kv_cache_layers(m)) / pp);
  return per_layer * layers_per_gpu;
}

}  // namespace ct::serve

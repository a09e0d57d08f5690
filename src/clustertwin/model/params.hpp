#pragma once
// Parameter counts of a transformer (exact for the architectures ModelSpec describes).
#include "clustertwin/model/model_spec.hpp"

namespace ct {

double attention_params(const ModelSpec& m);   // Q, K, V, O projections (+ biases)
double mlp_params(const ModelSpec& m);         // one dense MLP (+ biases)
double norm_params_per_layer(const ModelSpec& m);
double layer_params(const ModelSpec& m);       // one transformer layer
double embedding_params(const ModelSpec& m);   // token (+ learned position) embedding
double lm_head_params(const ModelSpec& m);     // 0 when tied
double total_params(const ModelSpec& m);

}  // namespace ct

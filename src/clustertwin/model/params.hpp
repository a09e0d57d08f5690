#pragma once
// Parameter counts of a transformer (exact for the architectures ModelSpec describes).
#include "clustertwin/model/model_spec.hpp"

namespace ct {

double attention_params(const ModelSpec& m);   // Q, K, V, O projections (MLA: the low-rank ones) + biases
double mamba_params(const ModelSpec& m);       // Mamba-2 mixer: in/out projections, conv, A, D, dt, norm
double mlp_params(const ModelSpec& m);         // one dense MLP (+ biases)
double expert_params(const ModelSpec& m);      // one routed expert
double shared_expert_params(const ModelSpec& m);
double moe_params(const ModelSpec& m);         // router + all routed experts + shared experts
double norm_params(const ModelSpec& m);        // one normalisation layer
double layer_params(const ModelSpec& m, const LayerSpec& l);         // everything in one layer
double layer_active_params(const ModelSpec& m, const LayerSpec& l);  // what one token uses (top-k experts)
double layer_params(const ModelSpec& m);       // a plain Attention + Dense layer
double embedding_params(const ModelSpec& m);   // token (+ learned position) embedding
double lm_head_params(const ModelSpec& m);     // 0 when tied
double mtp_params(const ModelSpec& m);         // multi-token-prediction modules
double total_params(const ModelSpec& m);
double active_params(const ModelSpec& m);      // per token, embeddings included

}  // namespace ct

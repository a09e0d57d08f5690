#pragma once
// Size of the key/value cache: what one token of context costs in memory, for the whole model and
// for one GPU of a tensor/pipeline-parallel replica.
#include "clustertwin/model/model_spec.hpp"

namespace ct::serve {

// Elements cached per token in one attention layer: K and V of every KV head (MHA/GQA/MQA), or the
// compressed latent plus the decoupled RoPE key for multi-head latent attention (DeepSeek-V2/V3,
// which caches c_KV and k_rope only).
double kv_elements_per_token_per_layer(const ModelSpec& m);

// Layers that keep a KV cache (attention mixers; Mamba layers keep a fixed-size state instead).
std::int64_t kv_cache_layers(const ModelSpec& m);

// Whole model, one token, `element_bytes` per cached element (2 = BF16, 1 = FP8 KV cache).
double kv_bytes_per_token(const ModelSpec& m, double element_bytes);

// What one GPU of a TP x PP replica holds per token: KV heads split over TP (replicated when TP
// exceeds the KV heads, as vLLM and TensorRT-LLM do); an MLA latent is not split by heads, so each
// TP rank keeps all of it; PP stages split the layers.
double kv_bytes_per_token_per_gpu(const ModelSpec& m, double element_bytes, int tp, int pp);

}  // namespace ct::serve

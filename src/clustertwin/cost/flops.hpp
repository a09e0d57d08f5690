#pragma once
// Model FLOPs of one training step, for throughput and MFU reporting.
#include "clustertwin/model/model_spec.hpp"

namespace ct::cost {

// Megatron-LM's num_floating_point_operations (training.py; Narayanan et al. 2021, eq. 3
// generalised to GQA, gated MLPs, MoE (top-k experts + shared + router), MLA and hybrid layers):
// forward + backward = 3x forward, 2 FLOPs per multiply-add of every weight a token meets,
// attention counted without the causal mask, no recompute. For GPT (MHA, 4h GeLU MLP) this is
// 72 B s l h^2 (1 + s/(6h) + V/(12 l h)).
double megatron_model_flops(const ModelSpec& m, double batch, double seq_len);

// 6 N per token plus attention (llm-foundry's MFU convention): 6 N s + 12 l h s^2 per sequence,
// N = the parameters a token uses (embeddings included; top-k experts for MoE).
double six_n_model_flops(const ModelSpec& m, double batch, double seq_len);

}  // namespace ct::cost
